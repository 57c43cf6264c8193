"""The SQLite log on real files: group commit, optimistic concurrency, atomic units."""

import asyncio
import sqlite3
from pathlib import Path

import pytest

from storage import CommitFailed, ConcurrencyConflict, LogFile, NewEvent, WriteUnit
from storage.records import RowWrite

OWNER_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS stock (sku TEXT PRIMARY KEY, available INTEGER NOT NULL);"
)


@pytest.fixture
async def log_file(tmp_path: Path):
    opened = await LogFile.open(tmp_path / "p000.sqlite", owner_schema=OWNER_SCHEMA)
    yield opened
    await opened.close()


def event(n: int) -> NewEvent:
    return NewEvent("Incremented", {"by": n})


def committed_seqs(path: Path, stream: str) -> list[int]:
    """What another process would read from the file right now."""
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT seq FROM events WHERE stream = ? ORDER BY seq", (stream,))
        return [seq for (seq,) in rows]


async def test_appended_events_are_durable_when_append_returns(log_file: LogFile) -> None:
    assert await log_file.append("c-1", 0, [event(1), event(2)]) == 2
    assert committed_seqs(log_file.path, "c-1") == [1, 2]
    loaded = await log_file.load("c-1")
    assert [e.data["by"] for e in loaded.events] == [1, 2]
    assert loaded.last_seq == 2


async def test_concurrent_appends_share_commits(tmp_path: Path) -> None:
    batches: list[int] = []
    opened = await LogFile.open(tmp_path / "p.sqlite", on_batch=batches.append)
    try:
        await asyncio.gather(*(opened.append(f"s-{i}", 0, [event(i)]) for i in range(200)))
    finally:
        await opened.close()
    assert sum(batches) == 200
    assert len(batches) < 200, "group commit should put concurrent appends in shared batches"
    assert all(committed_seqs(tmp_path / "p.sqlite", f"s-{i}") == [1] for i in range(200))


async def test_two_writers_racing_on_one_stream_exactly_one_wins(log_file: LogFile) -> None:
    results = await asyncio.gather(
        log_file.append("race", 0, [event(1)]),
        log_file.append("race", 0, [event(2)]),
        return_exceptions=True,
    )
    assert sorted(type(r).__name__ for r in results) == ["ConcurrencyConflict", "int"]
    assert committed_seqs(log_file.path, "race") == [1]


async def test_a_stale_writer_after_a_commit_gets_a_conflict(log_file: LogFile) -> None:
    await log_file.append("stale", 0, [event(1)])
    with pytest.raises(ConcurrencyConflict, match="stale"):
        await log_file.append("stale", 0, [event(9)])
    assert [e.data["by"] for e in (await log_file.load("stale")).events] == [1]


async def test_a_failed_unit_leaves_nothing_behind_and_spares_its_batch(log_file: LogFile) -> None:
    bad = WriteUnit(
        "bad",
        0,
        events=[event(1)],
        outbox=[("t", {"x": 1})],
        alarms_set={"ttl": (1.0, 0)},
        rows=[RowWrite("no_such_table", (("k", 1),), {"k": 1})],
    )
    good = WriteUnit("good", 0, events=[event(2)])
    results = await asyncio.gather(
        log_file.submit(bad), log_file.submit(good), return_exceptions=True
    )
    assert isinstance(results[0], CommitFailed)
    assert results[1] is None
    assert committed_seqs(log_file.path, "bad") == []
    assert committed_seqs(log_file.path, "good") == [1]
    assert await log_file.alarms_of("bad") == []
    assert await log_file.query("SELECT count(*) FROM outbox") == [(0,)]


async def test_writes_queued_behind_a_failed_write_to_the_same_stream_fail_too(
    log_file: LogFile,
) -> None:
    await log_file.append("s", 0, [event(1)])
    conflicting = log_file.submit(WriteUnit("s", 0, events=[event(2)]))
    built_on_it = log_file.submit(WriteUnit("s", 1, events=[event(3)]))
    results = await asyncio.gather(conflicting, built_on_it, return_exceptions=True)
    assert isinstance(results[0], ConcurrencyConflict)
    assert isinstance(results[1], CommitFailed)
    assert committed_seqs(log_file.path, "s") == [1]


