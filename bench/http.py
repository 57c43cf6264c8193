"""Benchmark of whole shopping flows over HTTP against the same flows through stubs (issue:
HTTP front door).

    python -m bench.http

Each front door in its own fresh Ray, in one run: Serve's HAProxy mode (the shop's default),
then Serve's Python proxy. In each: a no-op Serve route (the floor), then the shopping flows.
A flow: 2 items into the cart, then a one-step checkout with `?wait=true` (the saga runs to
its end). Over HTTP each client is a signed-in shopper; the gateway prices items from the
catalog and shipping from the carrier. Through stubs the same object calls are made from this
process, so the ratio is what HTTP, the proxy and the gateway add. The client is aiohttp, the
lightest at hand: the load generator shares the 2 cores. Closed loop at 16 and 64 clients,
HTTP and stubs in alternating rounds (a shared machine that grows busier or quieter during
the run weighs on both sides alike, so the ratio holds). CPU per flow is counted per kind of
process (front door, gateway replica, password service, object hosts, this load generator)
over the measured flows of the c64 point (not the sign-ups or the warm-up before them). Last
line: the figures as JSON.
"""

import asyncio
import contextlib
import itertools
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
from ray import serve

from actors.cart import Cart, cart_key_of
from bench.cpu import CpuMeter
from bench.http_noop import noop_point, start_noop
from bench.load import Samples, closed_loop
from bench.local_ray import bench_seconds, local_ray
from bench.report import print_figures, print_table
from bench.shop_data import stock_shop
from bootstrap import shop_objects
from durable import RuntimeConfig, Saga
from sagas.checkout.models import CheckoutInput
from serve_app.front_door import front_door_env, remove_run_dir
from serve_app.gateway import start_gateway
from serve_app.settings import GatewaySettings

ADDRESS = {
    "recipient": "Ani",
    "line1": "Jl. Sudirman 1",
    "city": "Jakarta",
    "region": "ID-JK",
    "postal_code": "10220",
}
_emails = itertools.count()
REQUESTS_PER_FLOW = 3
"""Two cart adds and a checkout."""
ROUNDS = 3
"""HTTP and stub rounds, alternating, at each concurrency."""
Figures = dict[str, float]


async def post(
    client: aiohttp.ClientSession, path: str, body: dict[str, Any], headers: dict[str, str]
) -> dict[str, Any]:
    async with client.post(path, json=body, headers=headers) as response:
        response.raise_for_status()
        return await response.json()


async def shopper(client: aiohttp.ClientSession) -> dict[str, str]:
    email = f"bench-{next(_emails)}-{uuid.uuid4().hex[:6]}@example.com"
    body = {"email": email, "password": "bench password 1", "name": "B"}
    signed = await post(client, "/api/auth/signup", body, {})
    return {"Authorization": f"Bearer {signed['tokens']['access_token']}"}


async def http_flow(client: aiohttp.ClientSession, headers: dict[str, str]) -> float:
    started = time.perf_counter()
    for sku, quantity in (("TEA", 1), ("MUG", 1)):
        await post(client, "/api/cart/items", {"sku": sku, "quantity": quantity}, headers)
    done = await post(
        client,
        "/api/checkout?wait=true",
        {"address": ADDRESS, "shipping_service": "REG"},
        {**headers, "Idempotency-Key": uuid.uuid4().hex},
    )
    if done["status"] != "completed":
        raise RuntimeError(f"checkout ended {done}")
    return (time.perf_counter() - started) * 1000


@contextlib.asynccontextmanager
async def http_shoppers(
    base_url: str, clients: int
) -> AsyncIterator[Callable[[int], Awaitable[float]]]:
    """`clients` shoppers signed up over HTTP; yields the flow of shopper n."""
    connector = aiohttp.TCPConnector(limit=clients)
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(base_url, connector=connector, timeout=timeout) as client:
        shoppers = [await shopper(client) for _ in range(clients)]
        yield lambda n: http_flow(client, shoppers[n])


