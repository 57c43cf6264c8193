"""Benchmark of scale-out (ARCHITECTURE §13), on three Ray nodes of this machine, each
mounting its own volume:

    python -m bench.placement

1. Move pause: a 1 MB and a 50 MB partition each copied to another volume while 4 clients
   call objects in it; the latency of those calls during the move is the pause they saw.
2. Checkouts per second with the shop group's 16 partitions all on v0 (steady), then the
   same load while `rebalance` spreads every collection over v0, v1 and v2, then again once
   spread (in the same run, so the ratios hold on a noisy machine; the three nodes share
   this machine's cores, so spread is not faster here); calls that failed meanwhile.
3. Node loss: the node mounting v2 is removed, a new node mounts v2; seconds until an
   object on v2 answers again (Ray declares a silent node dead after ~3 s in this setup).
"""

import asyncio
import itertools
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.cluster import volume_cluster, volume_node
from bench.http import direct_shoppers
from bench.kinds import Tally
from bench.load import closed_loop
from bench.local_ray import bench_seconds
from bench.report import percentile, print_figures, print_table
from bench.shop_data import stock_shop
from bootstrap import SHOP
from durable import (
    HOME_VOLUME,
    Objects,
    Partitioned,
    RuntimeConfig,
    Slot,
    move_partition,
    rebalance,
)
from durable.placement.layout import fix_partitions
from durable.placement.policy import partition_file
from storage import LogFile, WriteUnit
from storage.records import NewEvent

CLIENTS = 16
TALLIES = Tally.placement
assert isinstance(TALLIES, Partitioned)
BALLAST_EVENT = "x" * 10_000
SIZES_MB = {"1mb": (0, 1), "50mb": (1, 50)}  # name: (tally partition, megabytes)
_carts = itertools.count()


def keys_in(partition: int, count: int) -> list[str]:
    """`count` tally keys that hash to `partition`."""
    keys = (f"t-{n}" for n in itertools.count())
    return list(itertools.islice((k for k in keys if TALLIES.partition_of(k) == partition), count))


async def fill_partition(root: str, partition: int, megabytes: int) -> None:
    """Ballast events in a tally partition's file, written before its host first opens it."""
    volume = Path(root) / HOME_VOLUME
    fix_partitions(str(volume), Tally.kind, TALLIES.partitions)
    log_file = await LogFile.open(
        partition_file(volume, Tally.kind, partition), synchronous="NORMAL"
    )
    ballast = [NewEvent("Ballast", {"pad": BALLAST_EVENT})]
    units = [
        WriteUnit(f"ballast-{partition}-{n}", 0, events=ballast) for n in range(megabytes * 100)
    ]
    await asyncio.gather(*(log_file.submit(unit) for unit in units))
    await log_file.close(checkpoint=True)


async def move_pause(shop: Objects, partition: int) -> list[float]:
    """Latencies (ms) of calls on the partition while it moves from v0 to v1."""
    keys = keys_in(partition, 4)
    latencies: list[float] = []
    moving = asyncio.Event()
    stop = asyncio.Event()

    async def client(key: str) -> None:
        tally = shop(Tally).get(key)
        while not stop.is_set():
            started = time.perf_counter()
            await tally.call(Tally.add, by=1)
            if moving.is_set():
                latencies.append((time.perf_counter() - started) * 1000)

    clients = [asyncio.ensure_future(client(key)) for key in keys]
    await asyncio.sleep(1.0)  # steady before the move
    moving.set()
    await move_partition(shop, "tally", partition, Slot("v1", 0))
    stop.set()
    await asyncio.gather(*clients)
    return latencies


def checkout_flows(shop: Objects) -> Any:
    """The shop's own checkout, as its HTTP routes make it (`bench.http`): two adds, the
    cart readied, the checkout saga with ids tagged by the cart, so that one checkout's
    objects share one partition wherever it moves."""
    return direct_shoppers(shop, CLIENTS)


async def rebalance_under_load(shop: Objects) -> dict[str, Any]:
    """Checkouts in a closed loop while the rebalance runs; its seconds and their rate."""
    failures: list[BaseException] = []
    done = 0
    stop = asyncio.Event()

    flow = checkout_flows(shop)

    async def client(n: int) -> None:
        nonlocal done
        while not stop.is_set():
            try:
                await flow(n)
                done += 1
            except Exception as exc:
                failures.append(exc)

    clients = [asyncio.ensure_future(client(n)) for n in range(CLIENTS)]
    await asyncio.sleep(2.0)  # the loop up to speed
    done, started = 0, time.perf_counter()
    steps = await rebalance(shop)
    seconds = time.perf_counter() - started
    finished = done
    stop.set()
    await asyncio.gather(*clients)
    return {
        "moves": len(steps),
        "seconds": seconds,
        "per_s": finished / seconds,
        "failed": len(failures),
    }


