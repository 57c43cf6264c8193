"""What a call context puts into its write unit (pure, no Ray)."""

import pytest

from durable import CallContext
from durable.host.snapshots import snapshot_due
from tests.integration.kinds import Counter


def counter_at(value: int) -> Counter:
    counter = Counter("c")
    counter.state.value = value
    return counter


def test_emitting_applies_the_event_at_once_and_records_it() -> None:
    counter = counter_at(0)
    ctx = CallContext(counter, expected_seq=4, correlation_id="corr-1")
    ctx.emit("Incremented", {"by": 2, "before": 0})
    unit = ctx.finish(result=None)
    assert counter.state.value == 2
    assert (unit.expected_seq, unit.last_seq, unit.correlation_id) == (4, 5, "corr-1")
    assert unit.status == "even"


@pytest.mark.parametrize(
    ("since", "snapshot_bytes", "due"),
    [(9, 0, False), (10, 0, True), (10, 64 * 500, False), (500, 64 * 500, True)],
)
def test_a_snapshot_is_due_every_n_events_or_later_for_a_large_state(
    since: int, snapshot_bytes: int, due: bool
) -> None:
    assert snapshot_due(since, snapshot_bytes, snapshot_every=10) is due


def test_the_result_is_recorded_only_for_a_call_with_an_idempotency_key() -> None:
    with_key = CallContext(counter_at(0), 0, idempotency_key="k").finish(b"r")
    without = CallContext(counter_at(0), 0).finish(b"r")
    assert with_key.idempotency == ("k", b"r") and not with_key.touch
    assert without.is_empty()


def test_cancelling_an_alarm_undoes_setting_it_in_the_same_call() -> None:
    ctx = CallContext(counter_at(0), 0)
    ctx.set_alarm("ttl", 10.0)
    ctx.cancel_alarm("ttl")
    unit = ctx.finish(None)
    assert unit.alarms_set == {} and unit.alarms_cleared == {"ttl"}