async def http_point(
    base_url: str, clients: int, seconds: float, meter: CpuMeter | None = None
) -> Figures:
    """Warms up, then runs the shoppers' flows for `seconds` (the only part `meter` counts)."""
    async with http_shoppers(base_url, clients) as flow:
        await closed_loop(flow, clients, min(5.0, seconds))
        return await closed_loop(flow, clients, seconds, meter)


async def direct_flow(shop: Any, owner: str) -> float:
    """The calls the routes make for one flow, made through stubs from this process: two
    `add_product`s, then the tagged checkout saga, which readies the cart (address, the
    carrier's price for the chosen service, prices checked) before it starts."""
    started = time.perf_counter()
    cart_id = cart_key_of(owner)
    cart = shop(Cart).get(cart_id)
    for sku in ("TEA", "MUG"):
        await cart.call(Cart.add_product, sku=sku, quantity=1, owner=owner, market="retail")
    data = CheckoutInput.for_cart(uuid.uuid4().hex, cart_id, owner)
    readiness = {"address": ADDRESS, "shipping_service": "REG"}
    outcome = (
        await shop(Saga)
        .get(data.checkout_id)
        .call(
            Saga.run,
            saga_type="checkout",
            input=data.model_dump(mode="json"),
            timeout_s=120,
            admission=readiness,
        )
    )
    if outcome["status"] != "completed":
        raise RuntimeError(f"checkout ended {outcome}")
    return (time.perf_counter() - started) * 1000


def direct_shoppers(shop: Any, clients: int) -> Callable[[int], Awaitable[float]]:
    owners = [f"u-bench-{uuid.uuid4().hex[:12]}" for _ in range(clients)]
    return lambda n: direct_flow(shop, owners[n])


async def side_by_side(
    shop: Any, base_url: str, clients: int, seconds: float, meter: CpuMeter | None = None
) -> tuple[Figures, Figures]:
    """The same flows over HTTP and through stubs in alternating rounds, so that a machine
    growing busier or quieter during the run weighs on both alike; `meter` counts the HTTP
    rounds."""
    http, direct = Samples(), Samples()
    stubs = direct_shoppers(shop, clients)
    async with http_shoppers(base_url, clients) as over_http:
        await closed_loop(over_http, clients, min(5.0, seconds))
        await closed_loop(stubs, clients, min(5.0, seconds))
        for _ in range(ROUNDS):
            await closed_loop(over_http, clients, seconds / ROUNDS, meter, http)
            await closed_loop(stubs, clients, seconds / ROUNDS, None, direct)
    return http.summary(), direct.summary()


async def measure_http(shop: Any, base_url: str, seconds: float, stubs: bool) -> dict[str, Any]:
    """The front door that Ray was started with: no-op floor, flows at c16 and c64 (beside
    the same flows through stubs, if `stubs`), and the CPU each kind of process spent per
    flow at c64."""
    noop = await noop_point(base_url, 64, min(seconds, 10.0))
    meter = CpuMeter()
    figures: dict[str, Any] = {"noop": noop}
    if stubs:
        figures["http16"], figures["c16"] = await side_by_side(shop, base_url, 16, seconds)
        figures["http64"], figures["c64"] = await side_by_side(shop, base_url, 64, seconds, meter)
    else:
        figures["http16"] = await http_point(base_url, 16, seconds)
        figures["http64"] = await http_point(base_url, 64, seconds, meter)
    flows = figures["http64"]["count"]
    figures["cpu_ms_per_flow"] = {group: used * 1000 / flows for group, used in meter.used.items()}
    figures["gateway_cpu_ms_per_request"] = (
        meter.used["gateway"] * 1000 / (flows * REQUESTS_PER_FLOW)
    )
    return figures


