"""Object kinds made for testing the runtime; hosts import them by path like any kind."""

import asyncio
import os
from typing import Any

from pydantic import BaseModel, Field

from actors.cart import Cart
from durable import (
    CallContext,
    Dedicated,
    DurableObject,
    Envelope,
    Event,
    Partitioned,
    Subscriber,
    command,
    query,
)


class CounterState(BaseModel):
    value: int = 0
    interleavings: int = 0
    fired: list[str] = Field(default_factory=list)


class Counter(DurableObject):
    """A read-modify-write across an await: interleaved calls would lose increments."""

    kind = "counter"
    collection = "counters"
    placement = Partitioned(partitions=4, hosts=2)
    state_model = CounterState
    state: CounterState

    def apply(self, event: Event) -> None:
        if event.type == "Incremented":
            if event.data["before"] != self.state.value:
                self.state.interleavings += 1
            self.state.value = event.data["before"] + event.data["by"]
        elif event.type == "AlarmFired":
            self.state.fired.append(event.data["name"])

    def index(self) -> tuple[str | None, str | None]:
        return None, "even" if self.state.value % 2 == 0 else "odd"

    @command
    async def increment(self, ctx: CallContext, by: int = 1, pause_s: float = 0.0) -> int:
        before = self.state.value
        await asyncio.sleep(pause_s)
        ctx.emit("Incremented", {"by": by, "before": before})
        return self.state.value

    @command
    async def wake_me(self, ctx: CallContext, name: str, delay_s: float) -> None:
        ctx.set_alarm(name, ctx.now() + delay_s)

    @command
    async def break_after_emitting(self, ctx: CallContext) -> None:
        ctx.emit("Incremented", {"by": 1000, "before": self.state.value})
        raise RuntimeError("failed halfway")

    @query
    async def read(self, ctx: CallContext) -> dict[str, Any]:
        return self.state.model_dump()

    async def on_alarm(self, ctx: CallContext, name: str) -> None:
        ctx.emit("AlarmFired", {"name": name})
        if name.startswith("poke:"):  # an alarm handler calls other objects like any call
            other = ctx.objects(Counter).get(name.removeprefix("poke:"))
            await other.once(f"{self.key}:{name}").call(Counter.increment)


class Ledger(DurableObject):
    """A dedicated object with a table of its own, written with its events."""

    kind = "ledger"
    collection = "ledgers"
    placement = Dedicated()
    owner_schema = "CREATE TABLE IF NOT EXISTS entries (ref TEXT PRIMARY KEY, amount INTEGER);"

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.balance = 0

    def apply(self, event: Event) -> None:
        self.balance += event.data["amount"]

    def snapshot(self) -> dict[str, Any]:
        return {"balance": self.balance}

    def restore(self, snapshot: dict[str, Any]) -> None:
        self.balance = snapshot["balance"]

    @command
    async def post(self, ctx: CallContext, ref: str, amount: int) -> int:
        ctx.emit("Posted", {"ref": ref, "amount": amount})
        ctx.put_row("entries", {"ref": ref}, {"amount": amount})
        return self.balance


class ShortLivedCart(Cart):
    """The shop's cart with a TTL of seconds instead of days."""

    kind = "short-cart"
    collection = "short_carts"
    ttl_s = 1.0


TALLY_SCHEMA = """
CREATE TABLE IF NOT EXISTS applied (
    event_id TEXT PRIMARY KEY, times INTEGER NOT NULL, type TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS allowed (sku TEXT PRIMARY KEY) WITHOUT ROWID;
"""


class EventTally(Subscriber):
    """Counts how often each event was applied: exactly once is the contract."""

    kind = "event_tally"
    collection = "event_tallies"
    owner_schema = TALLY_SCHEMA

    async def handle(self, ctx: CallContext, events: list[Envelope]) -> None:
        for envelope in events:
            if envelope.payload.get("sku") == "POISON" and not await ctx.read(
                "SELECT sku FROM allowed WHERE sku = 'POISON'", ()
            ):
                raise ValueError("this subscriber cannot take POISON")
            rows = await ctx.read(
                "SELECT times FROM applied WHERE event_id = ?", (envelope.event_id,)
            )
            times = (rows[0][0] if rows else 0) + 1
            row = {"times": times, "type": envelope.type}
            ctx.put_row("applied", {"event_id": envelope.event_id}, row)

    @command
    async def allow(self, ctx: CallContext, sku: str) -> None:
        """The cause of a refusal is fixed: the SKU is taken from now on."""
        ctx.put_row("allowed", {"sku": sku}, {})

    @query
    async def counts(self, ctx: CallContext) -> dict[str, int]:
        return dict(await ctx.read("SELECT event_id, times FROM applied", ()))

    @query
    async def types(self, ctx: CallContext) -> list[str]:
        """The type of every event applied, in no particular order."""
        return [str(row[0]) for row in await ctx.read("SELECT type FROM applied", ())]


class BoardState(BaseModel):
    notices: list[str] = Field(default_factory=list)


class NoticeBoard(DurableObject):
    """Read on most calls and seldom written: other hosts may read it from their copies."""

    kind = "notice_board"
    collection = "notice_boards"
    placement = Dedicated()
    state_model = BoardState
    state: BoardState
    replica_queries = frozenset({"read"})

    def apply(self, event: Event) -> None:
        self.state.notices.append(event.data["text"])

    @command
    async def post(self, ctx: CallContext, text: str) -> int:
        ctx.emit("Posted", {"text": text})
        return len(self.state.notices)

    @query
    async def read(self, ctx: CallContext) -> dict[str, Any]:
        """The notices, and the process that answered."""
        return {"notices": list(self.state.notices), "pid": os.getpid()}


class BoardReader(DurableObject):
    """Reads notice boards from a host of its own, as a cart reads the catalog."""

    kind = "board_reader"
    collection = "board_readers"
    placement = Partitioned(partitions=1, hosts=1)

    @query
    async def look(self, ctx: CallContext, board: str) -> dict[str, Any]:
        answer: dict[str, Any] = await ctx.objects(NoticeBoard).get(board).call(NoticeBoard.read)
        return answer

    @query
    async def pid(self, ctx: CallContext) -> int:
        return os.getpid()
