"""The follower's side of read replicas (ARCHITECTURE §3): a host process keeps its own copy
of an object it reads often, and answers the kind's `replica_queries` from it without a Ray
call, for as long as the object's host leases it the copy.

A copy starts from the object's snapshot, is renewed well before its lease runs out, and
takes each later write as the object's host pushes it (the write is acknowledged only
after). A copy that misses a write, or cannot apply one, is dropped; reads then go to the
object until a fresh copy arrives. A copy nobody read for `IDLE_S` is let go.
"""

import asyncio
import json
import logging
import pickle
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from durable.client.calls import Reply
from durable.context import CallContext
from durable.kind import DurableObject, Event
from durable.observe import replica_metrics

log = logging.getLogger(__name__)

IDLE_S = 30.0
RETRY_S = 1.0
Follow = Callable[[str, int], Awaitable[Reply]]
"""Asks the object `key`'s host for a lease from the copy at `version`: (version, snapshot
JSON or None when the copy is current, lease seconds)."""


@dataclass
class _Copy:
    obj: DurableObject
    version: int
    until: float


class Replicas:
    """This process's copies of the objects of one kind."""

    def __init__(self, kind: type[DurableObject], follow: Follow) -> None:
        self._kind = kind
        self._follow = follow
        self._copies: dict[str, _Copy] = {}
        self._generation: dict[str, int] = {}
        """Bumped whenever a key's copy is dropped: a lease asked for before then is void."""
        self._keepers: dict[str, asyncio.Task[None]] = {}
        self._read_at: dict[str, float] = {}

    def current(self, key: str) -> DurableObject | None:
        """The copy of `key` if its lease holds; else None, and a copy is sought."""
        now = self._read_at[key] = time.monotonic()
        found = self._copies.get(key)
        if found is not None and found.until > now:
            return found.obj
        keeper = self._keepers.get(key)
        if keeper is None or keeper.done():
            self._keepers[key] = asyncio.get_running_loop().create_task(self._keep(key))
        return None

    async def ask(self, obj: DurableObject, method: str, args: Any, kwargs: Any) -> Any:
        """Runs a replica query on the copy; the answer is the caller's own, as over Ray."""
        ctx = CallContext(obj, 0)
        answer = await getattr(obj, method)(ctx, *args, **kwargs)
        if ctx.emitted:
            self.drop(obj.key)
            raise RuntimeError(f"{self._kind.kind}.{method} emitted: it cannot be a replica query")
        return pickle.loads(pickle.dumps(answer, protocol=5))

    def apply(
        self, key: str, first_seq: int, changes: list[tuple[str, dict[str, Any]]], reset: bool
    ) -> bool:
        """Takes a write the object's host pushed; False if the copy was dropped instead (it
        had none, missed an earlier write, or the object was deleted)."""
        found = self._copies.get(key)
        if reset or found is None or first_seq > found.version + 1:
            self.drop(key)
            return False
        try:
            for seq, (event_type, data) in enumerate(changes, start=first_seq):
                if seq > found.version:
                    found.obj.apply(Event(event_type, data))
                    found.version = seq
        except Exception:
            log.exception("%s %s: a pushed write did not apply; copy dropped", self._kind.kind, key)
            self.drop(key)
            return False
        return True

    def drop(self, key: str) -> None:
        if self._copies.pop(key, None) is not None:
            replica_metrics.copies(self._kind.kind, len(self._copies))
        self._generation[key] = self._generation.get(key, 0) + 1

    async def _keep(self, key: str) -> None:
        """Follows `key` while it is read: a lease now, renewed at a third of its length;
        asking again every `RETRY_S` while none is granted."""
        while True:
            found = self._copies.get(key)
            if time.monotonic() - self._read_at.get(key, 0.0) > IDLE_S:
                self.drop(key)
                self._read_at.pop(key, None)
                return
            pause = RETRY_S
            try:
                pause = await self._renew(key, found)
            except Exception as exc:
                log.debug("%s %s: no lease (%r); reads go to the object", self._kind.kind, key, exc)
                self.drop(key)
            await asyncio.sleep(pause)

    async def _renew(self, key: str, found: _Copy | None) -> float:
        generation = self._generation.get(key, 0)
        asked = time.monotonic()
        reply = await self._follow(key, found.version if found is not None else -1)
        if not reply.ok:
            raise reply.value
        version, snapshot, lease_s = reply.value
        if self._generation.get(key, 0) != generation:
            return 0.0  # a push found no copy to apply to meanwhile: ask again
        current = self._copies.get(key)
        if snapshot is not None and (current is None or version > current.version):
            obj = self._kind(key)
            obj.restore(json.loads(snapshot))
            current = self._copies[key] = _Copy(obj, version, asked)
            replica_metrics.copies(self._kind.kind, len(self._copies))
        if current is None:
            return RETRY_S
        current.until = max(current.until, asked + lease_s)
        return float(lease_s) / 3
