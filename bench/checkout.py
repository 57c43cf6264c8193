"""Benchmark of the checkout saga, driven directly through stubs (issue: sagas).

    python -m bench.checkout

Each flow: a new cart, 2 lines, then a one-step checkout (address and shipping choice in the
request) to the end: 7 durable steps, 3 warehouses, every write fsync'd. Closed loop at 1,
16 and 64 clients, then 64 with 20% declined payments; then the orchestrators are SIGKILLed
under load and the time until every in-flight saga has ended is measured. Ends by checking
the invariants of ARCHITECTURE §11.
"""

import asyncio
import itertools
import os
import random
import signal
import time
from typing import Any

from actors.cart import Cart
from bench import load
from bench.invariants import check_invariants
from bench.local_ray import bench_seconds, local_ray
from bench.report import print_figures, print_table
from bench.shop_data import address, checkout_input, idr, stock_shop
from bootstrap import shop_objects
from durable import RuntimeConfig, Saga

_ids = itertools.count()


def destination(cart_id: str, rng: random.Random) -> dict[str, Any]:
    """A one-step checkout's id (tagged with its cart, so the saga and the objects it makes
    live beside the cart), address (somewhere in Java) and shipping choice."""
    return {
        "checkout_id": f"co-{{{cart_id}}}",
        "address": address(rng.choice(["ID-JK", "ID-JB", "ID-JI"])),
        "shipping": {"code": "REG", "label": "Regular", "price": idr(15_000)},
    }


async def one_checkout(shop: Any, decline_share: float, rng: random.Random) -> tuple[str, float]:
    """A whole flow; returns the saga's final status and the flow's latency in ms."""
    started = time.perf_counter()
    cart_id = f"bench-{next(_ids)}"
    cart = shop(Cart).get(cart_id)
    await cart.call(Cart.add_product, sku="TEA", quantity=1 + rng.randrange(3))
    await cart.call(Cart.add_product, sku="MUG", quantity=1)
    token = "tok_declined" if rng.random() < decline_share else "tok_success"
    payload = checkout_input(cart_id, token=token, **destination(cart_id, rng))
    saga = shop(Saga).get(payload["checkout_id"])
    outcome = await saga.call(Saga.run, saga_type="checkout", input=payload, timeout_s=300)
    return outcome["status"], (time.perf_counter() - started) * 1000


async def closed_loop(
    shop: Any, clients: int, seconds: float, decline_share: float = 0.0
) -> dict[str, Any]:
    """Checkout flows in a closed loop, with how many ended in each saga status."""
    statuses: dict[str, int] = {}
    rngs = [random.Random(n) for n in range(clients)]

    async def flow(n: int) -> float:
        status, ms = await one_checkout(shop, decline_share, rngs[n])
        statuses[status] = statuses.get(status, 0) + 1
        return ms

    return {**await load.closed_loop(flow, clients, seconds), "statuses": statuses}


async def measure_point(
    shop: Any, clients: int, seconds: float, decline_share: float = 0.0
) -> dict[str, Any]:
    await closed_loop(shop, clients, min(5.0, seconds / 4), decline_share)  # warm-up
    return await closed_loop(shop, clients, seconds, decline_share)


async def measure_recovery(shop: Any, clients: int = 64, load_s: float = 4.0) -> float:
    """SIGKILLs every orchestrator host under load; seconds until all in-flight sagas ended."""
    in_flight: set[str] = set()
    stopping = asyncio.Event()

    async def client(n: int) -> None:
        rng = random.Random(1000 + n)
        while not stopping.is_set():
            cart_id = f"recovery-{next(_ids)}"
            cart = shop(Cart).get(cart_id)
            await cart.call(Cart.add_product, sku="TEA", quantity=1)
            await cart.call(Cart.add_product, sku="MUG", quantity=1)
            payload = checkout_input(cart_id, **destination(cart_id, rng))
            in_flight.add(payload["checkout_id"])
            await (
                shop(Saga)
                .get(payload["checkout_id"])
                .call(Saga.start, saga_type="checkout", input=payload)
            )
            await shop(Saga).get(payload["checkout_id"]).call(Saga.outcome, timeout_s=300)
            in_flight.discard(payload["checkout_id"])

    clients_done = asyncio.gather(*(client(n) for n in range(clients)))
    await asyncio.sleep(load_s)
    pids = await shop(Saga).ensure_hosts()
    stopping.set()
    killed_at = time.perf_counter()
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    caught = set(in_flight)
    await asyncio.gather(*(shop(Saga).get(s).call(Saga.outcome, timeout_s=300) for s in caught))
    recovery = time.perf_counter() - killed_at
    await clients_done
    print(f"  killed {len(pids)} orchestrator hosts with {len(caught)} sagas in flight")
    return recovery


async def run(shop: Any, seconds: float) -> dict[str, Any]:
    await stock_shop(shop, units=10_000_000)
    points = {c: await measure_point(shop, c, seconds) for c in (1, 16, 64)}
    declined = await measure_point(shop, 64, seconds, decline_share=0.2)
    recovery_s = await measure_recovery(shop)
    problems = await check_invariants(shop)
    for problem in problems[:10]:
        print("  invariant broken:", problem)
    print_table(
        "Checkouts through stubs (new cart, 2 lines, one-step checkout to the end; closed loop)",
        [
            (
                f"c{c} checkouts/s",
                p["per_s"],
                f"p50 {p['p50']:.0f} ms, p99 {p['p99']:.0f} ms, {p['statuses']}",
            )
            for c, p in points.items()
        ]
        + [
            ("c64 with 20% declines /s", declined["per_s"], str(declined["statuses"])),
            ("recovery s after SIGKILL", recovery_s, "target <= 3"),
            ("invariants hold", int(not problems), "1 = yes"),
        ],
    )
    return {
        "sagas_per_s_c1": points[1]["per_s"],
        "p50_ms_c1": points[1]["p50"],
        "sagas_per_s_c16": points[16]["per_s"],
        "sagas_per_s_c64": points[64]["per_s"],
        "p50_ms_c64": points[64]["p50"],
        "p99_ms_c64": points[64]["p99"],
        "sagas_per_s_c64_decline20": declined["per_s"],
        "recovery_s": recovery_s,
        "invariants_ok": not problems,
    }


def main() -> None:
    with local_ray("checkout") as state_dir:
        shop = shop_objects(RuntimeConfig(state_dir=state_dir, idle_seconds=600))
        shop.ensure_hosts()
        figures = asyncio.run(run(shop, bench_seconds(20)))
    print()
    print_figures(figures)


if __name__ == "__main__":
    main()
