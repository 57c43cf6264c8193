"""SQLite-backed log: events, snapshots, outbox, idempotency keys, alarms (ARCHITECTURE §4)."""

from storage.errors import CommitFailed, ConcurrencyConflict, StorageError
from storage.log_file import LoadedStream, LogFile
from storage.records import NewEvent, StoredEvent, WriteUnit

__all__ = [
    "CommitFailed",
    "ConcurrencyConflict",
    "LoadedStream",
    "LogFile",
    "NewEvent",
    "StorageError",
    "StoredEvent",
    "WriteUnit",
]
