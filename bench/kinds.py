"""Object kinds the benchmarks drive: the shop's cart on one host, a hot counter, a bulk
producer of order events and a subscriber that times their delivery."""

from pydantic import BaseModel

from actors.cart import Cart
from durable import (
    CallContext,
    DurableObject,
    Envelope,
    Event,
    Partitioned,
    Subscriber,
    command,
    query,
)


class OneHostCart(Cart):
    """The shop's cart, all on one host, so one process's memory can be measured."""

    kind = "bench-cart"
    collection = "bench_carts"
    placement = Partitioned(partitions=8, hosts=1)


class TallyState(BaseModel):
    value: int = 0


class Tally(DurableObject):
    """One read-modify-write per call, appending one durable event."""

    kind = "tally"
    collection = "tallies"
    placement = Partitioned(partitions=8, hosts=2)
    state_model = TallyState
    state: TallyState

    def apply(self, event: Event) -> None:
        self.state.value += event.data["by"]

    @command
    async def add(self, ctx: CallContext, by: int) -> int:
        ctx.emit("Added", {"by": by})
        return self.state.value


class PlainTally:
    """The baseline: a plain async Ray actor keeping the same states in a dict, storing nothing."""

    def __init__(self) -> None:
        self.values: dict[str, int] = {}

    async def add(self, key: str, by: int) -> int:
        value = self.values.get(key, 0) + by
        self.values[key] = value
        return value

    async def ping(self) -> int:
        import os

        return os.getpid()


class PlainWarehouse:
    """The baseline of a warehouse: the same reserve arithmetic in a dict, storing nothing."""

    def __init__(self) -> None:
        self.available: dict[str, int] = {}
        self.reserved: dict[str, int] = {}
        self.reservations: dict[str, dict[str, int]] = {}

    async def restock(self, sku: str, quantity: int) -> None:
        self.available[sku] = self.available.get(sku, 0) + quantity

    async def reserve(self, reservation_id: str, lines: dict[str, int]) -> dict[str, int]:
        if reservation_id in self.reservations:
            return self.reservations[reservation_id]
        short = {s: q for s, q in lines.items() if self.available.get(s, 0) < q}
        if short:
            raise ValueError(f"insufficient stock: {short}")
        for sku, quantity in lines.items():
            self.available[sku] -= quantity
            self.reserved[sku] = self.reserved.get(sku, 0) + quantity
        self.reservations[reservation_id] = lines
        return lines


class OrderFeed(DurableObject):
    """Publishes order events in bulk, as a busy shop's order objects would one by one: the
    bus and its subscribers see exactly what real orders send them."""

    kind = "order_feed"
    collection = "order_feeds"
    placement = Partitioned(partitions=4, hosts=2)

    def apply(self, event: Event) -> None:
        return None

    @command
    async def publish_orders(self, ctx: CallContext, first: int, count: int) -> int:
        for number in range(first, first + count):
            ctx.publish(
                "OrderPlaced",
                {
                    "order_id": f"feed-{number}",
                    "customer_id": f"customer-{number % 97}",
                    "status": "PENDING",
                    "currency": "IDR",
                    "total": 25_000,
                    "lines": [
                        {"sku": "TEA", "quantity": 1, "unit_price": 25_000, "seller_id": "s-1"}
                    ],
                },
            )
        return count


class LatencyProbe(Subscriber):
    """Notes when each event reached it, to measure publish-to-delivery latency."""

    kind = "latency_probe"
    collection = "latency_probes"
    owner_schema = (
        "CREATE TABLE IF NOT EXISTS arrivals (event_id TEXT PRIMARY KEY, sent REAL NOT NULL,"
        " arrived REAL NOT NULL) WITHOUT ROWID;"
    )

    async def handle(self, ctx: CallContext, events: list[Envelope]) -> None:
        now = ctx.now()
        for envelope in events:
            arrival = {"sent": envelope.at, "arrived": now}
            ctx.put_row("arrivals", {"event_id": envelope.event_id}, arrival)

    @query
    async def delays_ms(self, ctx: CallContext, since: float = 0.0) -> list[float]:
        """Delays of the events published at `since` or later."""
        rows = await ctx.read(
            "SELECT (arrived - sent) * 1000 FROM arrivals WHERE sent >= ?", (since,)
        )
        return [delay for (delay,) in rows]