def report(haproxy: dict[str, Any], python: dict[str, Any]) -> None:
    h16, h64, d16, d64 = haproxy["http16"], haproxy["http64"], haproxy["c16"], haproxy["c64"]
    print_table(
        "Shopping flows (2 cart adds + checkout to the end), closed loop",
        [
            ("HTTP (HAProxy) c16 flows/s", h16["per_s"], f"p50 {h16['p50']:.0f} ms"),
            ("HTTP (HAProxy) c64 flows/s", h64["per_s"], f"p50 {h64['p50']:.0f} ms"),
            ("HTTP (HAProxy) c64 p99 ms", h64["p99"], "target <= 1,000"),
            ("HTTP (Python proxy) c64 flows/s", python["http64"]["per_s"], ""),
            ("stubs c16 flows/s", d16["per_s"], f"p50 {d16['p50']:.0f} ms"),
            ("stubs c64 flows/s", d64["per_s"], f"p50 {d64['p50']:.0f} ms"),
            ("stubs c64 p99 ms", d64["p99"], "the objects' own tail"),
            ("overhead ratio c64", d64["per_s"] / h64["per_s"], "target <= 1.25"),
            ("overhead ratio c16", d16["per_s"] / h16["per_s"], "target <= 1.5"),
            ("no-op req/s, HAProxy", haproxy["noop"]["per_s"], "Serve's floor"),
            ("no-op req/s, Python proxy", python["noop"]["per_s"], ""),
            ("gateway CPU ms/request", haproxy["gateway_cpu_ms_per_request"], "target <= 2.0"),
        ],
    )
    print_table(
        "CPU ms per flow at c64, by process (HAProxy / Python proxy)",
        [
            (group, ms, f"{python['cpu_ms_per_flow'][group]:.1f}")
            for group, ms in haproxy["cpu_ms_per_flow"].items()
        ],
    )


def figures_of(haproxy: dict[str, Any], python: dict[str, Any]) -> dict[str, Any]:
    h16, h64, d16, d64 = haproxy["http16"], haproxy["http64"], haproxy["c16"], haproxy["c64"]
    return {
        "http_flows_per_s_c16": h16["per_s"],
        "http_flows_per_s_c64": h64["per_s"],
        "http_p50_ms_c64": h64["p50"],
        "http_p99_ms_c64": h64["p99"],
        "direct_flows_per_s_c16": d16["per_s"],
        "direct_flows_per_s_c64": d64["per_s"],
        "direct_p99_ms_c64": d64["p99"],
        "http_overhead_ratio": d64["per_s"] / h64["per_s"],
        "http_overhead_ratio_c16": d16["per_s"] / h16["per_s"],
        "python_proxy_flows_per_s_c64": python["http64"]["per_s"],
        "python_proxy_p99_ms_c64": python["http64"]["p99"],
        "noop_req_per_s_haproxy": haproxy["noop"]["per_s"],
        "noop_req_per_s_python_proxy": python["noop"]["per_s"],
        "gateway_cpu_ms_per_request": haproxy["gateway_cpu_ms_per_request"],
        "gateway_cpu_ms_per_request_python_proxy": python["gateway_cpu_ms_per_request"],
        **{f"cpu_ms_per_flow_{g}": ms for g, ms in haproxy["cpu_ms_per_flow"].items()},
        **{f"cpu_ms_per_flow_{g}_python_proxy": ms for g, ms in python["cpu_ms_per_flow"].items()},
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run_front_door(mode: str, seconds: float) -> dict[str, Any]:
    """A fresh Ray started for `mode`, the shop and the no-op on it; the HTTP figures, and
    (in HAProxy mode, the shop's default) the same flows through stubs beside them."""
    front_door = front_door_env(mode)
    os.environ.update(front_door)  # Serve reads it when Ray starts
    with local_ray(f"http-{mode}") as state_dir:
        shop = shop_objects(RuntimeConfig(state_dir=state_dir, idle_seconds=600))
        shop.ensure_hosts()
        port = free_port()
        try:
            settings = GatewaySettings(rate_limit=10**9, request_timeout_s=120)
            start_gateway(shop.config, settings, port)
            start_noop()
            asyncio.run(stock_shop(shop, units=10_000_000))
            base_url = f"http://127.0.0.1:{port}"
            figures = asyncio.run(measure_http(shop, base_url, seconds, mode == "haproxy"))
        finally:
            serve.shutdown()
    remove_run_dir(front_door)
    return figures


def main() -> None:
    seconds = bench_seconds(15)
    haproxy = run_front_door("haproxy", seconds)
    python = run_front_door("python", seconds)
    report(haproxy, python)
    print()
    print_figures(figures_of(haproxy, python))


if __name__ == "__main__":
    main()
