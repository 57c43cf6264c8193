"""Shared output of the benchmarks: a readable table, then the figures as one JSON line."""

import json
import statistics
from collections.abc import Sequence
from typing import Any


def percentile(samples: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by nearest rank; samples need not be sorted."""
    ordered = sorted(samples)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def median(samples: Sequence[float]) -> float:
    return statistics.median(samples)


def print_table(title: str, rows: list[tuple[str, Any, str]]) -> None:
    """Rows of (figure, value, what it is compared with)."""
    width = max(len(name) for name, _, _ in rows)
    print(f"\n{title}")
    print("-" * len(title))
    for name, value, note in rows:
        shown = f"{value:,.2f}" if isinstance(value, float) else f"{value:,}"
        print(f"  {name:<{width}}  {shown:>14}  {note}")


def print_figures(figures: dict[str, Any]) -> None:
    """The last line of every benchmark: machine-readable, one JSON object."""
    rounded = {k: round(v, 3) if isinstance(v, float) else v for k, v in figures.items()}
    print(json.dumps(rounded, sort_keys=False), flush=True)
