"""One SQLite file of the log (ARCHITECTURE §4): the writes of its owner and the reads it needs.

Two connections: the group committer is the only writer, and reads go through their own
connection, so a read never sees a batch that is half written (WAL gives readers the last
committed state).
"""

import asyncio
import json
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import aiosqlite

from storage.group_commit import GroupCommitter, in_connection_thread
from storage.records import AlarmRecord, JsonDict, NewEvent, StoredEvent, WriteUnit
from storage.schema import BASE_SCHEMA

Synchronous = Literal["FULL", "NORMAL"]


@dataclass(slots=True)
class LoadedStream:
    """A stream as activation needs it: the latest snapshot and the events after it."""

    snapshot_seq: int = 0
    snapshot: JsonDict | None = None
    snapshot_bytes: int = 0
    events: list[StoredEvent] = field(default_factory=list)
    has_results: bool = False
    """Whether the file holds the result of a call on this stream (an idempotency key)."""

    @property
    def last_seq(self) -> int:
        return self.events[-1].seq if self.events else self.snapshot_seq


@dataclass(frozen=True, slots=True)
class ObjectRow:
    stream: str
    created_at: float
    updated_at: float
    owner: str | None
    status: str | None


class LogFile:
    """The log of one partition or dedicated object. Open with `await LogFile.open(path)`."""

    def __init__(
        self, path: Path, writer: aiosqlite.Connection, reader: aiosqlite.Connection
    ) -> None:
        self.path = path
        self._writer = writer
        self._reader = reader
        self._committer: GroupCommitter | None = None

    @classmethod
    async def open(
        cls,
        path: str | Path,
        *,
        synchronous: Synchronous = "FULL",
        owner_schema: str = "",
        on_batch: Any = None,
    ) -> "LogFile":
        """Open (creating if needed) the file, with the base tables and the owner's own."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        writer = await aiosqlite.connect(path, isolation_level=None)
        await writer.execute("PRAGMA journal_mode=WAL")
        await writer.execute(f"PRAGMA synchronous={synchronous}")
        await writer.execute("PRAGMA busy_timeout=5000")
        await writer.executescript(BASE_SCHEMA + owner_schema)
        reader = await aiosqlite.connect(path, isolation_level=None)
        await reader.execute("PRAGMA query_only=1")
        log_file = cls(path, writer, reader)
        log_file._committer = GroupCommitter(writer, on_batch=on_batch)
        return log_file

    async def close(self, *, checkpoint: bool = False) -> None:
        """Closes the file; with `checkpoint`, folds the WAL into the main file first, so that
        the main file alone holds every committed write (a file handed to another host)."""
        if self._committer is not None:
            await self._committer.close()
        await self._reader.close()
        if checkpoint:
            await self._writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        await self._writer.close()

    # writes

    def submit(self, unit: WriteUnit) -> asyncio.Future[None]:
        """Queue a unit for the next group commit; await the future for durability."""
        assert self._committer is not None
        return self._committer.submit(unit)

    async def append(
        self, stream: str, expected_seq: int, events: Iterable[NewEvent], **unit: Any
    ) -> int:
        """Append events after `expected_seq`; returns the new last seq once durable.

        Raises:
            ConcurrencyConflict: another writer appended after `expected_seq` first.
        """
        write = WriteUnit(stream=stream, expected_seq=expected_seq, events=list(events), **unit)
        await self.submit(write)
        return write.last_seq

    # reads

    async def load(self, stream: str) -> LoadedStream:
        """The latest snapshot of `stream`, every event after it, and whether any call's
        result is stored for it; read in one hand-over to the reader's thread."""
        return await in_connection_thread(self._reader, _load_stream, stream)

    async def read_events(
        self, stream: str, *, after: int = 0, limit: int = -1
    ) -> list[StoredEvent]:
        rows = await self._reader.execute_fetchall(SELECT_EVENTS, (stream, after, limit))
        return _stored_events(stream, rows)

    async def lookup_result(self, key: str) -> bytes | None:
        """The recorded result of the call made with idempotency key `key`, if any."""
        rows = list(
            await self._reader.execute_fetchall(
                "SELECT result FROM idempotency WHERE key = ?", (key,)
            )
        )
        return rows[0][0] if rows else None

    async def next_alarm_at(self, after: float = 0.0) -> float | None:
        rows = list(
            await self._reader.execute_fetchall("SELECT min(at) FROM alarms WHERE at > ?", (after,))
        )
        return rows[0][0] if rows else None

    async def due_alarms(self, now: float, limit: int = 100) -> list[AlarmRecord]:
        rows = await self._reader.execute_fetchall(
            "SELECT stream, name, at, attempts FROM alarms WHERE at <= ? ORDER BY at LIMIT ?",
            (now, limit),
        )
        return [AlarmRecord(*row) for row in rows]

    async def alarms_of(self, stream: str) -> list[AlarmRecord]:
        rows = await self._reader.execute_fetchall(
            "SELECT stream, name, at, attempts FROM alarms WHERE stream = ? ORDER BY at",
            (stream,),
        )
        return [AlarmRecord(*row) for row in rows]

    async def list_objects(
        self,
        *,
        prefix: str = "",
        owner: str | None = None,
        status: str | None = None,
        after: str = "",
        limit: int = 100,
    ) -> list[ObjectRow]:
        """Streams of this file in key order, filtered by prefix, owner and status."""
        conditions = ["stream > ?"]
        params: list[Any] = [after]
        if prefix:
            conditions.append("stream >= ? AND stream < ?")
            params += [prefix, prefix + "\U0010ffff"]
        if owner is not None:
            conditions.append("owner = ?")
            params.append(owner)
        if status is not None:
            conditions.append("status = ?")
            params.append(status)
        sql = (
            "SELECT stream, created_at, updated_at, owner, status FROM objects WHERE "
            + " AND ".join(conditions)
            + " ORDER BY stream LIMIT ?"
        )
        params.append(limit)
        rows = await self._reader.execute_fetchall(sql, params)
        return [ObjectRow(*row) for row in rows]

    async def unpublished(
        self, after: int = 0, limit: int = 1000
    ) -> list[tuple[int, dict[str, Any]]]:
        """Outbox messages after id `after`, oldest first: (id, message)."""
        rows = await self._reader.execute_fetchall(
            "SELECT id, data FROM outbox WHERE id > ? ORDER BY id LIMIT ?", (after, limit)
        )
        return [(row_id, json.loads(data)) for row_id, data in rows]

    def forget_published(self, up_to: int) -> None:
        """Outbox messages up to `up_to` are held durably by the event bus: they go with the
        file's next commit (until then a relay that restarts sends them again; the bus
        knows them)."""
        assert self._committer is not None
        self._committer.drop_relayed(up_to)

    async def events_by_correlation(self, correlation_id: str) -> list[StoredEvent]:
        """Every event of this file's objects written under `correlation_id`."""
        rows = await self._reader.execute_fetchall(
            "SELECT stream, seq, type, data, at, correlation_id FROM events "
            "WHERE correlation_id = ? ORDER BY at, stream, seq",
            (correlation_id,),
        )
        return [StoredEvent(st, seq, t, json.loads(d), at, c) for st, seq, t, d, at, c in rows]

    async def query(self, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        """A read of the owner's own tables (committed state only)."""
        return [tuple(row) for row in await self._reader.execute_fetchall(sql, tuple(params))]

    async def prune_idempotency(self, older_than_s: float) -> None:
        """Forget idempotency keys older than the retry window."""
        await self._writer.execute(
            "DELETE FROM idempotency WHERE at < ?", (time.time() - older_than_s,)
        )


SELECT_EVENTS = (
    "SELECT seq, type, data, at, correlation_id FROM events "
    "WHERE stream = ? AND seq > ? ORDER BY seq LIMIT ?"
)


def _stored_events(stream: str, rows: Iterable[Any]) -> list[StoredEvent]:
    return [StoredEvent(stream, seq, t, json.loads(d), at, c) for seq, t, d, at, c in rows]


def _load_stream(conn: sqlite3.Connection, stream: str) -> LoadedStream:
    """Runs on the reader's thread. Events are only appended and a snapshot only moves
    forward, so the events read after the snapshot complete it even if a commit lands
    between the two reads."""
    loaded = LoadedStream()
    for seq, state in conn.execute("SELECT seq, state FROM snapshots WHERE stream = ?", (stream,)):
        loaded.snapshot_seq, loaded.snapshot = seq, json.loads(state)
        loaded.snapshot_bytes = len(state)
    loaded.events = _stored_events(
        stream, conn.execute(SELECT_EVENTS, (stream, loaded.snapshot_seq, -1))
    )
    found = conn.execute("SELECT 1 FROM idempotency WHERE stream = ? LIMIT 1", (stream,))
    loaded.has_results = found.fetchone() is not None
    return loaded
