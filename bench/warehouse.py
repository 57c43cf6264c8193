"""Benchmark of the warehouse object, the one every checkout touches (issue: domain objects).

    python -m bench.warehouse

Durable reservations on one warehouse with 64 callers in flight, against a plain async Ray
actor doing the same arithmetic in memory; and 1,000 concurrent reservations of one unit
against 100 units, which must not oversell.
"""

import asyncio
import itertools
import time
from typing import Any

import ray

from actors.warehouse import Warehouse
from bench.kinds import PlainWarehouse
from bench.local_ray import bench_seconds, local_ray
from bench.objects import measured
from bench.report import print_figures, print_table
from bootstrap import SHOP
from domain.inventory import InsufficientStock
from durable import Objects, RuntimeConfig


async def measure_reserve(shop: Objects, seconds: float) -> dict[str, float]:
    warehouse = shop(Warehouse).get("bench-hot")
    await warehouse.call(
        Warehouse.configure, name="Hot", region_code="ID-JK", latitude=-6.2, longitude=106.85
    )
    await warehouse.call(Warehouse.restock, sku="TEA", quantity=100_000_000)
    ids = itertools.count()
    ours = await measured(
        lambda _: warehouse.call(
            Warehouse.reserve, reservation_id=f"r{next(ids)}", lines={"TEA": 1}
        ),
        seconds,
    )
    plain = ray.remote(PlainWarehouse).remote()
    await plain.restock.remote("TEA", 100_000_000)
    raw = await measured(lambda _: plain.reserve.remote(f"r{next(ids)}", {"TEA": 1}), seconds)
    ray.kill(plain)
    return {"reserve_per_s": ours, "plain_reserve_per_s": raw, "reserve_ratio": ours / raw}


async def measure_contention(
    shop: Objects, units: int = 100, callers: int = 1000
) -> dict[str, Any]:
    warehouse = shop(Warehouse).get("bench-contended")
    await warehouse.call(
        Warehouse.configure, name="Contended", region_code="ID-JK", latitude=-6.2, longitude=106.85
    )
    await warehouse.call(Warehouse.restock, sku="MUG", quantity=units)
    started = time.perf_counter()
    results = await asyncio.gather(
        *(
            warehouse.call(Warehouse.reserve, reservation_id=f"c{n}", lines={"MUG": 1})
            for n in range(callers)
        ),
        return_exceptions=True,
    )
    elapsed = time.perf_counter() - started
    accepted = sum(1 for r in results if isinstance(r, dict))
    refused = sum(1 for r in results if isinstance(r, InsufficientStock))
    level = (await warehouse.call(Warehouse.levels, skus=["MUG"]))["MUG"]
    consistent = level["reserved"] == accepted and level["available"] == units - accepted
    return {
        "contended_accepted": accepted,
        "contended_refused": refused,
        "contended_oversold": max(0, accepted - units) + (0 if consistent else 1),
        "contended_seconds": elapsed,
    }


def main() -> None:
    with local_ray("warehouse") as state_dir:
        shop = Objects(SHOP, RuntimeConfig(state_dir=state_dir, idle_seconds=3600))
        figures: dict[str, Any] = {}
        figures |= asyncio.run(measure_reserve(shop, bench_seconds(8)))
        figures |= asyncio.run(measure_contention(shop))
    print_table(
        "Reservations on one warehouse, 64 in flight (each durable, synchronous=FULL)",
        [
            ("warehouse reserves/s", figures["reserve_per_s"], "events + projections + alarm"),
            ("plain Ray actor reserves/s", figures["plain_reserve_per_s"], "dict, no storage"),
            ("reserve ratio", figures["reserve_ratio"], "target >= 0.8"),
        ],
    )
    print_table(
        "1,000 concurrent single-unit reservations against 100 units",
        [
            ("accepted", figures["contended_accepted"], "must be 100"),
            ("refused (insufficient stock)", figures["contended_refused"], "must be 900"),
            ("oversold", figures["contended_oversold"], "must be 0"),
            ("seconds", figures["contended_seconds"], ""),
        ],
    )
    print()
    print_figures(figures)


if __name__ == "__main__":
    main()
