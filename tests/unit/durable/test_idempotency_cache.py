"""Which repeated calls the host answers from memory, and which need the file: on a real
SQLite file, wired as a host wires them."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from durable.client.calls import Reply
from durable.host.idempotency import IdempotencyCache, encode
from durable.host.residency import ResidentSet
from durable.kind import DurableObject, Event
from storage import LogFile, NewEvent, WriteUnit


class Note(DurableObject):
    kind = "note"
    collection = "notes"

    def apply(self, event: Event) -> None:
        self.last = event.data["n"]


@pytest.fixture
async def log_file(tmp_path: Path) -> AsyncIterator[LogFile]:
    opened = await LogFile.open(tmp_path / "p000.sqlite")
    yield opened
    await opened.close()


def residents_of(log_file: LogFile) -> ResidentSet:
    return ResidentSet(Note, lambda _: log_file, lambda _: None)


async def answer(
    cache: IdempotencyCache, log_file: LogFile, stream: str, seq: int, key: str, value: int
) -> None:
    """A call on `stream` with `key` answered `value`, as the host records it."""
    reply = Reply(True, value)
    unit = WriteUnit(
        stream, seq, events=[NewEvent("Noted", {"n": value})], idempotency=(key, encode(reply))
    )
    commit = log_file.submit(unit)
    cache.begin(key, commit, reply, stream)
    await commit


async def test_an_object_whose_results_all_passed_through_the_cache_needs_no_read(
    log_file: LogFile,
) -> None:
    residents = residents_of(log_file)
    cache = IdempotencyCache(residents.result_forgotten)
    note = await residents.acquire("note-1")
    assert not note.results_unseen  # a new object: nothing stored before
    await answer(cache, log_file, "note-1", 0, "k1", 7)
    assert await cache.recall("k1", note, fresh=False, log_file=log_file) == Reply(True, 7)
    assert await cache.recall("k2", note, fresh=False, log_file=log_file) is None
    assert not note.results_unseen


async def test_a_result_the_cache_let_go_is_read_back_from_the_file(log_file: LogFile) -> None:
    residents = residents_of(log_file)
    cache = IdempotencyCache(residents.result_forgotten, capacity=1)
    note = await residents.acquire("note-1")
    await answer(cache, log_file, "note-1", 0, "k1", 1)
    await answer(cache, log_file, "note-1", 1, "k2", 2)  # k1 makes room for k2
    assert note.results_unseen
    assert await cache.recall("k1", note, fresh=False, log_file=log_file) == Reply(True, 1)
    assert await cache.recall("k3", note, fresh=False, log_file=log_file) is None


async def test_results_stored_before_activation_are_read_from_the_file(log_file: LogFile) -> None:
    await answer(IdempotencyCache(lambda _: None), log_file, "note-1", 0, "k1", 5)
    residents = residents_of(log_file)  # a restarted host: an empty cache
    cache = IdempotencyCache(residents.result_forgotten)
    note = await residents.acquire("note-1")
    assert note.results_unseen
    assert await cache.recall("k1", note, fresh=False, log_file=log_file) == Reply(True, 5)
    other = await residents.acquire("note-2")  # a stream of the same file without results
    assert not other.results_unseen
