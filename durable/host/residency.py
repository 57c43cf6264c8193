"""Which objects are in memory (ARCHITECTURE §3): activation from snapshot + tail, passivation
when idle, and the per-object input gate."""

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable

from durable.kind import DurableObject, Event
from storage import LogFile


class Resident:
    """One object in memory, with its input gate and its latest pending commit (output gate)."""

    __slots__ = (
        "alive",
        "gate",
        "last_commit",
        "last_seq",
        "last_used",
        "obj",
        "results_unseen",
        "since_snapshot",
        "snapshot_bytes",
        "users",
    )

    def __init__(
        self,
        obj: DurableObject,
        last_seq: int,
        since_snapshot: int,
        snapshot_bytes: int,
        results_unseen: bool,
    ) -> None:
        self.obj = obj
        self.results_unseen = results_unseen
        """Whether the file may hold results of this object's calls that the host's
        idempotency cache does not: some were stored before it was activated, or the cache
        has since let one go. While false, a key the cache does not know is new."""
        self.last_seq = last_seq
        self.since_snapshot = since_snapshot
        self.snapshot_bytes = snapshot_bytes
        self.gate = asyncio.Lock()
        self.last_commit: asyncio.Future[None] | None = None
        self.last_used = time.monotonic()
        self.users = 0
        self.alive = True

    def idle_since(self, cutoff: float) -> bool:
        pending = self.last_commit is not None and not self.last_commit.done()
        return (
            self.users == 0 and not pending and not self.gate.locked() and self.last_used < cutoff
        )


class ResidentSet:
    """The objects of one host that are in memory, activated on first use."""

    def __init__(
        self,
        kind: type[DurableObject],
        file_of: Callable[[str], LogFile],
        on_activation: Callable[[float], None],
    ) -> None:
        self._kind = kind
        self._file_of = file_of
        self._on_activation = on_activation
        self._residents: dict[str, Resident] = {}
        self._activating: dict[str, asyncio.Future[Resident]] = {}
        self._draining: dict[str, asyncio.Future[None]] = {}

    def __len__(self) -> int:
        return len(self._residents)

    async def acquire(self, key: str) -> Resident:
        """The resident object for `key`, activated if needed; pair with `release`."""
        resident = self._residents.get(key)
        if resident is None:
            activating = self._activating.get(key)
            if activating is None:
                activating = asyncio.ensure_future(self._activate(key))
                self._activating[key] = activating
                activating.add_done_callback(lambda _: self._activating.pop(key, None))
            resident = await asyncio.shield(activating)
        resident.users += 1
        return resident

    @staticmethod
    def release(resident: Resident) -> None:
        resident.users -= 1
        resident.last_used = time.monotonic()

    @contextlib.asynccontextmanager
    async def using(self, key: str) -> AsyncIterator[Resident]:
        """The resident object for `key`, kept in memory while the block runs."""
        resident = await self.acquire(key)
        try:
            yield resident
        finally:
            self.release(resident)

    def invalidate(self, resident: Resident) -> None:
        """Drops an object whose memory may be ahead of its file; the next call reloads it
        once its pending writes have settled."""
        if not resident.alive:
            return
        resident.alive = False
        key = resident.obj.key
        if self._residents.get(key) is resident:
            del self._residents[key]
        pending = resident.last_commit
        if pending is not None and not pending.done():
            self._draining[key] = pending
            pending.add_done_callback(lambda _: self._draining.pop(key, None))

    def result_forgotten(self, key: str) -> None:
        """The idempotency cache let a result of `key`'s calls go: from now on only the file
        knows it."""
        resident = self._residents.get(key)
        if resident is not None:
            resident.results_unseen = True

    def passivate_idle(self, idle_seconds: float) -> int:
        """Evicts objects unused for `idle_seconds`; their state stays on disk."""
        cutoff = time.monotonic() - idle_seconds
        idle = [r for r in self._residents.values() if r.idle_since(cutoff)]
        for resident in idle:
            resident.alive = False
            del self._residents[resident.obj.key]
        return len(idle)

    def evict_where(self, belongs: Callable[[str], bool]) -> None:
        """Drops the objects `belongs` picks from memory (their file leaves this host)."""
        for key in [key for key in self._residents if belongs(key)]:
            self._residents.pop(key).alive = False

    async def _activate(self, key: str) -> Resident:
        started = time.perf_counter()
        draining = self._draining.get(key)
        if draining is not None:
            with contextlib.suppress(Exception):
                await draining
        loaded = await self._file_of(key).load(key)
        obj = self._kind(key)
        if loaded.snapshot is not None:
            obj.restore(loaded.snapshot)
        for event in loaded.events:
            obj.apply(Event(event.type, event.data))
        resident = Resident(
            obj, loaded.last_seq, len(loaded.events), loaded.snapshot_bytes, loaded.has_results
        )
        self._residents[key] = resident
        self._on_activation(time.perf_counter() - started)
        return resident
