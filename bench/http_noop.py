"""The floor under every HTTP figure: a Serve route that does nothing, under the same load."""

import time
from typing import Any

import aiohttp
from fastapi import FastAPI
from ray import serve

from bench.load import closed_loop

noop_app = FastAPI()


@serve.deployment(max_ongoing_requests=200)
@serve.ingress(noop_app)
class Noop:
    @noop_app.get("/")
    async def nothing(self) -> dict[str, Any]:
        return {}


def start_noop() -> None:
    """Deploys the no-op beside the shop, at `/noop/`."""
    serve.run(Noop.bind(), name="noop", route_prefix="/noop")  # type: ignore[attr-defined]


async def noop_point(base_url: str, clients: int, seconds: float) -> dict[str, float]:
    """Requests per second of the no-op route with `clients` in a closed loop."""
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(base_url, connector=connector) as client:

        async def one(_: int) -> float:
            started = time.perf_counter()
            async with client.get("/noop/") as response:
                response.raise_for_status()
                await response.read()
            return (time.perf_counter() - started) * 1000

        await closed_loop(one, clients, min(3.0, seconds))
        return await closed_loop(one, clients, seconds)
