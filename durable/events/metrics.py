"""Event-bus metrics through `ray.util.metrics` (ARCHITECTURE §10): what the relays moved, what
each subscriber received, how late, and what it refused."""

from functools import cache

from ray.util import metrics


@cache
def _relayed() -> metrics.Counter:
    return metrics.Counter(
        "rayshop_outbox_relayed", "Outbox messages moved to the event bus", tag_keys=("origin",)
    )


@cache
def _delivered() -> metrics.Counter:
    return metrics.Counter(
        "rayshop_events_delivered", "Events applied by a subscriber", tag_keys=("subscriber",)
    )


@cache
def _dead_letters() -> metrics.Counter:
    return metrics.Counter(
        "rayshop_dead_letters", "Events a subscriber kept refusing", tag_keys=("subscriber",)
    )


@cache
def _delay_ms() -> metrics.Histogram:
    return metrics.Histogram(
        "rayshop_event_delivery_ms",
        "From publishing an event to its subscriber applying it (newest event of a batch)",
        boundaries=[5, 10, 25, 50, 100, 250, 500, 1000, 5000, 30000],
        tag_keys=("subscriber",),
    )


def relayed(origin: str, count: int) -> None:
    _relayed().inc(count, tags={"origin": origin})


def delivered(subscriber: str, count: int, delay_s: float) -> None:
    _delivered().inc(count, tags={"subscriber": subscriber})
    _delay_ms().observe(max(delay_s, 0.0) * 1000, tags={"subscriber": subscriber})


def dead_lettered(subscriber: str) -> None:
    _dead_letters().inc(tags={"subscriber": subscriber})
