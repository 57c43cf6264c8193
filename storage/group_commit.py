"""Group commit (ARCHITECTURE §4.3): concurrent writes to one file share one transaction.

One writer task per file. Units submitted while a batch is being written form the next batch,
so under load a single fsync covers many calls and at rest a unit is written at once. Each
submitter's future resolves only after the transaction holding its unit is durable.
"""

import asyncio
import contextlib
import logging
import sqlite3
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import aiosqlite

from storage.batch_sql import Statement, batch_statements
from storage.errors import CommitFailed, ConcurrencyConflict, StorageError
from storage.records import WriteUnit

log = logging.getLogger(__name__)

Pending = tuple[WriteUnit, asyncio.Future[None]]
T = TypeVar("T")


class StatementFailed(Exception):
    """A statement of the batch failed before COMMIT: some unit in it is at fault."""


class GroupCommitter:
    """The only writer of one SQLite file."""

    def __init__(
        self,
        conn: aiosqlite.Connection,
        *,
        max_batch: int = 1024,
        on_batch: Callable[[int], None] | None = None,
    ) -> None:
        self._conn = conn
        self._max_batch = max_batch
        self._on_batch = on_batch
        self._queue: list[Pending] = []
        self._relayed_up_to = 0
        self._relayed_dropped = 0
        self._wakeup = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task = asyncio.get_running_loop().create_task(self._run())

    def submit(self, unit: WriteUnit) -> asyncio.Future[None]:
        """Queue `unit`; the future resolves once it is durable, or fails with a StorageError."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self._task.done():
            future.set_exception(CommitFailed("the log file is closed"))
            return future
        self._queue.append((unit, future))
        self._idle.clear()
        self._wakeup.set()
        return future

    def drop_relayed(self, up_to: int) -> None:
        """Outbox rows up to `up_to` are safe on the event bus: the next transaction deletes
        them, so relaying costs no commit of its own."""
        self._relayed_up_to = max(self._relayed_up_to, up_to)

    async def close(self) -> None:
        """Write what is queued, then stop."""
        await self._idle.wait()
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    async def _run(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._queue:
                batch = self._queue[: self._max_batch]
                del self._queue[: self._max_batch]
                await self._write(batch)
            self._idle.set()

    async def _write(self, batch: list[Pending]) -> None:
        now = time.time()
        units = [unit for unit, _ in batch]
        try:
            await self._transaction(units, now)
            failures: dict[int, StorageError] = {}
        except StatementFailed:
            failures = await self._write_one_by_one(units, now)
        except Exception as exc:  # the COMMIT itself failed: nothing of the batch is visible
            log.exception("commit of %d units failed", len(units))
            await self._rollback()
            failures = {i: CommitFailed(f"commit failed: {exc}") for i in range(len(units))}
        if self._on_batch is not None:
            self._on_batch(len(units))
        self._settle(batch, failures)

    async def _transaction(self, units: Sequence[WriteUnit], now: float) -> None:
        statements = batch_statements(units, now)
        relayed = self._relayed_up_to
        if relayed > self._relayed_dropped:
            statements.append((DELETE_RELAYED, [(relayed,)]))
        await in_connection_thread(self._conn, _write_transaction, statements)
        self._relayed_dropped = max(self._relayed_dropped, relayed)

    async def _write_one_by_one(
        self, units: Sequence[WriteUnit], now: float
    ) -> dict[int, StorageError]:
        """Finds the units at fault: each in a savepoint, so one bad unit spares the rest."""
        failures: dict[int, StorageError] = {}
        failed_streams: set[str] = set()
        try:
            await self._conn.execute("BEGIN IMMEDIATE")
            for index, unit in enumerate(units):
                if unit.stream in failed_streams:
                    failures[index] = CommitFailed(f"an earlier write to {unit.stream!r} failed")
                    continue
                error = await self._write_in_savepoint(unit, now)
                if error is not None:
                    failures[index] = error
                    failed_streams.add(unit.stream)
            await self._conn.execute("COMMIT")
        except Exception as exc:
            log.exception("commit of %d units failed", len(units))
            await self._rollback()
            return {i: CommitFailed(f"commit failed: {exc}") for i in range(len(units))}
        return failures

    async def _write_in_savepoint(self, unit: WriteUnit, now: float) -> StorageError | None:
        await self._conn.execute("SAVEPOINT unit")
        try:
            for sql, params in batch_statements([unit], now):
                await self._conn.executemany(sql, params)
        except sqlite3.Error as exc:
            await self._conn.execute("ROLLBACK TO unit")
            await self._conn.execute("RELEASE unit")
            return _unit_error(unit, exc)
        await self._conn.execute("RELEASE unit")
        return None

    def _settle(self, batch: list[Pending], failures: dict[int, StorageError]) -> None:
        failed_streams: set[str] = set()
        for index, (unit, future) in enumerate(batch):
            error = failures.get(index)
            if error is not None:
                failed_streams.add(unit.stream)
                _fail(future, error)
            elif not future.done():
                future.set_result(None)
        if failed_streams:
            self._fail_queued(failed_streams)

    def _fail_queued(self, streams: set[str]) -> None:
        """Queued writes to a failed stream were built on the lost write: they fail too."""
        kept: list[Pending] = []
        for unit, future in self._queue:
            if unit.stream in streams:
                _fail(future, CommitFailed(f"an earlier write to {unit.stream!r} failed"))
            else:
                kept.append((unit, future))
        self._queue[:] = kept

    async def _rollback(self) -> None:
        with contextlib.suppress(sqlite3.Error):  # no transaction was open
            await self._conn.execute("ROLLBACK")


DELETE_RELAYED = "DELETE FROM outbox WHERE id <= ?"


def _write_transaction(conn: sqlite3.Connection, statements: list[Statement]) -> None:
    """One transaction, run in the connection's own thread: one hand-over per batch."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        for sql, params in statements:
            conn.executemany(sql, params)
    except sqlite3.Error as exc:
        conn.execute("ROLLBACK")
        raise StatementFailed(str(exc)) from exc
    conn.execute("COMMIT")


async def in_connection_thread(conn: aiosqlite.Connection, work: Callable[..., T], *args: Any) -> T:
    """Runs `work(sqlite3_connection, *args)` on aiosqlite's thread for this connection.

    aiosqlite has no public call for this; `_execute` is its internal hand-over (pinned in
    pyproject). A batch then costs one hand-over instead of one per statement.
    """
    result: T = await conn._execute(lambda: work(conn._conn, *args))  # type: ignore[no-untyped-call]
    return result


def _unit_error(unit: WriteUnit, exc: sqlite3.Error) -> StorageError:
    if isinstance(exc, sqlite3.IntegrityError) and "events" in str(exc):
        return ConcurrencyConflict(unit.stream, unit.expected_seq)
    return CommitFailed(f"write to {unit.stream!r} failed: {exc}")


def _fail(future: asyncio.Future[None], error: StorageError) -> None:
    if not future.done():
        future.set_exception(error)
