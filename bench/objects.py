"""Benchmark of the durable object runtime (issue: foundation).

    python -m bench.objects

Starts its own local Ray with state in a temporary directory, and measures in one run:
activation of passivated objects against creating one Ray actor per object; memory of a host
holding many objects against one plain Ray actor; durable calls on one hot object and on many
objects against plain async Ray actors that store nothing.
"""

import asyncio
import random
import sqlite3
import time
from collections.abc import Awaitable, Callable
from typing import Any

import psutil
import ray

from actors.cart import Cart
from bench.kinds import OneHostCart, PlainTally, Tally
from bench.local_ray import bench_seconds, local_ray
from bench.report import median, percentile, print_figures, print_table
from bootstrap import SHOP
from durable import Objects, RuntimeConfig
from durable.placement.policy import partition_file
from durable.placement.volumes import HOME_VOLUME, volume_dir
from storage import LogFile, NewEvent, WriteUnit

SKUS = [f"SKU-{n}" for n in range(5)]
IN_FLIGHT = 64


async def closed_loop(call: Callable[[int], Awaitable[Any]], seconds: float) -> float:
    """Calls per second of IN_FLIGHT callers, each calling again as soon as answered."""
    stop_at = time.perf_counter() + seconds
    done = [0] * IN_FLIGHT

    async def caller(worker: int) -> None:
        while time.perf_counter() < stop_at:
            await call(worker)
            done[worker] += 1

    started = time.perf_counter()
    await asyncio.gather(*(caller(w) for w in range(IN_FLIGHT)))
    return sum(done) / (time.perf_counter() - started)


async def measured(call: Callable[[int], Awaitable[Any]], seconds: float) -> float:
    await closed_loop(call, seconds / 4)  # warm-up: handles, activations, page cache
    return await closed_loop(call, seconds)


# activation


PRICE = {"amount": 25_000, "currency": "IDR"}
ADDRESSES = [
    {
        "recipient": name,
        "line1": f"Jl. Merdeka {n}",
        "city": "Jakarta",
        "region": "ID-JK",
        "postal_code": "10110",
    }
    for n, name in enumerate(("Ani", "Budi", "Citra"))
]


async def build_history(shop: Objects, key: str, events: int) -> None:
    """Address changes: events that need no other object (adding a line asks the catalog
    for its price), so only the cart's own log is measured."""
    cart = shop(Cart).get(key)
    for n in range(events):
        await cart.call(Cart.set_address, address=ADDRESSES[n % len(ADDRESSES)])


async def measure_activation(shop: Objects, objects: int = 200) -> dict[str, float]:
    """First call on a passivated object whose log holds a snapshot plus 0-99 events."""
    rng = random.Random(7)
    keys = [f"act-{n}" for n in range(objects)]
    await asyncio.gather(*(build_history(shop, k, 100 + rng.randrange(100)) for k in keys))
    for name, arg in await shop(Cart)._hosts():
        await shop(Cart).handle(name, arg).passivate_idle.remote(0.0)
    samples = []
    for key in keys:
        started = time.perf_counter()
        await shop(Cart).get(key).call(Cart.view)
        samples.append((time.perf_counter() - started) * 1000)
    warm = []
    for key in keys:
        started = time.perf_counter()
        await shop(Cart).get(key).call(Cart.view)
        warm.append((time.perf_counter() - started) * 1000)
    return {
        "activation_p50_ms": median(samples),
        "activation_p99_ms": percentile(samples, 99),
        "resident_call_p50_ms": median(warm),
    }


def measure_actor_creation(samples: int = 9) -> dict[str, float]:
    """The baseline of one Ray actor per object: create it and get its first answer."""
    plain = ray.remote(PlainTally)
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        actor = plain.remote()
        ray.get(actor.ping.remote())
        times.append((time.perf_counter() - started) * 1000)
        ray.kill(actor)
    return {"ray_actor_create_ms": median(times)}


# memory


async def write_passivated_carts(config: RuntimeConfig, count: int) -> None:
    """Carts with 5 lines each, written to the host's files before it starts."""
    placement = OneHostCart.placement
    files = {
        p: await LogFile.open(
            partition_file(volume_dir(config.state_dir, HOME_VOLUME), OneHostCart.kind, p),
            synchronous="NORMAL",
        )
        for p in range(placement.partitions)
    }
    pending = []
    for n in range(count):
        key = f"mem-{n:06d}"
        events = [
            NewEvent(
                "ItemAdded", {"line": {"sku": sku, "quantity": 1 + n % 3, "unit_price": PRICE}}
            )
            for sku in SKUS
        ]
        unit = WriteUnit(key, 0, events=events)
        pending.append(files[placement.partition_of(key)].submit(unit))
        if len(pending) >= 5000:
            await asyncio.gather(*pending)
            pending.clear()
    await asyncio.gather(*pending)
    for log_file in files.values():
        await log_file.close()


def objects_on_disk(config: RuntimeConfig) -> int:
    """Counted from the files themselves, read-only, beside the running host."""
    total = 0
    for p in range(OneHostCart.placement.partitions):
        path = partition_file(volume_dir(config.state_dir, HOME_VOLUME), OneHostCart.kind, p)
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            total += conn.execute("SELECT count(*) FROM objects").fetchone()[0]
    return total


