"""One real local Ray per test module, with state in a temporary directory."""

import asyncio
import os
import signal
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
import ray

from durable import RuntimeConfig

T = TypeVar("T")


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[None]:
    """A local Ray serving HTTP as the shop does (`serve_app.front_door`: HAProxy unless
    RAYSHOP_FRONT_DOOR=python); Serve reads that from the environment Ray starts with."""
    from serve_app.front_door import front_door_env, remove_run_dir

    os.environ.pop("RAY_ADDRESS", None)  # it would win over address="local"
    front_door = front_door_env()
    os.environ.update(front_door)
    ray.init(
        address="local",  # never attach to a running shop
        namespace="rayshop-tests",
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        configure_logging=False,
    )
    yield
    ray.shutdown()
    remove_run_dir(front_door)


@pytest.fixture(scope="module")
def runtime_config(tmp_path_factory: pytest.TempPathFactory) -> RuntimeConfig:
    state_dir: Path = tmp_path_factory.mktemp("state")
    return RuntimeConfig(state_dir=str(state_dir), snapshot_every=10, idle_seconds=3600)


def kill_process(pid: int) -> None:
    """SIGKILL, as a crash would: no cleanup, no flush."""
    os.kill(pid, signal.SIGKILL)


async def eventually(
    probe: Callable[[], Awaitable[T]],
    accept: Callable[[T], bool],
    *,
    timeout_s: float = 90.0,
    what: str = "",
) -> T:
    """Polls `probe` until `accept` holds for its answer; fails after a generous deadline."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = await probe()
        if accept(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}; last answer: {value!r}")
        await asyncio.sleep(0.05)


@pytest.fixture(scope="module")
def shop_app() -> Any:
    """The application the module's `shop` runs: the shop itself, unless a module adds kinds."""
    from bootstrap import SHOP

    return SHOP


@pytest.fixture(scope="module")
def shop(ray_cluster: None, runtime_config: RuntimeConfig, shop_app: Any) -> Any:
    """Every kind of the shop on real hosts, with a catalog and three stocked warehouses.
    (Modules that test the runtime alone define their own `shop`.)"""
    from bench.shop_data import stock_shop
    from durable import Objects

    shop = Objects(shop_app, runtime_config)
    shop.ensure_hosts()
    asyncio.run(stock_shop(shop))
    return shop
