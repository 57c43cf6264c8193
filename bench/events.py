"""Benchmark of the event bus (issue: event bus, read models, notifications, analytics).

    python -m bench.events

1. Throughput: producers publish order events through their outboxes (durable, fsync'd) as
   fast as they can; the relay carries them to the bus, which delivers them to the shop's
   three `orders` subscribers (order views, analytics, notifications). Figure: events per
   second from the first publish until all three have applied everything.
2. Latency at a steady 1,000 events/s: publish-to-delivery time at a probe subscriber.
3. Recovery: under that load the bus host is SIGKILLed; figure: seconds from the kill until
   every subscriber has applied every event published before it.
"""

import asyncio
import itertools
import os
import signal
import time
from typing import Any

from bench.kinds import LatencyProbe, OrderFeed
from bench.local_ray import bench_seconds, local_ray
from bench.report import percentile, print_figures, print_table
from bootstrap import SHOP
from durable import BUS_KEY, EventBus, Objects, RuntimeConfig

PER_CALL = 50
PRODUCERS = 16
_numbers = itertools.count()


async def publish(shop: Objects, count: int) -> None:
    first = next(_numbers) * PER_CALL
    feed = shop(OrderFeed).get(f"feed-{first % 64}")
    await feed.call(OrderFeed.publish_orders, first=first, count=count)


async def all_applied(shop: Objects, published: int, timeout_s: float = 600) -> float:
    """Waits until the bus holds `published` order events and no subscriber lags; returns
    the time it happened."""
    bus = shop(EventBus).get(BUS_KEY)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        heads, lag = await asyncio.gather(bus.call(EventBus.heads), bus.call(EventBus.lag))
        if heads.get("orders", 0) >= published and all(
            n == 0 for topics in lag.values() for n in topics.values()
        ):
            return time.perf_counter()
        await asyncio.sleep(0.01)
    raise TimeoutError("subscribers did not catch up")


async def measure_throughput(shop: Objects, seconds: float, published: int) -> dict[str, float]:
    stop_at = time.perf_counter() + seconds
    sent = 0

    async def producer() -> None:
        nonlocal sent
        while time.perf_counter() < stop_at:
            await publish(shop, PER_CALL)
            sent += PER_CALL

    started = time.perf_counter()
    await asyncio.gather(*(producer() for _ in range(PRODUCERS)))
    produced_s = time.perf_counter() - started
    done = await all_applied(shop, published + sent)
    return {
        "events": sent,
        "produced_per_s": sent / produced_s,
        "events_per_s": sent / (done - started),
        "catch_up_s": done - started - produced_s,
    }


async def paced(shop: Objects, rate: float, seconds: float) -> int:
    """Publishes `rate` events/s in calls of 10 for `seconds`; returns how many."""
    per_call = 10
    interval = per_call / rate
    calls: list[asyncio.Task[None]] = []
    started = time.perf_counter()
    for n in range(int(seconds / interval)):
        await asyncio.sleep(max(0.0, started + n * interval - time.perf_counter()))
        calls.append(asyncio.ensure_future(publish(shop, per_call)))
    await asyncio.gather(*calls)
    return len(calls) * per_call


async def measure_latency(shop: Objects, published: int) -> tuple[dict[str, float], int]:
    bus = shop(EventBus).get(BUS_KEY)
    probe = shop(LatencyProbe).get("probe")
    await probe.call(LatencyProbe.delays_ms)  # its host is up before the first event heads its way
    await bus.call(
        EventBus.subscribe,
        subscription={
            "name": "latency_probe",
            "topics": ["orders"],
            "kind": LatencyProbe.kind,
            "key": "probe",
            "from_start": False,
        },
    )
    sent = await paced(shop, rate=1000, seconds=2)  # warm-up: the probe's loop is running
    await all_applied(shop, published + sent)
    since = time.time()
    measured = await paced(shop, rate=1000, seconds=10)
    sent += measured
    await all_applied(shop, published + sent)
    delays = await probe.call(LatencyProbe.delays_ms, since=since)
    return {
        "delivery_p50_ms": percentile(delays, 50),
        "delivery_p99_ms": percentile(delays, 99),
    }, sent


async def measure_kill(shop: Objects, published: int) -> tuple[float, int]:
    """SIGKILLs the bus host under a steady load; seconds until everything sent before the
    kill is applied everywhere."""
    handle = await shop(EventBus).host_of(BUS_KEY)
    pid = await handle.ready.remote()
    load = asyncio.ensure_future(paced(shop, rate=1000, seconds=3))
    await asyncio.sleep(1.5)
    os.kill(pid, signal.SIGKILL)
    killed_at = time.perf_counter()
    sent = await load
    done = await all_applied(shop, published + sent)
    return done - killed_at, sent


async def run(shop: Objects, seconds: float) -> dict[str, Any]:
    await publish(shop, 1)  # the bus and its subscribers come up
    published = await warm_up(shop)
    throughput = await measure_throughput(shop, seconds, published)
    published += throughput["events"]
    latency, sent = await measure_latency(shop, published)
    published += sent
    lag_after_kill_s, sent = await measure_kill(shop, published)
    print_table(
        "Event bus: outbox -> relay -> bus -> 3 subscribers, every step fsync'd",
        [
            ("events produced", throughput["events"], f"{PRODUCERS} producers, {PER_CALL}/call"),
            ("produced /s", throughput["produced_per_s"], "into the outboxes"),
            ("delivered to all 3 /s", throughput["events_per_s"], "target >= 5,000"),
            ("catch-up after producing s", throughput["catch_up_s"], ""),
            ("delivery p50 ms", latency["delivery_p50_ms"], "1,000 events/s, publish to apply"),
            ("delivery p99 ms", latency["delivery_p99_ms"], "target <= 500"),
            ("caught up after bus kill s", lag_after_kill_s, "target <= 5"),
        ],
    )
    return {
        "events_per_s": throughput["events_per_s"],
        "delivery_p99_ms": latency["delivery_p99_ms"],
        "lag_after_kill_s": lag_after_kill_s,
    }


async def warm_up(shop: Objects) -> int:
    """A few seconds of load so that hosts, files and delivery loops exist; returns the
    number of events published so far."""
    await asyncio.gather(*(publish(shop, PER_CALL) for _ in range(40)))
    published = 1 + 40 * PER_CALL
    await all_applied(shop, published)
    return published


def main() -> None:
    with local_ray("events") as state_dir:
        config = RuntimeConfig(state_dir=state_dir, idle_seconds=3600)
        shop = Objects(SHOP.with_kinds(OrderFeed, LatencyProbe), config)
        shop.ensure_hosts()
        figures = asyncio.run(run(shop, bench_seconds(15)))
    print()
    print_figures(figures)


if __name__ == "__main__":
    main()
