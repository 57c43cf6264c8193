"""The event bus (dedicated, ARCHITECTURE §9): a durable log per topic, a cursor per subscriber
and topic, at-least-once delivery in order, retries with backoff, dead letters.

Relays append what owners put in their outboxes. Each append carries the owner file and the
outbox ids, and the bus remembers the highest id taken per file, so a relay that re-sends
after a crash adds nothing twice. Delivery runs in the bus host, outside the object's gate:
one loop per subscriber reads what lies after its cursor, calls the subscriber object, and
moves the cursor only after the subscriber's writes are durable.
"""

import json
from typing import Any

from pydantic import BaseModel, Field

from durable.context import CallContext
from durable.events.delivery import deliver_forever, wake_deliveries, wake_keeper
from durable.events.subscriptions import Subscription
from durable.kind import DurableObject, Event, command, query
from durable.placement.policy import Dedicated

SCHEMA = """
CREATE TABLE IF NOT EXISTS bus_log (
    topic TEXT NOT NULL, seq INTEGER NOT NULL, event_id TEXT NOT NULL, type TEXT NOT NULL,
    correlation_id TEXT, at REAL NOT NULL, envelope TEXT NOT NULL, PRIMARY KEY (topic, seq)
) WITHOUT ROWID;
DROP INDEX IF EXISTS bus_log_by_correlation;
CREATE TABLE IF NOT EXISTS dead_letters (
    subscriber TEXT NOT NULL, topic TEXT NOT NULL, seq INTEGER NOT NULL,
    event_id TEXT NOT NULL, error TEXT NOT NULL, attempts INTEGER NOT NULL, at REAL NOT NULL,
    status TEXT NOT NULL, PRIMARY KEY (subscriber, topic, seq)
) WITHOUT ROWID;
"""


class BusState(BaseModel):
    heads: dict[str, int] = Field(default_factory=dict)
    """topic -> seq of its newest event"""
    origins: dict[str, int] = Field(default_factory=dict)
    """owner file -> highest outbox id appended"""
    subscriptions: dict[str, Subscription] = Field(default_factory=dict)
    cursors: dict[str, dict[str, int]] = Field(default_factory=dict)
    """subscriber -> topic -> seq delivered"""
    replays: dict[str, int] = Field(default_factory=dict)
    """subscriber -> dead letters queued for another delivery"""


