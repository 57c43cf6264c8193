"""Read-replica metrics through `ray.util.metrics` (ARCHITECTURE §10): the copies each process
holds, the writes pushed to them, and the writes that had to wait out a follower's lease
(a follower host unreachable: every write to that object was slowed by up to a lease)."""

from functools import cache

from ray.util import metrics


@cache
def _copies() -> metrics.Gauge:
    return metrics.Gauge(
        "rayshop_replica_copies", "Leased object copies held by this process", tag_keys=("kind",)
    )


@cache
def _pushed() -> metrics.Counter:
    return metrics.Counter(
        "rayshop_replica_pushes", "Writes pushed to a follower's copy", tag_keys=("kind",)
    )


@cache
def _lapsed() -> metrics.Counter:
    return metrics.Counter(
        "rayshop_replica_lapses",
        "Writes that waited for an unreachable follower's lease to run out",
        tag_keys=("kind",),
    )


def copies(kind: str, count: int) -> None:
    _copies().set(count, tags={"kind": kind})


def pushed(kind: str, followers: int) -> None:
    _pushed().inc(followers, tags={"kind": kind})


def lapsed(kind: str) -> None:
    _lapsed().inc(tags={"kind": kind})
