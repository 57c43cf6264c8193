"""The base of every event-bus subscriber: applies each event exactly once.

Delivery is at least once, in order per topic. The subscriber keeps, per subscription and
topic, the seq of the last event it applied, in the same write as what the events changed:
a repeated event is skipped, and a crash either keeps both or neither. Replayed dead letters
come out of order, so their ids are remembered instead.
"""

from typing import Any

from pydantic import BaseModel, Field

from durable.context import CallContext
from durable.events.envelope import Envelope
from durable.kind import DurableObject, Event, command
from durable.placement.policy import Dedicated

REMEMBERED_REPLAYS = 1000


class SubscriberState(BaseModel):
    applied: dict[str, dict[str, int]] = Field(default_factory=dict)
    replayed: list[str] = Field(default_factory=list)


class Subscriber(DurableObject):
    placement = Dedicated()
    state_model = SubscriberState
    state: SubscriberState

    def apply(self, event: Event) -> None:
        if event.type == "Consumed":
            marks = self.state.applied.setdefault(event.data["subscriber"], {})
            marks.update(event.data["marks"])
            replayed = self.state.replayed + event.data["replayed"]
            self.state.replayed = replayed[-REMEMBERED_REPLAYS:]

    @command
    async def consume(
        self,
        ctx: CallContext,
        subscriber: str,
        events: list[dict[str, Any]],
        replay: bool = False,
    ) -> int:
        """Applies the events not applied yet; returns how many that was."""
        marks = dict(self.state.applied.get(subscriber, {}))
        fresh: list[Envelope] = []
        replayed: list[str] = []
        for raw in events:
            topic, seq = raw["topic"], raw["seq"]
            if replay:
                if raw["event_id"] in self.state.replayed:
                    continue
                replayed.append(raw["event_id"])
            elif seq <= marks.get(topic, 0):
                continue
            else:
                marks[topic] = seq
            fresh.append(Envelope.model_validate(raw))
        if fresh:
            await self.handle(ctx, fresh)
            changed = {
                t: s for t, s in marks.items() if s != self.state.applied.get(subscriber, {}).get(t)
            }
            ctx.emit("Consumed", {"subscriber": subscriber, "marks": changed, "replayed": replayed})
        return len(fresh)

    async def handle(self, ctx: CallContext, events: list[Envelope]) -> None:
        """Applies new events, in order: writes through `ctx` only (tables, events)."""
        raise NotImplementedError
