"""The leader's side of read replicas (ARCHITECTURE §3): leases granted to the hosts that
follow an object, and the pushes that keep their copies current.

A follower answers the kind's `replica_queries` from its own copy while its lease lasts. So
a write is acknowledged only once every follower holding a lease has applied it, or that
lease has run out: a follower that cannot be reached costs the write at most one lease, and
never serves a read older than the last acknowledged write. Lease times are measured on each
side's own monotonic clock from before the grant, so the follower's lease always ends first.
"""

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from durable.observe import replica_metrics
from storage.records import NewEvent

log = logging.getLogger(__name__)


@dataclass
class _Lease:
    handle: Any
    until: float


class Followers:
    """The leases on this host's objects of one kind, by object key and follower name."""

    def __init__(self, kind: str, lease_s: float, *, inherited: bool = True) -> None:
        self._kind = kind
        self.lease_s = lease_s
        self._leases: dict[str, dict[str, _Lease]] = {}
        self._quiet_until = 0.0
        if inherited:  # a host restarted after a crash cannot know what its predecessor
            self.hold_writes()  # leased: its first writes wait until any of that ran out

    def hold_writes(self) -> None:
        """Writes from now on wait out any lease another host granted on these objects."""
        self._quiet_until = time.monotonic() + self.lease_s

    def grant(self, key: str, follower: str, handle: Any) -> float:
        """Leases `key` to `follower` (its host's actor handle) from now; returns the length."""
        until = time.monotonic() + self.lease_s
        self._leases.setdefault(key, {})[follower] = _Lease(handle, until)
        return self.lease_s

    async def push(self, key: str, first_seq: int, events: Sequence[NewEvent], reset: bool) -> None:
        """Hands a committed write to every follower holding a lease on `key`; returns when
        each has applied it, has dropped its copy, or its lease has run out."""
        wait = self._quiet_until - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        leases = self._leases.get(key)
        if not leases:
            return
        changes = [(event.type, event.data) for event in events]
        names = list(leases)
        replica_metrics.pushed(self._kind, len(names))
        await asyncio.gather(
            *(self._push_to(key, name, leases[name], first_seq, changes, reset) for name in names)
        )

    async def _push_to(
        self,
        key: str,
        name: str,
        lease: _Lease,
        first_seq: int,
        changes: list[tuple[str, dict[str, Any]]],
        reset: bool,
    ) -> None:
        left = lease.until - time.monotonic()
        if left <= 0:
            self._drop(key, name, lease)
            return
        try:
            pushed = lease.handle.replica_push.remote(self._kind, key, first_seq, changes, reset)
            applied = await asyncio.wait_for(pushed, left)
        except Exception as exc:  # unreachable, dead or slow: its copy lapses with its lease
            log.warning("follower %s of %s %s did not take a write: %r", name, self._kind, key, exc)
            replica_metrics.lapsed(self._kind)
            await asyncio.sleep(max(0.0, lease.until - time.monotonic()))
            applied = False
        if not applied:
            self._drop(key, name, lease)

    def _drop(self, key: str, name: str, lease: _Lease) -> None:
        """Forgets the follower unless it renewed meanwhile (a fresh lease, a fresh copy)."""
        leases = self._leases.get(key, {})
        if leases.get(name) is lease:
            del leases[name]
