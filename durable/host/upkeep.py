"""A host's upkeep between calls: idle objects leave memory, old idempotency keys are pruned,
and what its files hold can be listed (ARCHITECTURE §3 listing, §4.5)."""

import asyncio
import time
from typing import Any, Protocol

from durable.config import RuntimeConfig
from durable.host.residency import ResidentSet
from storage import LogFile
from storage.log_file import ObjectRow
from storage.records import StoredEvent

PRUNE_EVERY_S = 3600.0


class UpkeepMetrics(Protocol):
    def passivated(self, count: int) -> None: ...
    def resident(self, count: int) -> None: ...


class Upkeep:
    """Passivation and pruning for one runtime's residents and files."""

    def __init__(
        self,
        residents: ResidentSet,
        files: dict[Any, LogFile],
        config: RuntimeConfig,
        metrics: UpkeepMetrics,
    ) -> None:
        self._residents = residents
        self._files = files
        self._config = config
        self._metrics = metrics

    def passivate_idle(self, idle_seconds: float | None = None) -> int:
        seconds = self._config.idle_seconds if idle_seconds is None else idle_seconds
        evicted = self._residents.passivate_idle(seconds)
        if evicted:
            self._metrics.passivated(evicted)
        self._metrics.resident(len(self._residents))
        return evicted

    async def run_forever(self) -> None:
        interval = min(max(self._config.idle_seconds / 2, 0.5), 10.0)
        last_prune = 0.0
        while True:
            await asyncio.sleep(interval)
            self.passivate_idle()
            if time.monotonic() - last_prune > PRUNE_EVERY_S:
                last_prune = time.monotonic()
                for log_file in list(self._files.values()):
                    await log_file.prune_idempotency(self._config.idempotency_days * 86400)


async def list_objects(files: dict[Any, LogFile], **filters: Any) -> list[ObjectRow]:
    """The objects the files hold, in key order (filters as `LogFile.list_objects`)."""
    rows: list[ObjectRow] = []
    for log_file in list(files.values()):
        rows.extend(await log_file.list_objects(**filters))
    rows.sort(key=lambda row: row.stream)
    return rows[: filters.get("limit", 100)]


async def events_by_correlation(files: dict[Any, LogFile], correlation: str) -> list[StoredEvent]:
    """Every event the files hold under the correlation id `correlation`."""
    found: list[StoredEvent] = []
    for log_file in list(files.values()):
        found += await log_file.events_by_correlation(correlation)
    return found


async def keys_with_status(files: dict[Any, LogFile], statuses: tuple[str, ...]) -> list[str]:
    """The keys of every object listed with one of `statuses`, all pages of every file."""
    keys: list[str] = []
    for status in statuses:
        for log_file in list(files.values()):
            after = ""
            while page := await log_file.list_objects(status=status, after=after, limit=500):
                keys.extend(row.stream for row in page)
                after = page[-1].stream
    return keys
