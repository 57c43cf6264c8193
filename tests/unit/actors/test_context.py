"""What a call context puts into its write unit (pure, no Ray)."""

from actors.context import CallContext
from tests.integration.kinds import Counter


def counter_at(value: int) -> Counter:
    counter = Counter("c")
    counter.state.value = value
    return counter


def test_emitting_applies_the_event_at_once_and_records_it() -> None:
    counter = counter_at(0)
    ctx = CallContext(counter, expected_seq=4, correlation_id="corr-1")
    ctx.emit("Incremented", {"by": 2, "before": 0})
    unit = ctx.finish(snapshot_every=100, result=None)
    assert counter.state.value == 2
    assert (unit.expected_seq, unit.last_seq, unit.correlation_id) == (4, 5, "corr-1")
    assert unit.status == "even"


def test_a_snapshot_is_taken_when_the_unit_crosses_a_multiple_of_snapshot_every() -> None:
    counter = counter_at(0)
    ctx = CallContext(counter, expected_seq=9)
    ctx.emit("Incremented", {"by": 1, "before": 0})
    assert ctx.finish(snapshot_every=10, result=None).snapshot == counter.state.model_dump()
    ctx = CallContext(counter, expected_seq=10)
    ctx.emit("Incremented", {"by": 1, "before": 1})
    assert ctx.finish(snapshot_every=10, result=None).snapshot is None


def test_the_result_is_recorded_only_for_a_call_with_an_idempotency_key() -> None:
    with_key = CallContext(counter_at(0), 0, idempotency_key="k").finish(10, b"r")
    without = CallContext(counter_at(0), 0).finish(10, b"r")
    assert with_key.idempotency == ("k", b"r") and not with_key.touch
    assert without.is_empty()


def test_cancelling_an_alarm_undoes_setting_it_in_the_same_call() -> None:
    ctx = CallContext(counter_at(0), 0)
    ctx.set_alarm("ttl", 10.0)
    ctx.cancel_alarm("ttl")
    unit = ctx.finish(10, None)
    assert unit.alarms_set == {} and unit.alarms_cleared == {"ttl"}
