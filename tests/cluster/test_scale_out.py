"""The shop on several Ray nodes of one machine, each mounting its own volume (ARCHITECTURE
§13): nodes added and the partitions rebalanced onto them while checkouts run; the shop group
scaled live; a node holding a volume lost under load and the volume mounted on a new node
(Ray declares a silent node dead after ~3 s here: `bench.cluster`)."""

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from ray.cluster_utils import Cluster

from actors.cart import Cart
from bench.cluster import volume_node
from bench.invariants import check_invariants
from bench.shop_data import checkout_input, ready_cart, stock_shop
from bootstrap import SHOP
from durable import Objects, RuntimeConfig, Saga, rebalance, scale
from tests.conftest import eventually


@pytest.fixture(scope="module")
def shop(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Objects:
    root: Path = tmp_path_factory.mktemp("state-root")
    shop = Objects(SHOP, RuntimeConfig(state_dir=str(root), idle_seconds=3600))
    shop.ensure_hosts()
    asyncio.run(stock_shop(shop, units=100_000))
    return shop


@dataclass
class Checkouts:
    """Checkouts run in a loop by several clients: how each ended, and any call that failed."""

    statuses: dict[str, int] = field(default_factory=dict)
    failures: list[BaseException] = field(default_factory=list)

    @property
    def ended(self) -> int:
        return sum(self.statuses.values())


@contextlib.asynccontextmanager
async def checkouts(shop: Objects, clients: int = 16) -> AsyncIterator[Checkouts]:
    done, stop = Checkouts(), asyncio.Event()

    async def client() -> None:
        while not stop.is_set():
            try:
                payload = checkout_input(await ready_cart(shop))
                saga = shop(Saga).get(payload["checkout_id"])
                outcome = await saga.call(
                    Saga.run, saga_type="checkout", input=payload, timeout_s=180
                )
            except Exception as exc:
                done.failures.append(exc)
            else:
                done.statuses[outcome["status"]] = done.statuses.get(outcome["status"], 0) + 1

    tasks = [asyncio.ensure_future(client()) for _ in range(clients)]
    await eventually(_ended(done), lambda n: n >= clients, timeout_s=120, what="checkouts running")
    try:
        yield done
    finally:
        stop.set()
        await asyncio.gather(*tasks)


def _ended(done: Checkouts) -> Any:
    async def probe() -> int:
        return done.ended

    return probe


async def assert_shop_whole(shop: Objects, done: Checkouts) -> None:
    assert done.failures == []
    assert set(done.statuses) <= {"completed", "compensated"}, done.statuses
    assert await check_invariants(shop) == []


def spread(shop_map: Any, collection: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for slot in shop_map.collections[collection]:
        counts[slot.volume] = counts.get(slot.volume, 0) + 1
    return counts


MOUNTS: dict[str, Any] = {}
"""The worker node mounting each added volume."""


async def test_nodes_added_and_partitions_rebalanced_while_checkouts_run(
    cluster: Cluster, shop: Objects
) -> None:
    for volume in ("v1", "v2"):
        MOUNTS[volume] = cluster.add_node(**volume_node(volume))
    cluster.wait_for_nodes()

    async with checkouts(shop) as done:
        steps = await rebalance(shop)
        ended_before = done.ended
        await eventually(_ended(done), lambda n: n >= ended_before + 16, what="checkouts after")

    assert steps, "nothing moved onto the new volumes"
    await assert_shop_whole(shop, done)
    current = await shop.placement.refresh()
    assert set(current.dedicated["warehouse"].values()) == {"v0", "v1", "v2"}
    for collection in current.collections:
        counts = spread(current, collection)
        assert set(counts) == {"v0", "v1", "v2"} or sum(counts.values()) < 3, (collection, counts)
        assert max(counts.values()) - min(counts.values()) <= 1, (collection, counts)


async def test_the_shop_group_scales_up_and_down_under_load(shop: Objects) -> None:
    async with checkouts(shop) as done:
        for hosts in (1, 4, 2):
            await scale(shop, "shop", hosts)
    await assert_shop_whole(shop, done)
    current = await shop.placement.refresh()
    for volume in ("v0", "v1", "v2"):
        used = {slot.host for slot in current.collections["shop"] if slot.volume == volume}
        assert used <= {0, 1} and used, (volume, current.collections["shop"])


async def test_a_volume_mounted_again_on_a_new_node_serves_every_acknowledged_write(
    cluster: Cluster, shop: Objects
) -> None:
    current = await shop.placement.refresh()
    on_lost_volume = current.collections["shop"].index(
        next(slot for slot in current.collections["shop"] if slot.volume == "v2")
    )
    cart_id = next(
        key for key in (f"lost-{n}" for n in range(1000)) if partition_of(key) == on_lost_volume
    )
    await shop(Cart).get(cart_id).call(Cart.add_product, sku="TEA", quantity=3, owner="customer-1")

    async with checkouts(shop) as done:
        removed_at = time.monotonic()
        cluster.remove_node(MOUNTS["v2"], allow_graceful=False)
        MOUNTS["v2"] = cluster.add_node(**volume_node("v2"))  # the disk, on a new node
        view = await shop(Cart).get(cart_id).call(Cart.view)  # waits while v2 comes back
        recovery_s = time.monotonic() - removed_at
        ended_at_loss = done.ended
        await eventually(_ended(done), lambda n: n >= ended_at_loss + 16, what="checkouts after")

    print(f"\nnode holding v2 lost -> its objects served again: {recovery_s:.1f} s")
    assert [(line["sku"], line["quantity"]) for line in view["lines"]] == [("TEA", 3)]
    await assert_shop_whole(shop, done)


def partition_of(key: str) -> int:
    return Cart.placement.partition_of(key)  # type: ignore[union-attr]
