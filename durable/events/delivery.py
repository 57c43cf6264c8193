"""Delivery from the event bus to its subscribers, run in the bus's host beside its gate.

One loop per subscriber: read what lies after its position, hand it over in one call, move
the position once the subscriber's writes are durable, and save it on the bus about once a
second while events flow, and once more when they have stopped for IDLE_POLL_S (the
subscriber skips what it gets again after a crash; the bus's `lag` reads the saved
positions). A batch that fails is retried with backoff; if it keeps failing, its events go
one by one so that only the event at fault is set aside as a dead letter and the rest go on.
A subscriber host that is down is waited for, never dead-lettered.
"""

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any

from durable.errors import HostUnavailable
from durable.events import metrics as bus_metrics
from durable.events.subscriber import Subscriber
from durable.events.subscriptions import Subscription
from durable.host.local_ref import LocalRef
from durable.host.notifier import notifier, woken
from durable.retry import RetryPolicy

if TYPE_CHECKING:
    from durable.client.objects import Objects
    from durable.client.stub import ObjectStub
    from durable.events.bus import EventBus

log = logging.getLogger(__name__)

BATCH = 500
DELIVERY_RETRY = RetryPolicy(attempts=4, first_backoff_s=0.1, max_backoff_s=3.2)
IDLE_POLL_S = 1.0
LINGER_S = 0.1
SAVE_EVERY_S = 1.0
APPENDED = "bus-appended"
SUBSCRIBED = "bus-subscribed"


def wake_deliveries(bus_key: str) -> None:
    """Something new to deliver: every delivery loop of this bus looks at once."""
    notifier.notify(APPENDED, bus_key)


def wake_keeper(bus_key: str) -> None:
    """A subscriber was added: the bus's keeper of delivery loops starts its loop at once
    (it reads the subscriptions only then, and once every IDLE_POLL_S, not on every append)."""
    notifier.notify(SUBSCRIBED, bus_key)


def bus_kind() -> type["EventBus"]:
    """The bus's kind, whose methods delivery calls on it (the bus imports this module)."""
    from durable.events.bus import EventBus

    return EventBus


async def deliver_forever(ref: LocalRef, objects: "Objects") -> None:
    """Keeps one delivery loop running per subscription of the bus `ref` points at."""
    loops: dict[str, asyncio.Task[None]] = {}
    try:
        with notifier.listening(SUBSCRIBED, ref.key) as wakeup:
            await _keep_loops(ref, objects, loops, wakeup)
    finally:
        for task in loops.values():
            task.cancel()


async def _keep_loops(
    ref: LocalRef, objects: "Objects", loops: dict[str, asyncio.Task[None]], wakeup: asyncio.Event
) -> None:
    while True:
        wakeup.clear()
        for raw in await ref.call(bus_kind().subscriptions):
            subscription = Subscription.model_validate(raw)
            running = loops.get(subscription.name)
            if running is None or running.done():
                loop = _deliver_to(ref, subscription, objects)
                loops[subscription.name] = asyncio.get_running_loop().create_task(loop)
        await woken(wakeup, IDLE_POLL_S)


async def _deliver_to(ref: LocalRef, subscription: Subscription, objects: "Objects") -> None:
    target = objects.named(subscription.kind).get(subscription.key)
    name = subscription.name
    cursor = _Cursor(ref, name)
    try:
        with notifier.listening(APPENDED, ref.key) as wakeup:
            await _deliver_batches(ref, target, name, cursor, wakeup)
    except Exception:
        log.exception("delivery to %s stopped; it restarts with the next look", name)
        raise


async def _deliver_batches(
    ref: LocalRef, target: Any, name: str, cursor: "_Cursor", wakeup: asyncio.Event
) -> None:
    while True:
        wakeup.clear()
        found = await ref.call(bus_kind().pending, name, cursor.position, BATCH)
        cursor.read_from(found["positions"])
        for event in found["replays"]:
            error = await _hand_over(target, name, [event], replay=True)
            await ref.call(bus_kind().replayed, name, event, error)
        batch = found["events"]
        if not batch:
            await cursor.save_now_and_then()
            if not await woken(wakeup, IDLE_POLL_S):
                await cursor.save()  # quiet for a while: where it stands is saved
                continue
            await asyncio.sleep(LINGER_S)  # one call then carries what comes meanwhile
            continue
        if await _hand_over(target, name, batch) is None:
            cursor.advance(batch)
            bus_metrics.delivered(name, len(batch), time.time() - batch[-1]["at"])
            await cursor.save_now_and_then()
            continue
        for event in batch:  # find the event at fault; the others go through
            error = await _hand_over(target, name, [event])
            if error is not None:
                log.error("subscriber %s refused event %s: %s", name, event["event_id"], error)
                await ref.call(bus_kind().dead_letter, name, event, error, DELIVERY_RETRY.attempts)
                bus_metrics.dead_lettered(name)
            cursor.advance([event])
        await cursor.save()


class _Cursor:
    """Where a subscriber's delivery stands. Kept in memory and saved on the bus now and
    then: after a crash the subscriber gets a few events again and skips them."""

    def __init__(self, ref: LocalRef, subscriber: str) -> None:
        self._ref = ref
        self._subscriber = subscriber
        self.position: dict[str, int] | None = None
        self._saved: dict[str, int] = {}
        self._saved_at = time.monotonic()

    def read_from(self, positions: dict[str, int]) -> None:
        self.position = dict(positions)
        if not self._saved:
            self._saved = dict(positions)

    def advance(self, events: list[dict[str, Any]]) -> None:
        assert self.position is not None
        for event in events:
            self.position[event["topic"]] = max(self.position[event["topic"]], event["seq"])

    async def save_now_and_then(self) -> None:
        if time.monotonic() - self._saved_at >= SAVE_EVERY_S:
            await self.save()

    async def save(self) -> None:
        if self.position is None or self.position == self._saved:
            return
        moved = {t: s for t, s in self.position.items() if s > self._saved.get(t, 0)}
        await self._ref.call(bus_kind().delivered, self._subscriber, moved)
        self._saved = dict(self.position)
        self._saved_at = time.monotonic()


async def _hand_over(
    target: "ObjectStub[Any]",
    subscriber: str,
    events: list[dict[str, Any]],
    *,
    replay: bool = False,
) -> str | None:
    """None once the subscriber took the events; else the last error, after the retries."""
    attempt = 0
    while True:
        attempt += 1
        try:
            await target.call(
                Subscriber.consume, subscriber=subscriber, events=events, replay=replay
            )
            return None
        except HostUnavailable:
            attempt -= 1  # not the subscriber's fault: wait for its host
        except Exception as exc:
            if attempt >= DELIVERY_RETRY.attempts:
                return f"{type(exc).__name__}: {exc}"
        await asyncio.sleep(DELIVERY_RETRY.backoff(max(attempt, 1)))
