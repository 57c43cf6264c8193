"""Object kinds the benchmarks drive: the shop's cart on one host, and a hot counter."""

from pydantic import BaseModel

from actors.cart import Cart
from actors.context import CallContext
from actors.kind import DurableObject, Event, command
from actors.placement import Partitioned


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