async def test_load_starts_from_the_latest_snapshot(log_file: LogFile) -> None:
    await log_file.append("o", 0, [event(1), event(2)])
    await log_file.submit(WriteUnit("o", 2, events=[event(3)], snapshot={"total": 6}))
    await log_file.append("o", 3, [event(4)])
    loaded = await log_file.load("o")
    assert (loaded.snapshot_seq, loaded.snapshot) == (3, {"total": 6})
    assert [e.seq for e in loaded.events] == [4]


async def test_alarm_writes_in_one_batch_keep_their_order(log_file: LogFile) -> None:
    await asyncio.gather(
        log_file.submit(WriteUnit("a", 0, alarms_set={"ttl": (50.0, 0)})),
        log_file.submit(WriteUnit("a", 0, alarms_cleared={"ttl"})),
        log_file.submit(WriteUnit("a", 0, alarms_set={"ttl": (70.0, 0), "x": (10.0, 0)})),
    )
    assert [(a.name, a.at) for a in await log_file.alarms_of("a")] == [("x", 10.0), ("ttl", 70.0)]
    assert await log_file.next_alarm_at() == 10.0
    assert [a.name for a in await log_file.due_alarms(now=20.0)] == ["x"]


async def test_owner_rows_are_written_with_the_events(log_file: LogFile) -> None:
    await log_file.submit(
        WriteUnit(
            "wh",
            0,
            events=[event(1)],
            rows=[
                RowWrite("stock", (("sku", "A"),), {"sku": "A", "available": 5}),
                RowWrite("stock", (("sku", "B"),), {"sku": "B", "available": 1}),
                RowWrite("stock", (("sku", "A"),), {"sku": "A", "available": 4}),
                RowWrite("stock", (("sku", "B"),), None),
            ],
        )
    )
    assert await log_file.query("SELECT sku, available FROM stock") == [("A", 4)]


async def test_objects_are_listed_by_prefix_owner_and_status(log_file: LogFile) -> None:
    await asyncio.gather(
        log_file.submit(WriteUnit("cart-1", 0, events=[event(1)], owner="ann", status="open")),
        log_file.submit(WriteUnit("cart-2", 0, events=[event(1)], owner="bob", status="open")),
        log_file.submit(WriteUnit("order-1", 0, events=[event(1)], owner="ann")),
    )
    assert [r.stream for r in await log_file.list_objects(prefix="cart-")] == ["cart-1", "cart-2"]
    assert [r.stream for r in await log_file.list_objects(owner="ann")] == ["cart-1", "order-1"]
    assert [r.stream for r in await log_file.list_objects(prefix="cart-1")] == ["cart-1"]
    page = await log_file.list_objects(status="open", after="cart-1")
    assert [r.stream for r in page] == ["cart-2"]


async def test_idempotency_results_are_kept_with_the_write(log_file: LogFile) -> None:
    await log_file.submit(WriteUnit("s", 0, events=[event(1)], idempotency=("k1", b"first")))
    assert await log_file.lookup_result("k1") == b"first"
    assert await log_file.lookup_result("k2") is None


async def test_destroying_a_stream_removes_it_before_later_writes_in_the_batch(
    log_file: LogFile,
) -> None:
    await log_file.append("cart-x", 0, [event(1), event(2)], alarms_set={"ttl": (5.0, 0)})
    await asyncio.gather(
        log_file.submit(WriteUnit("cart-x", 2, events=[event(3)])),
        log_file.submit(WriteUnit("cart-x", 3, destroy=True)),
        log_file.submit(WriteUnit("cart-x", 0, events=[event(9)])),
    )
    assert [e.data["by"] for e in (await log_file.load("cart-x")).events] == [9]
    assert await log_file.alarms_of("cart-x") == []


async def test_load_says_whether_results_of_a_streams_calls_are_stored(log_file: LogFile) -> None:
    await log_file.submit(WriteUnit("s", 0, events=[event(1)], idempotency=("k1", b"first")))
    await log_file.append("t", 0, [event(1)])
    assert (await log_file.load("s")).has_results
    assert not (await log_file.load("t")).has_results
    assert not (await log_file.load("never-written")).has_results