class EventBus(DurableObject):
    kind = "event_bus"
    collection = "event_buses"
    placement = Dedicated()
    state_model = BusState
    owner_schema = SCHEMA
    resume_statuses = ("active",)
    state: BusState

    def apply(self, event: Event) -> None:
        state, data = self.state, event.data
        match event.type:
            case "Taken":
                state.origins[data["origin"]] = data["up_to"]
            case "Appended":
                state.heads.update(data["heads"])
            case "Subscribed":
                subscription = Subscription.model_validate(data)
                state.subscriptions[subscription.name] = subscription
                start = {
                    t: 0 if subscription.from_start else state.heads.get(t, 0)
                    for t in subscription.topics
                }
                state.cursors[subscription.name] = start
            case "Delivered":
                state.cursors[data["subscriber"]][data["topic"]] = data["seq"]
            case "ReplayQueued":
                state.replays[data["subscriber"]] = state.replays.get(data["subscriber"], 0) + 1
            case "Replayed":
                state.replays[data["subscriber"]] -= 1

    def index(self) -> tuple[str | None, str | None]:
        return None, "active"

    @command
    async def resume(self, ctx: CallContext) -> None:
        """Restarts delivery after the host restarted."""
        self._deliver(ctx)

    # producers

    @command
    async def append_all(
        self, ctx: CallContext, batches: list[tuple[str, list[tuple[int, dict[str, Any]]]]]
    ) -> int:
        """Appends owners' outbox messages: per owner file, ids ascending. Returns how many
        were new (a relay may send again what the bus already holds)."""
        self._subscribe_defaults(ctx)
        heads = dict(self.state.heads)
        appended = 0
        for origin, messages in batches:
            taken = self.state.origins.get(origin, 0)
            fresh = [(row_id, message) for row_id, message in messages if row_id > taken]
            for _, message in fresh:
                self._log(ctx, heads, message)
            if fresh:
                ctx.emit("Taken", {"origin": origin, "up_to": fresh[-1][0]})
                appended += len(fresh)
        if appended:
            changed = {t: s for t, s in heads.items() if s != self.state.heads.get(t)}
            ctx.emit("Appended", {"heads": changed})
            self._deliver(ctx)
            wake_deliveries(self.key)
        return appended

    @staticmethod
    def _log(ctx: CallContext, heads: dict[str, int], message: dict[str, Any]) -> None:
        topic = message["topic"]
        heads[topic] = heads.get(topic, 0) + 1
        ctx.put_row(
            "bus_log",
            {"topic": topic, "seq": heads[topic]},
            {
                "event_id": message["event_id"],
                "type": message["type"],
                "correlation_id": message.get("correlation_id"),
                "at": message["at"],
                "envelope": json.dumps(message, separators=(",", ":")),
            },
        )

    # subscribers

    @command
    async def subscribe(self, ctx: CallContext, subscription: dict[str, Any]) -> None:
        """Adds a subscriber (kept across restarts); a known name is left as it is."""
        parsed = Subscription.model_validate(subscription)
        if parsed.name not in self.state.subscriptions:
            ctx.emit("Subscribed", parsed.model_dump())
            wake_keeper(self.key)
        self._deliver(ctx)

    @query
    async def subscriptions(self, ctx: CallContext) -> list[dict[str, Any]]:
        return [s.model_dump() for s in self.state.subscriptions.values()]

    @query
    async def pending(
        self,
        ctx: CallContext,
        subscriber: str,
        after: dict[str, int] | None = None,
        limit: int = 500,
    ) -> dict[str, Any]:
        """Durable events after `after` (by default the subscriber's saved cursors), in order
        per topic, the positions they were read from, and any dead letters queued again."""
        cursors = self.state.cursors.get(subscriber, {})
        positions = {t: max(s, (after or {}).get(t, 0)) for t, s in cursors.items()}
        found: list[dict[str, Any]] = []
        for topic, cursor in positions.items():
            if self.state.heads.get(topic, 0) <= cursor:
                continue
            rows = await ctx.read(
                "SELECT seq, envelope FROM bus_log WHERE topic = ? AND seq > ?"
                " ORDER BY seq LIMIT ?",
                (topic, cursor, limit),
            )
            found += [{**json.loads(envelope), "seq": seq} for seq, envelope in rows]
        replays = await self._queued_replays(ctx, subscriber)
        return {"events": found, "positions": positions, "replays": replays}

    @command
    async def delivered(self, ctx: CallContext, subscriber: str, up_to: dict[str, int]) -> None:
        """Moves the subscriber's cursors forward (never back)."""
        cursors = self.state.cursors.get(subscriber, {})
        for topic, seq in up_to.items():
            if seq > cursors.get(topic, 0):
                ctx.emit("Delivered", {"subscriber": subscriber, "topic": topic, "seq": seq})

    @command
    async def dead_letter(
        self, ctx: CallContext, subscriber: str, event: dict[str, Any], error: str, attempts: int
    ) -> None:
        """Sets an event aside that the subscriber kept refusing, and moves past it."""
        key = {"subscriber": subscriber, "topic": event["topic"], "seq": event["seq"]}
        row = {"event_id": event["event_id"], "error": error[:2000], "attempts": attempts}
        ctx.put_row("dead_letters", key, {**row, "at": ctx.now(), "status": "dead"})
        if event["seq"] > self.state.cursors.get(subscriber, {}).get(event["topic"], 0):
            ctx.emit(
                "Delivered",
                {"subscriber": subscriber, "topic": event["topic"], "seq": event["seq"]},
            )

    @query
    async def dead_letters(
        self, ctx: CallContext, subscriber: str | None = None, status: str | None = "dead"
    ) -> list[dict[str, Any]]:
        rows = await ctx.read(
            "SELECT subscriber, topic, seq, event_id, error, attempts, at, status FROM dead_letters"
            " WHERE (? IS NULL OR subscriber = ?) AND (? IS NULL OR status = ?)"
            " ORDER BY at LIMIT 1000",
            (subscriber, subscriber, status, status),
        )
        names = ("subscriber", "topic", "seq", "event_id", "error", "attempts", "at", "status")
        return [dict(zip(names, row, strict=True)) for row in rows]

    @command
    async def replay(self, ctx: CallContext, subscriber: str, topic: str, seq: int) -> None:
        """Queues a dead letter for one more delivery (an admin fixed the cause)."""
        rows = await ctx.read(
            "SELECT event_id, error, attempts, at FROM dead_letters"
            " WHERE subscriber = ? AND topic = ? AND seq = ? AND status = 'dead'",
            (subscriber, topic, seq),
        )
        if not rows:
            return
        event_id, error, attempts, at = rows[0]
        key = {"subscriber": subscriber, "topic": topic, "seq": seq}
        ctx.put_row(
            "dead_letters",
            key,
            {
                "event_id": event_id,
                "error": error,
                "attempts": attempts,
                "at": at,
                "status": "queued",
            },
        )
        ctx.emit("ReplayQueued", {"subscriber": subscriber})
        wake_deliveries(self.key)

    async def _queued_replays(self, ctx: CallContext, subscriber: str) -> list[dict[str, Any]]:
        if not self.state.replays.get(subscriber):
            return []
        rows = await ctx.read(
            "SELECT d.topic, d.seq, b.envelope FROM dead_letters d JOIN bus_log b"
            " ON b.topic = d.topic AND b.seq = d.seq"
            " WHERE d.subscriber = ? AND d.status = 'queued' ORDER BY d.at LIMIT 100",
            (subscriber,),
        )
        return [{**json.loads(envelope), "seq": seq} for _, seq, envelope in rows]

    @command
    async def replayed(
        self, ctx: CallContext, subscriber: str, event: dict[str, Any], error: str | None
    ) -> None:
        """The outcome of a replay: done, or dead again."""
        key = {"subscriber": subscriber, "topic": event["topic"], "seq": event["seq"]}
        row = {"event_id": event["event_id"], "error": (error or "")[:2000], "attempts": 1}
        ctx.put_row(
            "dead_letters", key, {**row, "at": ctx.now(), "status": "dead" if error else "replayed"}
        )
        ctx.emit("Replayed", {"subscriber": subscriber})

    # admin reads

    @query
    async def lag(self, ctx: CallContext) -> dict[str, dict[str, int]]:
        """Events each subscriber has yet to receive, per topic."""
        return {
            name: {t: self.state.heads.get(t, 0) - seq for t, seq in cursors.items()}
            for name, cursors in self.state.cursors.items()
        }

    @query
    async def heads(self, ctx: CallContext) -> dict[str, int]:
        return dict(self.state.heads)

    # helpers

    def _subscribe_defaults(self, ctx: CallContext) -> None:
        for subscription in ctx.objects.app.subscriptions:
            if subscription.name not in self.state.subscriptions:
                ctx.emit("Subscribed", subscription.model_dump())
                wake_keeper(self.key)

    def _deliver(self, ctx: CallContext) -> None:
        objects = ctx.objects
        ctx.spawn(lambda ref: deliver_forever(ref, objects))
