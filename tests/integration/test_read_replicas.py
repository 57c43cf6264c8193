"""Read replicas on real hosts (issue: HTTP front door, the catalog read on every cart call):
a host answers another object's replica queries from its own leased copy, every write
reaches the copies before it is acknowledged, and neither side's crash lets a copy show
less than the last acknowledged write."""

from typing import Any

import pytest

from durable import Application, Objects, RuntimeConfig
from tests.conftest import eventually, kill_process
from tests.integration.kinds import BoardReader, NoticeBoard

pytestmark = pytest.mark.usefixtures("ray_cluster")


@pytest.fixture(scope="module")
def shop(ray_cluster: None, runtime_config: RuntimeConfig) -> Objects:
    return Objects(Application("replica-tests", kinds=(NoticeBoard, BoardReader)), runtime_config)


async def read_from_copy(shop: Objects, board: str) -> tuple[Any, int]:
    """The reader, once it answers `board`'s reads from its own copy; and its pid."""
    reader = shop(BoardReader).get("reader")
    pid: int = await reader.call(BoardReader.pid)
    await eventually(
        lambda: reader.call(BoardReader.look, board=board),
        lambda seen: seen["pid"] == pid,
        what=f"the reader's host answering {board} from its copy",
    )
    return reader, pid


async def test_a_host_answers_replica_queries_from_its_own_copy(shop: Objects) -> None:
    board = shop(NoticeBoard).get("lobby")
    await board.call(NoticeBoard.post, text="opening hours 9-5")
    board_pid = (await board.call(NoticeBoard.read))["pid"]

    reader, reader_pid = await read_from_copy(shop, "lobby")

    seen = await reader.call(BoardReader.look, board="lobby")
    assert seen == {"notices": ["opening hours 9-5"], "pid": reader_pid}
    assert reader_pid != board_pid


async def test_a_write_is_acknowledged_only_once_the_copies_have_it(shop: Objects) -> None:
    board = shop(NoticeBoard).get("news")
    await board.call(NoticeBoard.post, text="first")
    reader, reader_pid = await read_from_copy(shop, "news")

    for n in range(20):
        await board.call(NoticeBoard.post, text=f"notice {n}")
        seen = await reader.call(BoardReader.look, board="news")
        assert seen["pid"] == reader_pid, "the copy stays leased while the board is written"
        assert seen["notices"][-1] == f"notice {n}"
    assert len(seen["notices"]) == 21


async def test_a_killed_follower_neither_blocks_writes_nor_shows_old_ones(shop: Objects) -> None:
    board = shop(NoticeBoard).get("canteen")
    await board.call(NoticeBoard.post, text="soup")
    reader, reader_pid = await read_from_copy(shop, "canteen")

    kill_process(reader_pid)
    await board.call(NoticeBoard.post, text="salad")  # the dead copy's lease runs out

    seen = await reader.call(BoardReader.look, board="canteen")
    assert seen["notices"] == ["soup", "salad"]
    restarted_pid = await reader.call(BoardReader.pid)
    assert restarted_pid != reader_pid
    await read_from_copy(shop, "canteen")
    await board.call(NoticeBoard.post, text="bread")
    seen = await reader.call(BoardReader.look, board="canteen")
    assert seen == {"notices": ["soup", "salad", "bread"], "pid": restarted_pid}


async def test_after_the_object_host_restarts_no_copy_shows_an_older_write(
    shop: Objects,
) -> None:
    board = shop(NoticeBoard).get("gate")
    await board.call(NoticeBoard.post, text="gate A")
    reader, _ = await read_from_copy(shop, "gate")
    board_pid = (await board.call(NoticeBoard.read))["pid"]

    kill_process(board_pid)
    # the restarted host cannot know the leases granted before: its write waits them out
    await board.call(NoticeBoard.post, text="gate B")

    seen = await reader.call(BoardReader.look, board="gate")
    assert seen["notices"] == ["gate A", "gate B"]
    reader_pid = await reader.call(BoardReader.pid)
    seen = await eventually(
        lambda: reader.call(BoardReader.look, board="gate"),
        lambda answer: answer["pid"] == reader_pid,
        what="a fresh copy from the restarted host",
    )
    assert seen["notices"] == ["gate A", "gate B"]