def rss_mb(pid: int) -> float:
    return psutil.Process(pid).memory_info().rss / 2**20


async def measure_memory(shop: Objects, resident: int) -> dict[str, float]:
    client = shop(OneHostCart)
    (host_pid,) = await client.ensure_hosts()
    empty_rss = rss_mb(host_pid)
    keys = [f"mem-{n:06d}" for n in range(resident)]
    for start in range(0, resident, 500):
        await asyncio.gather(
            *(client.get(k).call(OneHostCart.view) for k in keys[start : start + 500])
        )
    name, arg = (await client._hosts())[0]
    held = await client.handle(name, arg).resident_count.remote()
    plain = ray.remote(PlainTally).remote()
    plain_pid = ray.get(plain.ping.remote())
    figures = {
        "resident_objects": held,
        "passivated_objects": objects_on_disk(shop.config) - held,
        "host_rss_mb": rss_mb(host_pid),
        "host_rss_empty_mb": empty_rss,
        "ray_actor_rss_mb": rss_mb(plain_pid),
    }
    ray.kill(plain)
    return figures


# throughput


async def measure_hot(shop: Objects, seconds: float) -> dict[str, float]:
    hot = shop(Tally).get("hot")
    ours = await measured(lambda _: hot.call(Tally.add, by=1), seconds)
    plain = ray.remote(PlainTally).remote()
    await plain.ping.remote()
    raw = await measured(lambda _: plain.add.remote("hot", 1), seconds)
    ray.kill(plain)
    return {"hot_object_calls_per_s": ours, "raw_ray_calls_per_s": raw, "hot_ratio": ours / raw}


async def measure_spread(shop: Objects, seconds: float, objects: int = 1000) -> dict[str, float]:
    keys = [f"spread-{n}" for n in range(objects)]
    stubs = [shop(Tally).get(k) for k in keys]
    counters = [0] * IN_FLIGHT

    def next_index(worker: int) -> int:
        counters[worker] += 1
        return (worker * 7919 + counters[worker] * 104729) % objects

    ours = await measured(lambda w: stubs[next_index(w)].call(Tally.add, by=1), seconds)
    plains = [ray.remote(PlainTally).remote() for _ in range(2)]
    await asyncio.gather(*(p.ping.remote() for p in plains))

    def plain_call(worker: int) -> Any:
        index = next_index(worker)
        return plains[index % 2].add.remote(keys[index], 1)

    raw = await measured(plain_call, seconds)
    for plain in plains:
        ray.kill(plain)
    return {
        "spread_calls_per_s": ours,
        "raw_spread_calls_per_s": raw,
        "spread_ratio": ours / raw,
    }


def main() -> None:
    started = time.perf_counter()
    with local_ray("objects") as state_dir:
        config = RuntimeConfig(state_dir=state_dir, idle_seconds=3600, snapshot_every=100)
        seconds = bench_seconds(8)
        asyncio.run(write_passivated_carts(config, 110_000))
        shop = Objects(SHOP.with_kinds(OneHostCart, Tally), config)
        shop.ensure_hosts()
        figures: dict[str, Any] = {}
        figures |= asyncio.run(measure_activation(shop))
        figures |= measure_actor_creation()
        figures["activation_speedup"] = (
            figures["ray_actor_create_ms"] / figures["activation_p50_ms"]
        )
        figures |= asyncio.run(measure_memory(shop, resident=10_000))
        figures |= asyncio.run(measure_hot(shop, seconds))
        figures |= asyncio.run(measure_spread(shop, seconds))
        figures["bench_seconds"] = time.perf_counter() - started
    report(figures)


def report(f: dict[str, Any]) -> None:
    print_table(
        "Activation (first call on a passivated object: snapshot + 0-99 events)",
        [
            ("activation p50 ms", f["activation_p50_ms"], "target <= 5"),
            ("activation p99 ms", f["activation_p99_ms"], ""),
            ("resident call p50 ms", f["resident_call_p50_ms"], "same call, object in memory"),
            ("plain Ray actor create ms", f["ray_actor_create_ms"], "one actor per object"),
            ("activation speedup", f["activation_speedup"], "target >= 50"),
        ],
    )
    print_table(
        "Memory (one host)",
        [
            ("resident objects", f["resident_objects"], "carts with 5 lines"),
            ("passivated objects", f["passivated_objects"], "on disk only"),
            ("host RSS MB", f["host_rss_mb"], "target <= 1,024"),
            ("host RSS MB, nothing resident", f["host_rss_empty_mb"], ""),
            ("plain Ray actor RSS MB", f["ray_actor_rss_mb"], "one actor per object"),
        ],
    )
    print_table(
        f"Durable calls, {IN_FLIGHT} in flight (synchronous=FULL)",
        [
            ("hot object calls/s", f["hot_object_calls_per_s"], "one object"),
            ("plain Ray actor calls/s", f["raw_ray_calls_per_s"], "dict, no storage"),
            ("hot ratio", f["hot_ratio"], "target >= 0.8"),
            ("spread calls/s", f["spread_calls_per_s"], "1,000 objects, 2 hosts"),
            ("2 plain Ray actors calls/s", f["raw_spread_calls_per_s"], "dicts, no storage"),
            ("spread ratio", f["spread_ratio"], "target >= 0.8"),
        ],
    )
    print()
    print_figures(f)


if __name__ == "__main__":
    main()
