"""Garbage collection for long-lived server processes: hosts and gateway replicas.

Such a process allocates a few hundred objects per call and keeps what start-up built
(modules, routes, schemas, Ray's own state) for its whole life. Python's default, a young
collection every 700 allocations and a full one every 100 young ones, keeps scanning that
start-up heap and finds little to free.

A host also keeps every object it serves in memory until it has been idle for
`idle_seconds`: under load that is hundreds of thousands of Python objects per host, all
of which survive young collections. A collection of the middle generation scans every
survivor since the last one, and stops every call the host has in flight while it does.
"""

import gc
import os
import time
from typing import Any

THRESHOLDS = (25_000, 2, 1_000)
"""A young collection every 25,000 allocations; the middle generation after every second
one, so it holds the survivors of two young collections at most; the old generation after
1,000 middle ones (and, as Python adds, only once it has grown by a quarter)."""


class GcPauses:
    """Collections of this process since start-up, by generation: how many, how long in
    all, the longest. Wall time: that is how long every call in flight waited."""

    def __init__(self) -> None:
        self.count = [0, 0, 0]
        self.total_s = [0.0, 0.0, 0.0]
        self.longest_s = [0.0, 0.0, 0.0]
        self._started = 0.0

    def on_collection(self, phase: str, info: dict[str, Any]) -> None:
        """A `gc.callbacks` entry. It may run inside any allocation of any thread, so it
        takes no lock and only does arithmetic."""
        if phase == "start":
            self._started = time.perf_counter()
            return
        generation = info["generation"]
        took = time.perf_counter() - self._started
        self.count[generation] += 1
        self.total_s[generation] += took
        self.longest_s[generation] = max(self.longest_s[generation], took)

    def summary(self) -> dict[str, list[float]]:
        return {
            "count": list(self.count),
            "total_ms": [s * 1000 for s in self.total_s],
            "longest_ms": [s * 1000 for s in self.longest_s],
        }


PAUSES = GcPauses()
"""This process's collections, once `collect_garbage_less_often` has run."""


def collect_garbage_less_often() -> None:
    """Measured at a checkout load of 64 shoppers: under Python's default, hosts spent
    5-10% of checkout throughput on collections and a gateway replica a tenth of its CPU.
    `bench.gc_pauses` (150 s of load, two runs): with a middle collection every 20 young
    ones of 50,000 allocations, a shop host stopped for up to 0.75 s (1.1 s in a probe);
    with `THRESHOLDS`, for up to 0.16-0.22 s, at about the same collection time per checkout
    (0.48-0.51 ms against 0.47-0.49 ms).
    `RAYSHOP_GC_THRESHOLDS` (`young,middle,old`) overrides them. From here on `PAUSES`
    records every collection of the process."""
    gc.set_threshold(*thresholds(os.environ.get("RAYSHOP_GC_THRESHOLDS", "")))
    if PAUSES.on_collection not in gc.callbacks:
        gc.callbacks.append(PAUSES.on_collection)


def thresholds(spec: str) -> tuple[int, int, int]:
    """`"25000,2,1000"` -> (25000, 2, 1000); empty -> `THRESHOLDS`."""
    if not spec.strip():
        return THRESHOLDS
    parts = [part.strip() for part in spec.split(",")]
    if len(parts) != 3 or not all(part.isdigit() and int(part) > 0 for part in parts):
        raise ValueError(f"RAYSHOP_GC_THRESHOLDS: {spec!r} is not three positive counts")
    young, middle, old = (int(part) for part in parts)
    return young, middle, old


def keep_startup_objects() -> None:
    """What start-up made lives as long as the process: never scan it again."""
    gc.freeze()
