"""The durable object runtime on a real local Ray, with real files (issue: foundation)."""

import asyncio

import pytest
import ray

from durable import Application, Objects, RuntimeConfig
from durable.placement.volumes import HOME_VOLUME, volume_dir
from tests.conftest import eventually, kill_process
from tests.integration.kinds import Counter, Ledger

pytestmark = pytest.mark.usefixtures("ray_cluster")


@pytest.fixture(scope="module")
def shop(ray_cluster: None, runtime_config: RuntimeConfig) -> Objects:
    shop = Objects(Application("runtime-tests", kinds=(Counter, Ledger)), runtime_config)
    shop.ensure_hosts()
    return shop


async def host_pid(shop: Objects, key: str) -> int:
    pid: int = await (await shop(Counter).host_of(key)).ready.remote()
    return pid


async def test_concurrent_calls_on_one_object_never_interleave(shop: Objects) -> None:
    counter = shop(Counter).get("busy")
    results = await asyncio.gather(
        *(counter.call(Counter.increment, pause_s=0.001) for _ in range(200))
    )
    state = await counter.call(Counter.read)
    assert sorted(results) == list(range(1, 201))
    assert state["value"] == 200
    assert state["interleavings"] == 0


async def test_many_objects_run_concurrently_on_one_host(shop: Objects) -> None:
    keys = [f"many-{i}" for i in range(50)]
    started = asyncio.get_running_loop().time()
    await asyncio.gather(*(shop(Counter).get(k).call(Counter.increment, pause_s=0.5) for k in keys))
    elapsed = asyncio.get_running_loop().time() - started
    assert elapsed < 0.5 * len(keys) / 4, "objects must not wait for each other"


async def test_acknowledged_writes_survive_a_host_killed_with_sigkill(shop: Objects) -> None:
    counter = shop(Counter).get("crash")
    for _ in range(30):
        await counter.call(Counter.increment)
    kill_process(await host_pid(shop, "crash"))
    state = await counter.call(Counter.read)
    assert state["value"] == 30


async def test_an_alarm_set_before_a_kill_fires_after_the_restart(shop: Objects) -> None:
    counter = shop(Counter).get("sleeper")
    await counter.call(Counter.wake_me, "ring", delay_s=1.0)
    kill_process(await host_pid(shop, "sleeper"))
    state = await eventually(
        lambda: counter.call(Counter.read), lambda s: s["fired"], what="the alarm"
    )
    assert state["fired"] == ["ring"]


async def test_an_overdue_alarm_fires_once_the_host_is_back(shop: Objects) -> None:
    counter = shop(Counter).get("overdue")
    pid = await host_pid(shop, "overdue")
    await counter.call(Counter.wake_me, "late", delay_s=0.0)
    kill_process(pid)
    state = await eventually(
        lambda: counter.call(Counter.read), lambda s: s["fired"], what="the overdue alarm"
    )
    assert state["fired"] == ["late"]


async def test_an_alarm_handler_calls_other_objects_as_any_call_does(shop: Objects) -> None:
    await shop(Counter).get("alarmist").call(Counter.wake_me, "poke:poked", delay_s=0.0)
    poked = await eventually(
        lambda: shop(Counter).get("poked").call(Counter.read),
        lambda s: s["value"] == 1,
        what="the poke",
    )
    assert poked["value"] == 1


async def test_a_passivated_object_reactivates_with_identical_state(shop: Objects) -> None:
    counter = shop(Counter).get("napper")
    for _ in range(25):  # past two snapshots (every 10 events) and a tail of 5
        await counter.call(Counter.increment, by=3)
    await counter.call(Counter.wake_me, "later", delay_s=3600)
    before = await counter.call(Counter.read)
    host = await shop(Counter).host_of("napper")
    assert ray.get(host.passivate_idle.remote(0.0)) >= 1
    assert await counter.call(Counter.read) == before
    assert before["value"] == 75


async def test_a_stub_call_interrupted_by_a_host_death_completes_exactly_once(
    shop: Objects,
) -> None:
    counter = shop(Counter).get("interrupted")
    pid = await host_pid(shop, "interrupted")
    calls = [
        asyncio.ensure_future(counter.call(Counter.increment, pause_s=0.02)) for _ in range(100)
    ]
    await eventually(
        lambda: counter.call(Counter.read),
        lambda s: s["value"] >= 10,
        what="calls to start landing",
    )
    kill_process(pid)
    results = await asyncio.gather(*calls)
    state = await counter.call(Counter.read)
    assert state["value"] == 100
    assert sorted(results) == list(range(1, 101))


async def test_a_call_that_fails_after_emitting_changes_nothing(shop: Objects) -> None:
    counter = shop(Counter).get("broken")
    await counter.call(Counter.increment, by=5)
    with pytest.raises(RuntimeError, match="failed halfway"):
        await counter.call(Counter.break_after_emitting)
    assert (await counter.call(Counter.read))["value"] == 5


async def test_a_repeated_idempotency_key_returns_the_first_answer(shop: Objects) -> None:
    counter = shop(Counter).get("idem")
    first = await counter.once("order-1:reserve").call(Counter.increment, by=2)
    again = await counter.once("order-1:reserve").call(Counter.increment, by=2)
    assert first == again == 2
    assert (await counter.call(Counter.read))["value"] == 2


async def test_a_repeated_key_is_recognised_after_a_restart(shop: Objects) -> None:
    counter = shop(Counter).get("idem-restart")
    await counter.once("k-restart").call(Counter.increment, by=4)
    kill_process(await host_pid(shop, "idem-restart"))
    assert await counter.once("k-restart").call(Counter.increment, by=4) == 4
    assert (await counter.call(Counter.read))["value"] == 4


async def test_objects_are_listed_by_key_prefix_and_status(shop: Objects) -> None:
    for i in range(6):
        await shop(Counter).get(f"list-{i}").call(Counter.increment, by=i)
    listed = await shop(Counter).list(prefix="list-")
    assert [row.stream for row in listed] == [f"list-{i}" for i in range(6)]
    odd = await shop(Counter).list(prefix="list-", status="odd")
    assert [row.stream for row in odd] == ["list-1", "list-3", "list-5"]
    page = await shop(Counter).list(prefix="list-", after="list-3", limit=2)
    assert [row.stream for row in page] == ["list-4", "list-5"]


async def test_dedicated_objects_get_their_own_host_and_file(
    shop: Objects, runtime_config: RuntimeConfig
) -> None:
    assert await shop(Ledger).get("north").call(Ledger.post, ref="a", amount=5) == 5
    assert await shop(Ledger).get("south").call(Ledger.post, ref="b", amount=7) == 7
    assert await shop(Ledger).get("north").call(Ledger.post, ref="c", amount=1) == 6
    listed = await shop(Ledger).list()
    assert [row.stream for row in listed] == ["north", "south"]
    files = sorted(
        p.name
        for p in (volume_dir(runtime_config.state_dir, HOME_VOLUME) / "ledger").glob("*.sqlite")
    )
    assert files == ["north.sqlite", "south.sqlite"]


async def test_calling_an_unmarked_method_is_refused(shop: Objects) -> None:
    with pytest.raises(Exception, match="no callable method 'apply'"):
        await shop(Counter).get("x").call(Counter.apply, None)  # type: ignore[arg-type]


async def test_an_unexpected_failure_is_not_replayed_to_a_retry(shop: Objects) -> None:
    counter = shop(Counter).get("flaky")
    with pytest.raises(RuntimeError):
        await counter.once("flaky-1").call(Counter.break_after_emitting)
    assert await counter.once("flaky-1").call(Counter.increment, by=1) == 1
