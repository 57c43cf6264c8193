"""Placement metrics through `ray.util.metrics` (ARCHITECTURE §10, §13): partitions each host
serves, moves by outcome, and how long calls waited because their partition was moving."""

from functools import cache

from ray.util import metrics


@cache
def _served() -> metrics.Gauge:
    return metrics.Gauge(
        "rayshop_partitions_served", "Partitions a host serves", tag_keys=("host",)
    )


@cache
def _moves() -> metrics.Counter:
    return metrics.Counter(
        "rayshop_partition_moves",
        "Partition moves ended, by outcome (moved, called_off)",
        tag_keys=("collection", "outcome"),
    )


@cache
def _paused_ms() -> metrics.Histogram:
    return metrics.Histogram(
        "rayshop_move_pause_ms",
        "Time a call waited because its partition was moving",
        boundaries=[1, 5, 10, 25, 50, 100, 250, 500, 1000, 2000, 5000],
        tag_keys=("host",),
    )


def partitions_served(host: str, count: int) -> None:
    _served().set(count, tags={"host": host})


def move_ended(collection: str, moved: bool) -> None:
    _moves().inc(tags={"collection": collection, "outcome": "moved" if moved else "called_off"})


def call_paused(host: str, seconds: float) -> None:
    _paused_ms().observe(seconds * 1000, tags={"host": host})
