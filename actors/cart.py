"""The cart object (partitioned): one shopper's lines, kept durable between visits."""

from typing import Any

from actors.context import CallContext
from actors.kind import DurableObject, Event, command, query
from actors.placement import Partitioned
from domain.cart import CartState, check_quantity


class Cart(DurableObject):
    kind = "cart"
    collection = "carts"
    placement = Partitioned(partitions=16, hosts=2)
    state_model = CartState
    state: CartState

    def apply(self, event: Event) -> None:
        data = event.data
        match event.type:
            case "OwnerAssigned":
                self.state.owner = data["owner"]
            case "ItemAdded" | "QuantitySet":
                self.state.lines[data["sku"]] = data["quantity"]
            case "ItemRemoved":
                self.state.lines.pop(data["sku"], None)
            case "CartCleared":
                self.state.lines.clear()

    def index(self) -> tuple[str | None, str | None]:
        return self.state.owner, None

    @command
    async def assign_owner(self, ctx: CallContext, owner: str) -> dict[str, Any]:
        if self.state.owner != owner:
            ctx.emit("OwnerAssigned", {"owner": owner})
        return self.view_state()

    @command
    async def add_item(self, ctx: CallContext, sku: str, quantity: int) -> dict[str, Any]:
        total = self.state.quantity_after_adding(sku, quantity)
        ctx.emit("ItemAdded", {"sku": sku, "quantity": total})
        return self.view_state()

    @command
    async def set_quantity(self, ctx: CallContext, sku: str, quantity: int) -> dict[str, Any]:
        self.state.require_line(sku)
        check_quantity(quantity)
        ctx.emit("QuantitySet", {"sku": sku, "quantity": quantity})
        return self.view_state()

    @command
    async def remove_item(self, ctx: CallContext, sku: str) -> dict[str, Any]:
        self.state.require_line(sku)
        ctx.emit("ItemRemoved", {"sku": sku})
        return self.view_state()

    @command
    async def clear(self, ctx: CallContext) -> dict[str, Any]:
        if self.state.lines:
            ctx.emit("CartCleared", {})
        return self.view_state()

    @query
    async def view(self, ctx: CallContext) -> dict[str, Any]:
        return self.view_state()

    def view_state(self) -> dict[str, Any]:
        return {"key": self.key, "owner": self.state.owner, "lines": dict(self.state.lines)}
