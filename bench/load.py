"""Closed-loop load: `clients` callers each run the next flow as soon as the last ended."""

import asyncio
import time
from collections.abc import Awaitable, Callable

from bench.cpu import CpuMeter
from bench.report import percentile


async def closed_loop(
    flow: Callable[[int], Awaitable[float]],
    clients: int,
    seconds: float,
    meter: CpuMeter | None = None,
) -> dict[str, float]:
    """Runs `flow(client_number)` (which returns its latency in ms) for `seconds`; returns
    flows per second, how many flows ran, and the p50 / p99 latency. A `meter` counts the CPU
    of exactly those flows (read it after)."""
    stop_at = time.perf_counter() + seconds
    latencies: list[float] = []

    async def client(n: int) -> None:
        while time.perf_counter() < stop_at:
            latencies.append(await flow(n))

    if meter is not None:
        meter.start()
    started = time.perf_counter()
    await asyncio.gather(*(client(n) for n in range(clients)))
    elapsed = time.perf_counter() - started
    if meter is not None:
        meter.stop()
    return {
        "per_s": len(latencies) / elapsed,
        "count": len(latencies),
        "p50": percentile(latencies, 50),
        "p99": percentile(latencies, 99),
    }
