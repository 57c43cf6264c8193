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
