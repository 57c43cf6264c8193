"""Benchmark of how long the shop hosts stop for garbage collection under sustained load
(issue: HTTP front door, its p99).

    python -m bench.gc_pauses

A host keeps every object it serves in memory until the object has been idle for a while,
so under load its heap grows for minutes, and a collection of the middle generation stops
every call in flight for as long as it scans the survivors. The same checkout flows as
`bench.http` (through stubs, closed loop at 64 shoppers) run for `BENCH_SECONDS` (default
150: long enough for the previous policy's first middle collection), each policy in its own
fresh Ray: the previous thresholds (50,000, 20, 100) first, then the hosts' default. Per
policy: flows per second, p50 / p99, and over the shop hosts, by generation, the longest
stop since they started (the load is most of their life) and the collection time per flow.
Last line: the figures as JSON.
"""

import asyncio
import os
from typing import Any

from actors.cart import Cart
from bench.http import direct_shoppers
from bench.load import closed_loop
from bench.local_ray import bench_seconds, local_ray
from bench.report import print_figures, print_table
from bench.shop_data import stock_shop
from bootstrap import shop_objects
from durable import RuntimeConfig

PREVIOUS = "50000,20,100"
"""The thresholds hosts used before this benchmark was written."""
GENERATIONS = ("young", "middle", "old")


async def shop_host_pauses(shop: Any) -> list[dict[str, list[float]]]:
    client = shop(Cart)
    hosts = await client._hosts()
    return list(
        await asyncio.gather(
            *(client.handle(name, spot).gc_pauses.remote() for name, spot in hosts)
        )
    )


def run_policy(spec: str, seconds: float) -> dict[str, float]:
    """A fresh Ray whose hosts collect garbage by `spec` ("" = their default)."""
    os.environ["RAYSHOP_GC_THRESHOLDS"] = spec  # host processes inherit it from Ray's start
    try:
        with local_ray("gc") as state_dir:
            shop = shop_objects(RuntimeConfig(state_dir=state_dir, idle_seconds=600))
            shop.ensure_hosts()
            asyncio.run(stock_shop(shop, units=10_000_000))
            return asyncio.run(measure(shop, seconds))
    finally:
        os.environ.pop("RAYSHOP_GC_THRESHOLDS", None)


async def measure(shop: Any, seconds: float) -> dict[str, float]:
    flows = direct_shoppers(shop, 64)
    await closed_loop(flows, 64, min(5.0, seconds))
    before = await shop_host_pauses(shop)
    figures = await closed_loop(flows, 64, seconds)
    after = await shop_host_pauses(shop)
    result = {
        "flows_per_s": figures["per_s"],
        "p50_ms": figures["p50"],
        "p99_ms": figures["p99"],
    }
    for g, generation in enumerate(GENERATIONS):
        result[f"longest_{generation}_ms"] = max(host["longest_ms"][g] for host in after)
        spent = sum(a["total_ms"][g] - b["total_ms"][g] for a, b in zip(after, before, strict=True))
        result[f"{generation}_ms_per_flow"] = spent / figures["count"]
    return result


def main() -> None:
    seconds = bench_seconds(150)
    previous = run_policy(PREVIOUS, seconds)
    default = run_policy("", seconds)
    print_table(
        f"Shop hosts' collections at 64 shoppers over {seconds:.0f} s (previous / default)",
        [(name, default[name], f"{previous[name]:,.2f}") for name in default],
    )
    print()
    print_figures(
        {
            **{f"previous_{name}": value for name, value in previous.items()},
            **{f"default_{name}": value for name, value in default.items()},
            "longest_stop_ratio": max(previous[f"longest_{g}_ms"] for g in GENERATIONS)
            / max(default[f"longest_{g}_ms"] for g in GENERATIONS),
        }
    )


if __name__ == "__main__":
    main()
