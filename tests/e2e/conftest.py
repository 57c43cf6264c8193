"""The whole app under Ray Serve on 127.0.0.1, reached over real HTTP."""

import socket
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from durable import RuntimeConfig
from serve_app.gateway import start_gateway
from serve_app.settings import GatewaySettings

RATE_LIMIT = 50
ALLOWED_ORIGIN = "https://shop.example"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def gateway_settings() -> GatewaySettings:
    """What the module's gateway is told (a module may override this fixture)."""
    return GatewaySettings(
        cors_origins=(ALLOWED_ORIGIN,),
        rate_limit=RATE_LIMIT,
        rate_window_s=600,
        request_timeout_s=60,
    )


UNLIMITED = GatewaySettings(rate_limit=10**9, request_timeout_s=60)
"""For modules whose many calls come from one address (the limit is tested on its own)."""


@pytest.fixture(scope="module")
def base_url(
    ray_cluster: None, runtime_config: RuntimeConfig, gateway_settings: GatewaySettings
) -> str:
    """The module's gateway. It goes with the module's Ray: shutting Ray down stops Serve,
    its replicas and HAProxy in about 1.4 s, where Serve's graceful shutdown first (replicas
    draining for HAProxy) took about 5.7 s more."""
    port = free_port()
    start_gateway(runtime_config, gateway_settings, port)
    return f"http://127.0.0.1:{port}"


@pytest.fixture
async def client(base_url: str, shop: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:
        yield http
