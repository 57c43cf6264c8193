"""The front door (serve_app/front_door.py): the API is HAProxy's, on loopback only, and a
gateway replica that dies under load leaves every client an answer, and every change sent
with an Idempotency-Key counted once."""

import asyncio
import contextlib
import uuid
from typing import Any
from urllib.parse import urlsplit

import httpx
import psutil
import pytest
import ray

from serve_app.front_door import front_door_mode
from serve_app.settings import GatewaySettings
from tests.conftest import eventually, kill_process
from tests.e2e.conftest import UNLIMITED
from tests.e2e.http_helpers import assert_error, bearer, sign_up

pytestmark = pytest.mark.skipif(
    front_door_mode() != "haproxy", reason="the Python proxy was chosen (RAYSHOP_FRONT_DOOR)"
)
GATEWAY = "ray::ServeReplica:rayshop:Gateway"
TEA = {"sku": "TEA", "quantity": 1}


@pytest.fixture(scope="module")
def gateway_settings() -> GatewaySettings:
    return UNLIMITED


def listeners_of(name: str) -> list[tuple[str, int]]:
    """(address, port) of every listening socket of the processes called `name`."""
    found = []
    for connection in psutil.net_connections(kind="inet"):
        if connection.status != psutil.CONN_LISTEN or connection.pid is None:
            continue
        with contextlib.suppress(psutil.Error):
            if psutil.Process(connection.pid).name() == name:
                found.append((connection.laddr.ip, connection.laddr.port))
    return found


def gateway_pids() -> list[int]:
    """The gateway replicas of this test's Ray (their raylet names its session directory)."""
    session = ray._private.worker._global_node.get_session_dir_path()
    pids = []
    for process in psutil.process_iter():
        with contextlib.suppress(psutil.Error, IndexError):
            parent = process.parent()
            raylet = " ".join(parent.cmdline()) if parent is not None else ""
            if process.cmdline()[0].startswith(GATEWAY) and session in raylet:
                pids.append(process.pid)
    return pids


async def test_the_api_is_served_by_haproxy_on_loopback_only(client: Any) -> None:
    assert (await client.get("/health/live")).status_code == 200
    port = urlsplit(str(client.base_url)).port
    haproxy = listeners_of("haproxy")
    assert ("127.0.0.1", port) in haproxy, haproxy
    assert {address for address, _ in haproxy} == {"127.0.0.1"}, "stats and metrics too"


async def test_a_gateway_replica_killed_under_load_leaves_every_client_an_answer(
    client: Any, base_url: str
) -> None:
    """Shoppers browse and add to their carts, each add with an Idempotency-Key sent again
    after a 503 (as a client should). Whatever the replica was doing when it died, every
    request gets an answer, and every add counts once."""
    answers: list[int] = []
    refused: list[str] = []
    failures: list[str] = []
    stopping = asyncio.Event()

    async def send(http: httpx.AsyncClient, request: httpx.Request) -> httpx.Response | None:
        """`request` until it is not refused, waiting as told; None if it got no answer."""
        while True:
            try:
                response = await http.send(request)
            except httpx.HTTPError as exc:
                failures.append(repr(exc))
                return None
            answers.append(response.status_code)
            if response.status_code != 503:
                return response
            refused.append(response.json()["error"])
            await asyncio.sleep(float(response.headers["Retry-After"]) / 10)

    async def shopper(headers: dict[str, str]) -> int:
        added = 0
        async with httpx.AsyncClient(base_url=base_url, timeout=60, headers=headers) as http:
            while not stopping.is_set():
                await send(http, http.build_request("GET", "/api/products?limit=5"))
                key = {"Idempotency-Key": uuid.uuid4().hex}
                add = http.build_request("POST", "/api/cart/items", json=TEA, headers=key)
                response = await send(http, add)
                added += response is not None and response.status_code == 200
        return added

    everyone = [bearer((await sign_up(client))["tokens"]["access_token"]) for _ in range(8)]
    shoppers = [asyncio.ensure_future(shopper(headers)) for headers in everyone]
    try:
        await eventually(lambda: asyncio.sleep(0, len(answers)), lambda n: n >= 50, what="load")
        (victim,) = gateway_pids()
        kill_process(victim)
        killed_at = len(answers)
        await eventually(
            lambda: asyncio.sleep(0, answers[killed_at:].count(200)),
            lambda served: served >= 50,
            what="service after the replica came back",
        )
    finally:
        stopping.set()
        added = await asyncio.gather(*shoppers)

    assert failures == [], failures[:3]
    assert set(answers) <= {200, 503}, sorted(set(answers))
    assert set(refused) <= {"unavailable"}
    assert gateway_pids() and gateway_pids() != [victim]
    carts = [(await client.get("/api/cart", headers=headers)).json() for headers in everyone]
    assert [sum(line["quantity"] for line in cart["lines"]) for cart in carts] == added


async def test_an_add_sent_again_with_its_idempotency_key_counts_once(client: Any) -> None:
    headers = bearer((await sign_up(client))["tokens"]["access_token"])
    once = {**headers, "Idempotency-Key": uuid.uuid4().hex}
    first = await client.post("/api/cart/items", json=TEA, headers=once)
    again = await client.post("/api/cart/items", json=TEA, headers=once)
    assert first.status_code == again.status_code == 200
    assert again.json()["lines"] == first.json()["lines"]
    other = {**headers, "Idempotency-Key": uuid.uuid4().hex}
    assert (await client.post("/api/cart/items", json=TEA, headers=other)).status_code == 200
    cart = (await client.get("/api/cart", headers=headers)).json()
    assert [line["quantity"] for line in cart["lines"]] == [2]
    short = await client.post(
        "/api/cart/items", json=TEA, headers={**headers, "Idempotency-Key": "x"}
    )
    assert_error(short, 422, "invalid_input")
