"""Benchmark of whole shopping flows over HTTP against the same flows through stubs (issue:
HTTP gateway).

    python -m bench.http

A flow: 2 items into the cart, then a one-step checkout with `?wait=true` (the saga runs to
its end). Over HTTP each client is a signed-in shopper; the gateway prices items from the
catalog and shipping from the carrier. Through stubs the same object calls are made from this
process, so the ratio is what HTTP, the proxy and the gateway add. The client is aiohttp, the
lightest at hand: the load generator shares the 2 cores. Closed loop at 16 and 64 clients;
then the same flows at 64 clients through stubs, in the same run. Last line: the figures as
JSON.
"""

import asyncio
import itertools
import socket
import time
import uuid
from typing import Any

import aiohttp
from ray import serve

from actors.cart import Cart, cart_key_of
from actors.shipping import priced_choice
from bench.load import closed_loop
from bench.local_ray import bench_seconds, local_ray
from bench.report import print_figures, print_table
from bench.shop_data import stock_shop
from bootstrap import shop_objects
from domain.cart import Address
from durable import RuntimeConfig, Saga
from sagas.checkout.models import CheckoutInput
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


async def http_point(base_url: str, clients: int, seconds: float) -> dict[str, float]:
    connector = aiohttp.TCPConnector(limit=clients)
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(base_url, connector=connector, timeout=timeout) as client:
        shoppers = [await shopper(client) for _ in range(clients)]
        await closed_loop(lambda n: http_flow(client, shoppers[n]), clients, min(5.0, seconds))
        return await closed_loop(lambda n: http_flow(client, shoppers[n]), clients, seconds)


async def direct_flow(shop: Any, owner: str) -> float:
    """The calls the routes make for one flow, made through stubs from this process: two
    `add_product`s, the carrier's price for the chosen service, the cart readied for
    checkout (address, shipping, prices checked), the tagged checkout saga."""
    started = time.perf_counter()
    cart_id = cart_key_of(owner)
    cart = shop(Cart).get(cart_id)
    for sku in ("TEA", "MUG"):
        await cart.call(Cart.add_product, sku=sku, quantity=1, owner=owner, market="retail")
    address = Address.model_validate(ADDRESS)
    shipping = await priced_choice(shop, await cart.call(Cart.view), address, "REG")
    prepared = await cart.call(
        Cart.prepare_checkout, address=ADDRESS, shipping=shipping.model_dump(mode="json")
    )
    if prepared["prices_changed"]:
        raise RuntimeError(f"prices moved during the bench: {prepared['prices_changed']}")
    data = CheckoutInput.for_cart(uuid.uuid4().hex, cart_id, owner)
    outcome = (
        await shop(Saga)
        .get(data.checkout_id)
        .call(Saga.run, saga_type="checkout", input=data.model_dump(mode="json"), timeout_s=120)
    )
    if outcome["status"] != "completed":
        raise RuntimeError(f"checkout ended {outcome}")
    return (time.perf_counter() - started) * 1000


async def direct_point(shop: Any, clients: int, seconds: float) -> dict[str, float]:
    owners = [f"u-bench-{uuid.uuid4().hex[:12]}" for _ in range(clients)]
    await closed_loop(lambda n: direct_flow(shop, owners[n]), clients, min(5.0, seconds))
    return await closed_loop(lambda n: direct_flow(shop, owners[n]), clients, seconds)


async def run(shop: Any, base_url: str, seconds: float) -> dict[str, Any]:
    await stock_shop(shop, units=10_000_000)
    http16 = await http_point(base_url, 16, seconds)
    http64 = await http_point(base_url, 64, seconds)
    direct64 = await direct_point(shop, 64, seconds)
    print_table(
        "Shopping flows (2 cart adds + checkout to the end), closed loop",
        [
            ("HTTP c16 flows/s", http16["per_s"], f"p50 {http16['p50']:.0f} ms"),
            ("HTTP c64 flows/s", http64["per_s"], f"p50 {http64['p50']:.0f} ms"),
            ("HTTP c64 p99 ms", http64["p99"], ""),
            ("stubs c64 flows/s", direct64["per_s"], f"p50 {direct64['p50']:.0f} ms"),
            ("overhead ratio", direct64["per_s"] / http64["per_s"], "target <= 1.5"),
        ],
    )
    return {
        "http_flows_per_s_c16": http16["per_s"],
        "http_flows_per_s_c64": http64["per_s"],
        "http_p50_ms_c64": http64["p50"],
        "http_p99_ms_c64": http64["p99"],
        "direct_flows_per_s_c64": direct64["per_s"],
        "http_overhead_ratio": direct64["per_s"] / http64["per_s"],
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main() -> None:
    with local_ray("http") as state_dir:
        shop = shop_objects(RuntimeConfig(state_dir=state_dir, idle_seconds=600))
        shop.ensure_hosts()
        port = free_port()
        try:
            settings = GatewaySettings(rate_limit=10**9, request_timeout_s=120)
            start_gateway(shop.config, settings, port)
            base_url = f"http://127.0.0.1:{port}"
            figures = asyncio.run(run(shop, base_url, bench_seconds(15)))
        finally:
            serve.shutdown()
    print()
    print_figures(figures)


if __name__ == "__main__":
    main()
