"""Partitions handed between hosts and copied between volumes while clients call them
(ARCHITECTURE §13.3), on two Ray nodes of this machine, each mounting a volume: no call fails
because of a move, no acknowledged write is lost or applied twice, and a move interrupted by
a kill -9 of its source, its target or the keeper driving it, after each phase, ends with
its partition in exactly one place."""

import asyncio
import contextlib
from collections import Counter as Tally
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
import ray
from ray.cluster_utils import Cluster
from ray.exceptions import RayActorError

from bench.cluster import volume_node
from durable import Application, Objects, RuntimeConfig, Slot
from durable.placement.keeper import KEEPER_NAME, MoveFailed
from durable.placement.operator import PlacementRefused, move_partition, scale
from durable.placement.policy import host_of_slot
from durable.placement.volumes import HOME_VOLUME, volume_dir
from tests.conftest import eventually
from tests.integration.kinds import Counter

APP = Application("move-tests", kinds=(Counter,), namespace="move-tests")
KEYS = [f"c-{n}" for n in range(24)]
HANDOFF_TIMEOUT_S = 3.0


@pytest.fixture(scope="module")
def runtime_config(tmp_path_factory: pytest.TempPathFactory) -> RuntimeConfig:
    root = tmp_path_factory.mktemp("state-root")
    return RuntimeConfig(state_dir=str(root), handoff_timeout_s=HANDOFF_TIMEOUT_S)


@pytest.fixture(scope="module")
def shop(cluster: Cluster, runtime_config: RuntimeConfig) -> Objects:
    cluster.add_node(**volume_node("v1"))
    cluster.wait_for_nodes()
    shop = Objects(APP, runtime_config)
    shop.ensure_hosts()
    return shop


class Load:
    """Clients incrementing counters until stopped: what each got acknowledged, and any
    call that failed."""

    def __init__(self) -> None:
        self.acknowledged: Tally[str] = Tally()
        self.failures: list[BaseException] = []


@asynccontextmanager
async def clients(shop: Objects, count: int = 16) -> AsyncIterator[Load]:
    load, stop = Load(), asyncio.Event()

    async def client(n: int) -> None:
        turn = n
        while not stop.is_set():
            key = KEYS[turn % len(KEYS)]
            turn += count
            try:
                await shop(Counter).get(key).call(Counter.increment)
            except Exception as exc:
                load.failures.append(exc)
            else:
                load.acknowledged[key] += 1

    tasks = [asyncio.ensure_future(client(n)) for n in range(count)]
    await eventually(lambda: _count(load), lambda done: done >= 50, what="the load running")
    try:
        yield load
    finally:
        stop.set()
        await asyncio.gather(*tasks)


async def _count(load: Load) -> int:
    return sum(load.acknowledged.values())


async def values(shop: Objects) -> dict[str, int]:
    reads = await asyncio.gather(*(shop(Counter).get(k).call(Counter.read) for k in KEYS))
    return {key: read["value"] for key, read in zip(KEYS, reads, strict=True)}


async def assert_every_acknowledged_write_counted_once(
    shop: Objects, load: Load, before: dict[str, int]
) -> None:
    assert load.failures == []
    after = await values(shop)
    assert {k: after[k] - before[k] for k in KEYS} == {k: load.acknowledged[k] for k in KEYS}


def keeper() -> object:
    return ray.get_actor(KEEPER_NAME, namespace=APP.namespace)


async def test_scaling_up_and_down_under_load_fails_no_call(shop: Objects) -> None:
    before = await values(shop)
    async with clients(shop) as load:
        for hosts in (4, 1, 3):
            steps = await scale(shop, "counter", hosts)
            assert steps, f"scaling to {hosts} moved nothing"
            current = await shop.placement.refresh()
            assert current.slots_of("counter") == [Slot(HOME_VOLUME, h) for h in range(hosts)]
    await assert_every_acknowledged_write_counted_once(shop, load, before)
    names = {a["name"] for a in ray.util.list_named_actors(all_namespaces=True)}
    assert "counter-3@v0" not in names  # a host left without partitions is stopped


