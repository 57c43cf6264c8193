"""Leases and pushes of read replicas, each side alone; `test_read_replicas` runs them on
real hosts. The other side here is a recording stand-in for the Ray call between them."""

import asyncio
import json
import time
from typing import Any

import pytest

from durable.client import replicas as replicas_module
from durable.client.calls import Reply
from durable.client.replicas import Replicas
from durable.host.followers import Followers
from storage.records import NewEvent
from tests.integration.kinds import NoticeBoard

# the follower's side


class Leader:
    """Answers follow requests as an object's host would, from a board of its own."""

    def __init__(self, lease_s: float = 5.0) -> None:
        self.board = NoticeBoard("lobby")
        self.version = 0
        self.lease_s = lease_s
        self.asked: list[int] = []
        self.reply: Reply | None = None

    def post(self, text: str) -> tuple[int, list[tuple[str, dict[str, Any]]]]:
        self.version += 1
        self.board.state.notices.append(text)
        return self.version, [("Posted", {"text": text})]

    async def follow(self, key: str, version: int) -> Reply:
        self.asked.append(version)
        if self.reply is not None:
            return self.reply
        snapshot = None if version == self.version else self.board.snapshot_json()
        return Reply(True, (self.version, snapshot, self.lease_s))


async def copy_of(replicas: Replicas, key: str = "lobby") -> Any:
    """The copy, once the follower's keeper has fetched it."""
    deadline = time.monotonic() + 30
    while (found := replicas.current(key)) is None:
        assert time.monotonic() < deadline, "no copy arrived"
        await asyncio.sleep(0.01)
    return found


async def test_a_copy_starts_from_the_snapshot_and_takes_pushed_writes() -> None:
    leader = Leader()
    leader.post("a")
    replicas = Replicas(NoticeBoard, leader.follow)

    assert replicas.current("lobby") is None  # the first read goes to the object
    board = await copy_of(replicas)
    assert board.state.notices == ["a"]

    seq, changes = leader.post("b")
    assert replicas.apply("lobby", seq, changes, reset=False)
    assert (await replicas.ask(board, "read", (), {}))["notices"] == ["a", "b"]
    assert replicas.apply("lobby", seq, changes, reset=False), "a repeated push changes nothing"
    assert board.state.notices == ["a", "b"]


async def test_a_copy_that_missed_a_write_is_dropped() -> None:
    leader = Leader()
    replicas = Replicas(NoticeBoard, leader.follow)
    await copy_of(replicas)

    leader.post("missed")
    seq, changes = leader.post("after the gap")
    assert not replicas.apply("lobby", seq, changes, reset=False)
    assert replicas.current("lobby") is None


async def test_a_deleted_object_drops_the_copy() -> None:
    replicas = Replicas(NoticeBoard, Leader().follow)
    await copy_of(replicas)

    assert not replicas.apply("lobby", 1, [], reset=True)
    assert replicas.current("lobby") is None


async def test_a_push_without_a_copy_voids_the_lease_asked_for_meanwhile() -> None:
    leader = Leader()
    stale: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
    asked = 0

    async def follow(key: str, version: int) -> Reply:
        nonlocal asked
        asked += 1
        return await stale if asked == 1 else await leader.follow(key, version)

    replicas = Replicas(NoticeBoard, follow)
    assert replicas.current("lobby") is None  # a lease is being asked for
    await asyncio.sleep(0)
    seq, changes = leader.post("pushed before the lease came back")
    assert not replicas.apply("lobby", seq, changes, reset=False)
    stale.set_result(Reply(True, (0, NoticeBoard("lobby").snapshot_json(), 5.0)))

    board = await copy_of(replicas)
    assert board.state.notices == ["pushed before the lease came back"]
    assert asked == 2, "the lease granted before the push was not used"


async def test_no_lease_no_copy() -> None:
    leader = Leader()
    leader.reply = Reply(False, RuntimeError("the object's host is restarting"))
    replicas = Replicas(NoticeBoard, leader.follow)

    assert replicas.current("lobby") is None
    for _ in range(10):
        await asyncio.sleep(0)
    assert leader.asked == [-1]
    assert replicas.current("lobby") is None


async def test_an_object_no_longer_read_is_no_longer_followed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(replicas_module, "IDLE_S", 0.05)
    monkeypatch.setattr(replicas_module, "RETRY_S", 0.01)
    leader = Leader()
    leader.reply = Reply(False, RuntimeError("the object's host refuses leases"))
    replicas = Replicas(NoticeBoard, leader.follow)
    assert replicas.current("lobby") is None

    keeper = replicas._keepers["lobby"]
    deadline = time.monotonic() + 30
    while not keeper.done():
        assert time.monotonic() < deadline, "still asking for a lease nobody reads"
        await asyncio.sleep(0.01)
    assert leader.asked, "it asked for a lease while the object was read"


