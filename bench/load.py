"""Closed-loop load: `clients` callers each run the next flow as soon as the last ended."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bench.cpu import CpuMeter
from bench.report import percentile


@dataclass
class Samples:
    """Flows of one kind gathered over one or more closed loops."""

    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> dict[str, float]:
        return {
            "per_s": len(self.latencies) / self.seconds,
            "count": len(self.latencies),
            "p50": percentile(self.latencies, 50),
            "p99": percentile(self.latencies, 99),
        }


async def closed_loop(
    flow: Callable[[int], Awaitable[float]],
    clients: int,
    seconds: float,
    meter: CpuMeter | None = None,
    into: Samples | None = None,
) -> dict[str, float]:
    """Runs `flow(client_number)` (which returns its latency in ms) for `seconds`; returns
    flows per second, how many flows ran, and the p50 / p99 latency. A `meter` counts the CPU
    of exactly those flows; `into` gathers them with earlier loops'."""
    stop_at = time.perf_counter() + seconds
    samples = Samples()

    async def client(n: int) -> None:
        while time.perf_counter() < stop_at:
            samples.latencies.append(await flow(n))

    if meter is not None:
        meter.start()
    started = time.perf_counter()
    await asyncio.gather(*(client(n) for n in range(clients)))
    samples.seconds = time.perf_counter() - started
    if meter is not None:
        meter.stop()
    if into is not None:
        into.latencies += samples.latencies
        into.seconds += samples.seconds
    return samples.summary()
