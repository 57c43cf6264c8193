"""The log files one kind's runtime serves, each with the work that runs on it (its alarm
scheduler, its share of the outbox relay): what opening or closing a file starts or stops,
whether at start-up or when a file is handed over (ARCHITECTURE §13.3)."""

import os
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from durable.host.alarms import AlarmScheduler
from durable.host.relay import OutboxRelay
from storage import LogFile
from storage.records import AlarmRecord, WriteUnit

if TYPE_CHECKING:
    from durable.client.objects import Objects


class OpenFiles:
    """Args:
    opener: opens a file with the kind's schema and settings.
    fire: runs a due alarm.
    """

    def __init__(
        self,
        opener: Callable[[str], Awaitable[LogFile]],
        fire: Callable[[AlarmRecord], Awaitable[None]],
    ) -> None:
        self._opener = opener
        self._fire = fire
        self.files: dict[Any, LogFile] = {}
        """Open files by file key; shared (by reference) with the work that reads them."""
        self.paths: dict[Any, str] = {}
        self._alarms: dict[Any, AlarmScheduler] = {}
        self._relay: OutboxRelay | None = None

    def __contains__(self, file_key: Any) -> bool:
        return file_key in self.files

    async def open(self, file_key: Any, path: str) -> LogFile:
        log_file = await self._opener(path)
        self.files[file_key] = log_file
        self.paths[file_key] = path
        self._alarms[file_key] = AlarmScheduler(log_file, self._fire)
        if self._relay is not None:
            self._relay.add(file_key, path)
        return log_file

    def relay_outboxes(self, objects: "Objects") -> None:
        """Starts relaying the open files' outboxes (and those of files opened later)."""
        self._relay = OutboxRelay(self.files, self.paths, objects)

    async def close(self, file_key: Any) -> str | None:
        """Stops the file's work, checkpoints and closes it; its path, or None if not open."""
        log_file = self.files.pop(file_key, None)
        if log_file is None:
            return None
        if self._relay is not None:
            self._relay.remove(file_key)
        await self._alarms.pop(file_key).stop()
        await log_file.close(checkpoint=True)
        return self.paths.pop(file_key)

    def committed(self, file_key: Any, unit: WriteUnit) -> None:
        """A unit of the file is durable: its alarms and outbox messages are due for work."""
        scheduler = self._alarms.get(file_key)
        if unit.alarms_set and scheduler is not None:
            scheduler.notify(min(at for at, _ in unit.alarms_set.values()))
        if unit.outbox and self._relay is not None:
            self._relay.wake(file_key)

    def bytes_on_disk(self, file_key: Any) -> int:
        """The file's size, its write-ahead log included."""
        path = self.paths[file_key]
        return sum(os.path.getsize(p) for p in (path, f"{path}-wal") if os.path.exists(p))

    async def stop(self) -> None:
        if self._relay is not None:
            self._relay.stop()
        for scheduler in self._alarms.values():
            await scheduler.stop()
        for log_file in self.files.values():
            await log_file.close()
