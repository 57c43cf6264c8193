"""Saga metrics through `ray.util.metrics` (ARCHITECTURE §10): outcomes (a stuck saga is an
alert) and step latency, per saga type."""

from functools import cache

from ray.util import metrics


@cache
def _outcomes() -> metrics.Counter:
    return metrics.Counter(
        "rayshop_saga_outcomes",
        "Sagas ended, by type and outcome (completed, compensated, stuck)",
        tag_keys=("saga_type", "outcome"),
    )


@cache
def _step_ms() -> metrics.Histogram:
    return metrics.Histogram(
        "rayshop_saga_step_ms",
        "Time a saga step took, retries included",
        boundaries=[1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 5000],
        tag_keys=("saga_type", "step"),
    )


def saga_ended(saga_type: str, outcome: str) -> None:
    _outcomes().inc(tags={"saga_type": saga_type, "outcome": outcome})


def step_took(saga_type: str, step: str, seconds: float) -> None:
    _step_ms().observe(seconds * 1000, tags={"saga_type": saga_type, "step": step})
