"""Benchmark of read replicas: the shop's flows with the catalog read from the shop hosts'
leased copies, against the same flows with every read a call to the catalog's host (issue:
HTTP front door, CPU per flow).

    python -m bench.replicas

Every cart add and checkout quotes the catalog. The `bench.http` flows run through stubs,
closed loop at 64 shoppers, for `BENCH_SECONDS` (default 25) per run, in rounds of copies off
(`replica_lease_s=0`) then on, each run in its own fresh Ray, so that a machine growing busier
or quieter weighs on both alike. Per run: flows per second, p50 / p99, and the CPU that the
object hosts (the catalog among them) and this load generator spent per flow. Last line: the
figures as JSON, with the mean ratios of on to off.
"""

import asyncio
from statistics import mean
from typing import Any

from bench.cpu import CpuMeter
from bench.http import direct_shoppers
from bench.load import closed_loop
from bench.local_ray import bench_seconds, local_ray
from bench.report import print_figures, print_table
from bench.shop_data import stock_shop
from bootstrap import shop_objects
from durable import RuntimeConfig

ROUNDS = 2
CLIENTS = 64
LEASE_S = RuntimeConfig("").replica_lease_s
"""The runtime's default lease: what copies on means."""


def run(lease_s: float, seconds: float) -> dict[str, float]:
    """A fresh Ray whose hosts lease copies for `lease_s` (0: none); the flows' figures."""
    with local_ray("replicas") as state_dir:
        config = RuntimeConfig(state_dir=state_dir, idle_seconds=600, replica_lease_s=lease_s)
        shop = shop_objects(config)
        shop.ensure_hosts()
        asyncio.run(stock_shop(shop, units=10_000_000))
        return asyncio.run(measure(shop, seconds))


async def measure(shop: Any, seconds: float) -> dict[str, float]:
    flows = direct_shoppers(shop, CLIENTS)
    await closed_loop(flows, CLIENTS, min(5.0, seconds))  # warm: copies made, objects active
    meter = CpuMeter()
    figures = await closed_loop(flows, CLIENTS, seconds, meter)
    count = figures["count"]
    return {
        "flows_per_s": figures["per_s"],
        "p50_ms": figures["p50"],
        "p99_ms": figures["p99"],
        "hosts_cpu_ms_per_flow": meter.used["hosts"] * 1000 / count,
        "load_generator_cpu_ms_per_flow": meter.used["load_generator"] * 1000 / count,
    }


def main() -> None:
    seconds = bench_seconds(25)
    off: list[dict[str, float]] = []
    on: list[dict[str, float]] = []
    for _ in range(ROUNDS):
        off.append(run(0.0, seconds))
        on.append(run(LEASE_S, seconds))
    names = list(off[0])
    averaged_off = {name: mean(r[name] for r in off) for name in names}
    averaged_on = {name: mean(r[name] for r in on) for name in names}
    print_table(
        f"Flows at {CLIENTS} shoppers, catalog copies on / off ({ROUNDS} rounds of"
        f" {seconds:.0f} s each, means)",
        [(name, averaged_on[name], f"{averaged_off[name]:,.2f}") for name in names],
    )
    print()
    print_figures(
        {
            **{f"off_{name}": value for name, value in averaged_off.items()},
            **{f"on_{name}": value for name, value in averaged_on.items()},
            "flows_ratio_on_off": averaged_on["flows_per_s"] / averaged_off["flows_per_s"],
            "hosts_cpu_ratio_on_off": averaged_on["hosts_cpu_ms_per_flow"]
            / averaged_off["hosts_cpu_ms_per_flow"],
        }
    )


if __name__ == "__main__":
    main()