async def node_loss(shop: Objects, cluster: Any, node: Any) -> float:
    """Seconds from removing the node that mounts v2 until an object on v2 answers again,
    served by a new node that mounts the same volume."""
    current = await shop.placement.refresh()
    on_v2 = next(p for p, slot in enumerate(current.collections["tally"]) if slot.volume == "v2")
    tally = shop(Tally).get(keys_in(on_v2, 1)[0])
    await tally.call(Tally.add, by=1)
    started = time.perf_counter()
    cluster.remove_node(node, allow_graceful=False)
    cluster.add_node(**volume_node("v2"))
    await tally.call(Tally.add, by=1)  # the stub retries until the host is back
    return time.perf_counter() - started


async def measure(shop: Objects, cluster: Any, v2_node: Any, seconds: float) -> dict[str, Any]:
    pauses = {name: await move_pause(shop, partition) for name, (partition, _) in SIZES_MB.items()}
    flow = checkout_flows(shop)
    await closed_loop(flow, CLIENTS, min(5.0, seconds))  # warm-up
    steady = await closed_loop(flow, CLIENTS, seconds)
    balanced = await rebalance_under_load(shop)
    spread = await closed_loop(flow, CLIENTS, seconds)
    recovery = await node_loss(shop, cluster, v2_node)
    return {
        "pauses": pauses,
        "steady": steady,
        "rebalance": balanced,
        "spread": spread,
        "recovery_s": recovery,
    }


def main() -> None:
    seconds = bench_seconds(15)
    root = tempfile.mkdtemp(prefix="rayshop-bench-placement-")
    config = RuntimeConfig(state_dir=root, partitions={"shop": 16}, idle_seconds=3600)
    with volume_cluster("rayshop-bench-placement") as cluster:
        cluster.add_node(**volume_node("v1"))
        v2_node = cluster.add_node(**volume_node("v2"))
        cluster.wait_for_nodes()
        for partition, megabytes in SIZES_MB.values():
            asyncio.run(fill_partition(root, partition, megabytes))
        shop = Objects(SHOP.with_kinds(Tally), config)
        shop.ensure_hosts()
        asyncio.run(stock_shop(shop, units=10_000_000))
        figures = asyncio.run(measure(shop, cluster, v2_node, seconds))
    shutil.rmtree(root, ignore_errors=True)
    report(figures)


def report(figures: dict[str, Any]) -> None:
    pauses, steady, balanced = figures["pauses"], figures["steady"], figures["rebalance"]
    every_pause = [ms for found in pauses.values() for ms in found]
    rows = [
        (f"move pause {name} p50 / max ms", percentile(found, 50), f"max {max(found):,.0f}")
        for name, found in pauses.items()
    ]
    rows += [
        ("checkouts/s steady (16 partitions on v0)", steady["per_s"], ""),
        ("checkouts/s during rebalance", balanced["per_s"], f"{balanced['moves']} moves"),
        ("checkouts/s after (spread over 3 nodes)", figures["spread"]["per_s"], "same 2 cores"),
        ("rebalance s (1 -> 3 volumes)", balanced["seconds"], ""),
        ("failed calls during rebalance", balanced["failed"], "target 0"),
        ("node loss -> served again s", figures["recovery_s"], "target <= 60"),
    ]
    print_table("Scale-out: moves, rebalance, node loss (3 nodes on one machine)", rows)
    print()
    print_figures(
        {
            "move_pause_p50_ms": percentile(every_pause, 50),
            "move_pause_max_ms": max(every_pause),
            **{f"move_pause_max_ms_{name}": max(found) for name, found in pauses.items()},
            "rebalance_s": balanced["seconds"],
            "rebalance_moves": balanced["moves"],
            "failed_calls_during_rebalance": balanced["failed"],
            "node_loss_recovery_s": figures["recovery_s"],
            "checkout_per_s_steady": steady["per_s"],
            "checkout_per_s_during_rebalance": balanced["per_s"],
            "checkout_ratio_during_rebalance": balanced["per_s"] / steady["per_s"],
            "checkout_per_s_after_rebalance": figures["spread"]["per_s"],
            "checkout_ratio_during_to_after": balanced["per_s"] / figures["spread"]["per_s"],
        }
    )


if __name__ == "__main__":
    main()
