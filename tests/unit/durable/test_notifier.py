"""Waiting for a wake-up: one registered before the look is never lost; topics are exact."""

from durable.host.notifier import Notifier, woken


async def test_a_wake_up_between_the_look_and_the_wait_is_not_lost() -> None:
    notifier = Notifier()
    with notifier.listening("saga-settled", "co-1") as settled:
        settled.clear()  # look at the state here; the saga settles right after the look
        notifier.notify("saga-settled", "co-1")
        assert await woken(settled, 5.0)


async def test_only_listeners_of_the_exact_topic_are_woken() -> None:
    notifier = Notifier()
    with (
        notifier.listening("bus-appended", "bus") as ours,
        notifier.listening("bus-appended", "other-bus") as theirs,
    ):
        notifier.notify("bus-appended", "bus")
        assert ours.is_set() and not theirs.is_set()
        assert not await woken(theirs, 0.01)


def test_a_finished_listener_leaves_nothing_behind() -> None:
    notifier = Notifier()
    with notifier.listening("saga-event-received", "co-1", "payment"):
        pass
    assert notifier._listeners == {}
    notifier.notify("saga-event-received", "co-1", "payment")  # nobody listens: nothing to do
