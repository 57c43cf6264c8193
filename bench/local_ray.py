"""What every benchmark runs in: its own local Ray (never a running shop) and a temporary
state directory, both gone afterwards."""

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

import ray


@contextmanager
def local_ray(name: str) -> Iterator[str]:
    """Yields the state directory of a fresh local Ray."""
    state_dir = tempfile.mkdtemp(prefix=f"rayshop-bench-{name}-")
    os.environ.pop("RAY_ADDRESS", None)  # a bench never attaches to a running shop
    try:
        ray.init(
            address="local", namespace="rayshop-bench", include_dashboard=False, log_to_driver=False
        )
        yield state_dir
    finally:
        ray.shutdown()
        shutil.rmtree(state_dir, ignore_errors=True)


def bench_seconds(default: float) -> float:
    """Seconds per measured point (`BENCH_SECONDS` to change)."""
    return float(os.environ.get("BENCH_SECONDS", str(default)))
