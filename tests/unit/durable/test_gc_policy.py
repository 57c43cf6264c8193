"""The hosts' garbage-collection policy: its thresholds, the operator's override, and the
record of every collection's pause."""

import gc
from collections.abc import Iterator

import pytest

from durable.gc_policy import THRESHOLDS, GcPauses, thresholds


@pytest.fixture
def pauses() -> Iterator[GcPauses]:
    """Only the collections a test asks for: automatic ones are off meanwhile."""
    watched = GcPauses()
    gc.disable()
    gc.callbacks.append(watched.on_collection)
    yield watched
    gc.callbacks.remove(watched.on_collection)
    gc.enable()


def test_each_collection_is_counted_under_its_generation(pauses: GcPauses) -> None:
    gc.collect(1)
    gc.collect(1)
    gc.collect(2)

    summary = pauses.summary()

    assert summary["count"] == [0, 2, 1]
    assert summary["total_ms"][1] >= summary["longest_ms"][1] > 0
    assert summary["longest_ms"][2] > 0


def test_no_override_means_the_default_thresholds() -> None:
    assert thresholds("") == THRESHOLDS
    assert thresholds("  ") == THRESHOLDS


def test_an_override_names_all_three_generations() -> None:
    assert thresholds("50000, 20, 100") == (50_000, 20, 100)


@pytest.mark.parametrize("spec", ["50000,20", "a,b,c", "0,2,1000", "-1,2,3", "1,2,3,4"])
def test_a_malformed_override_is_refused(spec: str) -> None:
    with pytest.raises(ValueError, match="RAYSHOP_GC_THRESHOLDS"):
        thresholds(spec)
