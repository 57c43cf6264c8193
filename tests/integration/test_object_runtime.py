"""The durable object runtime on a real local Ray, with real files (issue: foundation)."""

import asyncio

import pytest
import ray

from durable import Application, Objects, RuntimeConfig
from tests.conftest import eventually, kill_process
from tests.integration.kinds import Counter, Ledger

pytestmark = pytest.mark.usefixtures("ray_cluster")


@pytest.fixture(scope="module")
def shop(ray_cluster: None, runtime_config: RuntimeConfig) -> Objects:
    shop = Objects(Application("runtime-tests", kinds=(Counter, Ledger)), runtime_config)
    shop.ensure_hosts()
    return shop


def host_pid(shop: Objects, key: str) -> int:
    name, arg = shop.counters.host_for(key)
    return ray.get(shop.counters.handle(name, arg).ready.remote())


async def test_concurrent_calls_on_one_object_never_interleave(shop: Objects) -> None:
    counter = shop.counters.get("busy")
    results = await asyncio.gather(*(counter.increment(pause_s=0.001) for _ in range(200)))
    state = await counter.read()
    assert sorted(results) == list(range(1, 201))
    assert state["value"] == 200
    assert state["interleavings"] == 0


async def test_many_objects_run_concurrently_on_one_host(shop: Objects) -> None:
    keys = [f"many-{i}" for i in range(50)]
    started = asyncio.get_running_loop().time()
    await asyncio.gather(*(shop.counters.get(k).increment(pause_s=0.5) for k in keys))
    elapsed = asyncio.get_running_loop().time() - started
    assert elapsed < 0.5 * len(keys) / 4, "objects must not wait for each other"


async def test_acknowledged_writes_survive_a_host_killed_with_sigkill(shop: Objects) -> None:
    counter = shop.counters.get("crash")
    for _ in range(30):
        await counter.increment()
    kill_process(host_pid(shop, "crash"))
    state = await counter.read()
    assert state["value"] == 30


async def test_an_alarm_set_before_a_kill_fires_after_the_restart(shop: Objects) -> None:
    counter = shop.counters.get("sleeper")
    await counter.wake_me("ring", delay_s=1.0)
    kill_process(host_pid(shop, "sleeper"))
    state = await eventually(counter.read, lambda s: s["fired"], what="the alarm")
    assert state["fired"] == ["ring"]


async def test_an_overdue_alarm_fires_once_the_host_is_back(shop: Objects) -> None:
    counter = shop.counters.get("overdue")
    pid = host_pid(shop, "overdue")
    await counter.wake_me("late", delay_s=0.0)
    kill_process(pid)
    state = await eventually(counter.read, lambda s: s["fired"], what="the overdue alarm")
    assert state["fired"] == ["late"]


async def test_an_alarm_handler_calls_other_objects_as_any_call_does(shop: Objects) -> None:
    await shop.counters.get("alarmist").wake_me("poke:poked", delay_s=0.0)
    poked = await eventually(
        shop.counters.get("poked").read, lambda s: s["value"] == 1, what="the poke"
    )
    assert poked["value"] == 1


async def test_a_passivated_object_reactivates_with_identical_state(shop: Objects) -> None:
    counter = shop.counters.get("napper")
    for _ in range(25):  # past two snapshots (every 10 events) and a tail of 5
        await counter.increment(by=3)
    await counter.wake_me("later", delay_s=3600)
    before = await counter.read()
    name, arg = shop.counters.host_for("napper")
    host = shop.counters.handle(name, arg)
    assert ray.get(host.passivate_idle.remote(0.0)) >= 1
    assert await counter.read() == before
    assert before["value"] == 75


async def test_a_stub_call_interrupted_by_a_host_death_completes_exactly_once(
    shop: Objects,
) -> None:
    counter = shop.counters.get("interrupted")
    pid = host_pid(shop, "interrupted")
    calls = [asyncio.ensure_future(counter.increment(pause_s=0.02)) for _ in range(100)]
    await eventually(counter.read, lambda s: s["value"] >= 10, what="calls to start landing")
    kill_process(pid)
    results = await asyncio.gather(*calls)
    state = await counter.read()
    assert state["value"] == 100
    assert sorted(results) == list(range(1, 101))


async def test_a_call_that_fails_after_emitting_changes_nothing(shop: Objects) -> None:
    counter = shop.counters.get("broken")
    await counter.increment(by=5)
    with pytest.raises(RuntimeError, match="failed halfway"):
        await counter.break_after_emitting()
    assert (await counter.read())["value"] == 5


async def test_a_repeated_idempotency_key_returns_the_first_answer(shop: Objects) -> None:
    counter = shop.counters.get("idem")
    first = await counter.increment(by=2, idempotency_key="order-1:reserve")
    again = await counter.increment(by=2, idempotency_key="order-1:reserve")
    assert first == again == 2
    assert (await counter.read())["value"] == 2


async def test_a_repeated_key_is_recognised_after_a_restart(shop: Objects) -> None:
    counter = shop.counters.get("idem-restart")
    await counter.increment(by=4, idempotency_key="k-restart")
    kill_process(host_pid(shop, "idem-restart"))
    assert await counter.increment(by=4, idempotency_key="k-restart") == 4
    assert (await counter.read())["value"] == 4


async def test_objects_are_listed_by_key_prefix_and_status(shop: Objects) -> None:
    for i in range(6):
        await shop.counters.get(f"list-{i}").increment(by=i)
    listed = await shop.counters.list(prefix="list-")
    assert [row.stream for row in listed] == [f"list-{i}" for i in range(6)]
    odd = await shop.counters.list(prefix="list-", status="odd")
    assert [row.stream for row in odd] == ["list-1", "list-3", "list-5"]
    page = await shop.counters.list(prefix="list-", after="list-3", limit=2)
    assert [row.stream for row in page] == ["list-4", "list-5"]


async def test_dedicated_objects_get_their_own_host_and_file(
    shop: Objects, runtime_config: RuntimeConfig
) -> None:
    assert await shop.ledgers.get("north").post(ref="a", amount=5) == 5
    assert await shop.ledgers.get("south").post(ref="b", amount=7) == 7
    assert await shop.ledgers.get("north").post(ref="c", amount=1) == 6
    listed = await shop.ledgers.list()
    assert [row.stream for row in listed] == ["north", "south"]
    files = sorted(
        p.name
        for p in (__import__("pathlib").Path(runtime_config.state_dir) / "ledger").glob("*.sqlite")
    )
    assert files == ["north.sqlite", "south.sqlite"]


async def test_calling_an_unmarked_method_is_refused(shop: Objects) -> None:
    with pytest.raises(Exception, match="no callable method 'apply'"):
        await shop.counters.get("x").apply(None)


async def test_an_unexpected_failure_is_not_replayed_to_a_retry(shop: Objects) -> None:
    counter = shop.counters.get("flaky")
    with pytest.raises(RuntimeError):
        await counter.break_after_emitting(idempotency_key="flaky-1")
    assert await counter.increment(by=1, idempotency_key="flaky-1") == 1