async def test_a_copy_expires_with_its_lease() -> None:
    leader = Leader(lease_s=0.2)
    replicas = Replicas(NoticeBoard, leader.follow)
    await copy_of(replicas)

    leader.reply = Reply(False, RuntimeError("unreachable"))
    deadline = time.monotonic() + 30
    while replicas.current("lobby") is not None:
        assert time.monotonic() < deadline, "a copy outlived its lease"
        await asyncio.sleep(0.01)


async def test_a_query_that_writes_cannot_be_a_replica_query() -> None:
    replicas = Replicas(NoticeBoard, Leader().follow)
    board = await copy_of(replicas)

    with pytest.raises(RuntimeError, match="cannot be a replica query"):
        await replicas.ask(board, "post", (), {"text": "from a copy"})
    assert replicas.current("lobby") is None


# the object host's side


class Follower:
    """A follower's host as the leader calls it: `replica_push.remote(...)`."""

    def __init__(self, answer: bool | Exception = True, delay_s: float = 0.0) -> None:
        self.answer = answer
        self.delay_s = delay_s
        self.pushed: list[tuple[Any, ...]] = []
        self.replica_push = self

    def remote(self, *args: Any) -> Any:
        self.pushed.append(args)
        return self._answer()

    async def _answer(self) -> bool:
        await asyncio.sleep(self.delay_s)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def written(*texts: str) -> list[NewEvent]:
    return [NewEvent("Posted", {"text": text}) for text in texts]


async def test_a_write_is_pushed_to_each_leased_follower() -> None:
    followers = Followers("notice_board", lease_s=5.0, inherited=False)
    first, second = Follower(), Follower()
    followers.grant("lobby", "shop-0", first)
    followers.grant("lobby", "shop-1", second)

    await followers.push("lobby", 4, written("x"), reset=False)

    expected = ("notice_board", "lobby", 4, [("Posted", {"text": "x"})], False)
    assert first.pushed == [expected]
    assert second.pushed == [expected]
    await followers.push("lobby", 5, written("y"), reset=False)
    assert len(first.pushed) == len(second.pushed) == 2, "both keep their leases"


async def test_a_follower_that_dropped_its_copy_loses_its_lease() -> None:
    followers = Followers("notice_board", lease_s=5.0, inherited=False)
    dropped = Follower(answer=False)
    followers.grant("lobby", "shop-0", dropped)

    await followers.push("lobby", 1, written("x"), reset=False)
    await followers.push("lobby", 2, written("y"), reset=False)
    assert len(dropped.pushed) == 1, "no pushes after it said its copy was gone"


async def test_an_unreachable_follower_holds_a_write_until_its_lease_ends() -> None:
    followers = Followers("notice_board", lease_s=0.3, inherited=False)
    granted = time.monotonic()
    unreachable = Follower(answer=ConnectionError("gone"))
    followers.grant("lobby", "shop-0", unreachable)

    await followers.push("lobby", 1, written("x"), reset=False)
    assert time.monotonic() - granted >= 0.3, "acknowledged while the copy could be read"
    await followers.push("lobby", 2, written("y"), reset=False)
    assert len(unreachable.pushed) == 1, "its lapsed lease is forgotten"


async def test_a_restarted_host_waits_out_leases_granted_before_it_started() -> None:
    started = time.monotonic()
    followers = Followers("notice_board", lease_s=0.3)

    await followers.push("lobby", 1, written("x"), reset=False)
    assert time.monotonic() - started >= 0.3


async def test_a_host_taking_objects_over_waits_out_the_leases_of_the_one_before() -> None:
    followers = Followers("notice_board", lease_s=0.3, inherited=False)
    followers.hold_writes()
    taken_over = time.monotonic()

    await followers.push("lobby", 1, written("x"), reset=False)
    assert time.monotonic() - taken_over >= 0.3


async def test_a_snapshot_restores_a_copy_equal_to_the_object() -> None:
    leader = Leader()
    for text in ("a", "ü", "c"):
        leader.post(text)
    replicas = Replicas(NoticeBoard, leader.follow)
    board = await copy_of(replicas)
    assert json.loads(board.snapshot_json()) == json.loads(leader.board.snapshot_json())