async def test_a_scale_that_makes_no_sense_is_refused_and_moves_nothing(shop: Objects) -> None:
    before = await shop.placement.refresh()
    for hosts in (0, -2):
        with pytest.raises(PlacementRefused, match="at least one host"):
            await scale(shop, "counter", hosts)
    with pytest.raises(PlacementRefused, match="no collection 'basket'"):
        await scale(shop, "basket", 2)
    assert (await shop.placement.refresh()).collections == before.collections


async def test_a_partition_moves_to_another_volume_with_every_acknowledged_write(
    shop: Objects, runtime_config: RuntimeConfig
) -> None:
    before = await values(shop)
    async with clients(shop) as load:
        await move_partition(shop, "counter", 1, Slot("v1", 0))
    await assert_every_acknowledged_write_counted_once(shop, load, before)
    current = await shop.placement.refresh()
    assert current.slot("counter", 1) == Slot("v1", 0) and current.move is None
    root = Path(runtime_config.state_dir)
    assert (volume_dir(str(root), "v1") / "counter" / "p001.sqlite").exists()
    assert not (volume_dir(str(root), HOME_VOLUME) / "counter" / "p001.sqlite").exists()
    assert list((root / HOME_VOLUME / "counter").glob("p001.sqlite.moved-e*"))


@pytest.mark.parametrize(
    ("phase", "victim"),
    [
        ("released", "keeper"),
        ("copied", "keeper"),
        ("committed", "keeper"),
        ("released", "source"),
        ("copied", "target"),
        ("committed", "source"),
        ("committed", "target"),
    ],
)
async def test_a_move_interrupted_by_a_kill_ends_in_exactly_one_place(
    shop: Objects, runtime_config: RuntimeConfig, phase: str, victim: str
) -> None:
    current = await shop.placement.refresh()
    source = current.slot("counter", 2)
    target = Slot("v1" if source.volume == HOME_VOLUME else HOME_VOLUME, 0)
    hosts = {"source": source, "target": target}
    action = (
        "kill" if victim == "keeper" else f"kill_actor:{host_of_slot('counter', hosts[victim])}"
    )
    await keeper().arm_fault.remote(f"move:{phase}", action)  # type: ignore[attr-defined]
    before = await values(shop)

    async with clients(shop) as load:
        with contextlib.suppress(MoveFailed, RayActorError):  # called off, or the keeper died:
            await move_partition(shop, "counter", 2, target)  # it must end in one place
        ended = await eventually(
            lambda: shop.placement.refresh(), lambda m: m.move is None, what="the move ended"
        )

    await assert_every_acknowledged_write_counted_once(shop, load, before)
    served_from = ended.slot("counter", 2)
    root = Path(runtime_config.state_dir)
    live = [v for v in (HOME_VOLUME, "v1") if (root / v / "counter" / "p002.sqlite").exists()]
    assert live == [served_from.volume]
    if phase == "committed":
        assert served_from == target  # past the commit a move only goes forward


async def test_a_move_whose_running_calls_do_not_finish_in_time_is_called_off(
    shop: Objects,
) -> None:
    source = (await shop.placement.refresh()).slot("counter", 3)
    key = next(k for k in KEYS if shop(Counter).placement.partition_of(k) == 3)  # type: ignore[union-attr]
    host = await shop(Counter).host_of(key)
    calls_before = (await host.partition_stats.remote()).get(3, (0, 0))[1]
    slow = asyncio.ensure_future(
        shop(Counter).get(key).call(Counter.increment, pause_s=HANDOFF_TIMEOUT_S * 2)
    )
    await eventually(
        lambda: host.partition_stats.remote(),
        lambda stats: stats.get(3, (0, 0))[1] > calls_before,
        what="the slow call running",
    )

    with pytest.raises(MoveFailed, match="did not finish"):
        await move_partition(shop, "counter", 3, Slot("v1", 0))

    assert (await shop.placement.refresh()).slot("counter", 3) == source
    assert await slow == (await shop(Counter).get(key).call(Counter.read))["value"]
