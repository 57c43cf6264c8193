"""The front door (serve_app/front_door.py): the API is HAProxy's, on loopback only, and a
gateway replica that dies under load leaves every client an answer, and every change sent
with an Idempotency-Key counted once."""

import asyncio
import contextlib
import uuid
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

import httpx
import psutil
import pytest
import ray

from durable import RuntimeConfig
from serve_app.front_door import front_door_mode
from serve_app.gateway import start_gateway
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


def http_requests_counted(route: str) -> float:
    """Serve's `serve_num_http_requests` for the shop's `route`, as Ray's metrics endpoint
    on this node shows it now (each replica hands its counts over every second or so)."""
    port = ray._private.worker.global_worker.node.metrics_export_port
    exported = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    return sum(
        float(line.rpartition(" ")[2])
        for line in exported.splitlines()
        if line.startswith("ray_serve_num_http_requests_total{")
        and 'application="rayshop"' in line
        and f'route="{route}"' in line
    )


async def test_serve_counts_the_apis_http_requests_by_route(client: Any) -> None:
    """HAProxy sends Serve no log line per request (front_door.REQUEST_LOG_METRICS): the
    gateway replica counts Serve's HTTP metrics itself, route by route."""
    for _ in range(3):
        assert (await client.get("/api/categories")).status_code == 200
    await eventually(
        lambda: asyncio.to_thread(http_requests_counted, "/api/categories"),
        lambda counted: counted >= 3,
        what="Serve's HTTP request count for /api/categories",
    )


class Shoppers:
    """Shoppers who browse and add to their carts until stopped, each add with an
    Idempotency-Key, sending a request again after a 503 as told (as a client should)."""

    def __init__(self, base_url: str, everyone: list[dict[str, str]]) -> None:
        self.base_url, self.everyone = base_url, everyone
        self.answers: list[int] = []
        self.refused: list[str] = []
        self.failures: list[str] = []
        self.unexpected: list[str] = []
        self.added: list[int] = []
        self._stopping = asyncio.Event()
        self._running: list[asyncio.Future[int]] = []

    async def __aenter__(self) -> "Shoppers":
        self._running = [asyncio.ensure_future(self._shop(h)) for h in self.everyone]
        await eventually(
            lambda: asyncio.sleep(0, len(self.answers)), lambda n: n >= 50, what="load"
        )
        return self

    async def __aexit__(self, *_: object) -> None:
        self._stopping.set()
        self.added = list(await asyncio.gather(*self._running))

    async def served_after(self, mark: int, count: int) -> None:
        """Waits until `count` requests after the `mark`-th answer were served."""
        await eventually(
            lambda: asyncio.sleep(0, self.answers[mark:].count(200)),
            lambda served: served >= count,
            what="service after the change",
        )

    async def _send(self, http: httpx.AsyncClient, request: httpx.Request) -> int | None:
        """The status `request` ends with, sent again while refused; None if unanswered."""
        while True:
            try:
                response = await http.send(request)
            except httpx.HTTPError as exc:
                self.failures.append(repr(exc))
                return None
            self.answers.append(response.status_code)
            if response.status_code not in (200, 503):
                answer = f"{response.status_code} {response.text[:200]}"
                self.unexpected.append(f"{request.method} {request.url.path}: {answer}")
            if response.status_code != 503:
                return response.status_code
            self.refused.append(response.json()["error"])
            await asyncio.sleep(float(response.headers["Retry-After"]) / 10)

    async def _shop(self, headers: dict[str, str]) -> int:
        added = 0
        async with httpx.AsyncClient(base_url=self.base_url, timeout=60, headers=headers) as http:
            while not self._stopping.is_set():
                await self._send(http, http.build_request("GET", "/api/products?limit=5"))
                key = {"Idempotency-Key": uuid.uuid4().hex}
                add = http.build_request("POST", "/api/cart/items", json=TEA, headers=key)
                added += await self._send(http, add) == 200
        return added


async def shoppers_of(client: Any) -> list[dict[str, str]]:
    return [bearer((await sign_up(client))["tokens"]["access_token"]) for _ in range(8)]


async def assert_answered_and_counted_once(client: Any, load: Shoppers) -> None:
    assert load.failures == [], load.failures[:3]
    assert load.unexpected == [], load.unexpected[:3]
    assert set(load.refused) <= {"unavailable"}
    carts = [(await client.get("/api/cart", headers=h)).json() for h in load.everyone]
    assert [sum(line["quantity"] for line in cart["lines"]) for cart in carts] == load.added


async def test_a_gateway_replica_killed_under_load_leaves_every_client_an_answer(
    client: Any, base_url: str
) -> None:
    """Whatever the replica was doing when it died, every request gets an answer, and every
    add counts once."""
    async with Shoppers(base_url, await shoppers_of(client)) as load:
        (victim,) = gateway_pids()
        kill_process(victim)
        await load.served_after(len(load.answers), 50)
    await assert_answered_and_counted_once(client, load)
    assert gateway_pids() and gateway_pids() != [victim]


async def test_a_gateway_redeployed_under_load_drains_without_losing_a_request(
    client: Any, base_url: str, runtime_config: RuntimeConfig
) -> None:
    """A new version of the gateway (here: new settings) replaces the replica while shoppers
    shop: the old one drains, and nobody notices but for a 503 at most."""
    port = urlsplit(base_url).port
    assert port is not None
    async with Shoppers(base_url, await shoppers_of(client)) as load:
        (before,) = gateway_pids()
        start_gateway(runtime_config, replace(UNLIMITED, request_timeout_s=59), port)
        await eventually(
            lambda: asyncio.sleep(0, gateway_pids()),
            lambda now: bool(now) and before not in now,
            what="the old replica gone, a new one up",
        )
        await load.served_after(len(load.answers), 50)
    await assert_answered_and_counted_once(client, load)


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
