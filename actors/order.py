"""The order object (partitioned, event-sourced): its state is the fold of its events, and its
events are its history (ARCHITECTURE §6, §7)."""

from typing import Any

from actors.context import CallContext
from actors.kind import DurableObject, Event, command, query
from actors.placement import SHOP_GROUP, Partitioned
from domain.errors import parse
from domain.orders import OrderLine, OrderState


class Order(DurableObject):
    kind = "order"
    collection = "orders"
    placement = Partitioned(partitions=4, hosts=2, group=SHOP_GROUP)
    state_model = OrderState
    state: OrderState

    def apply(self, event: Event) -> None:
        self.state.apply(event.type, event.data)

    def index(self) -> tuple[str | None, str | None]:
        return self.state.customer_id, self.state.status.value

    @command
    async def place(
        self,
        ctx: CallContext,
        customer_id: str,
        currency: str,
        lines: list[dict[str, Any]],
        totals: dict[str, int],
        **details: Any,
    ) -> dict[str, Any]:
        """Records a new order (PENDING); `details` (address, market, checkout id) are kept."""
        parsed = [parse(OrderLine, line).model_dump(mode="json") for line in lines]
        placed = {
            "customer_id": customer_id,
            "currency": currency,
            "lines": parsed,
            "totals": totals,
        }
        ctx.emit_all(self.state.decide_place({**details, **placed}))
        return self.view_state()

    @command
    async def await_payment(self, ctx: CallContext, payment_id: str) -> dict[str, Any]:
        ctx.emit_all(self.state.decide_await_payment(payment_id))
        return self.view_state()

    @command
    async def pay(
        self,
        ctx: CallContext,
        payment_id: str,
        amount: int,
        shipments: list[dict[str, Any]] = (),  # type: ignore[assignment]
    ) -> dict[str, Any]:
        """PAID, attaching the order's shipments first (all or nothing)."""
        for shipment in shipments:
            ctx.emit_all(
                self.state.decide_attach_shipment(
                    shipment["shipment_id"], shipment["warehouse_id"], shipment["tracking_number"]
                )
            )
        events = self.state.decide_pay(payment_id, amount)
        ctx.emit_all(events)
        if events:
            ctx.publish("orders", {"type": "OrderConfirmed", **self._headline()})
        return self.view_state()

    @command
    async def attach_shipment(
        self, ctx: CallContext, shipment_id: str, warehouse_id: str, tracking_number: str = ""
    ) -> dict[str, Any]:
        ctx.emit_all(self.state.decide_attach_shipment(shipment_id, warehouse_id, tracking_number))
        return self.view_state()

    @command
    async def dispatch(self, ctx: CallContext, shipment_id: str) -> dict[str, Any]:
        ctx.emit_all(self.state.decide_dispatch(shipment_id))
        return self.view_state()

    @command
    async def deliver(self, ctx: CallContext) -> dict[str, Any]:
        ctx.emit_all(self.state.decide_deliver())
        return self.view_state()

    @command
    async def fail(self, ctx: CallContext, reason: str) -> dict[str, Any]:
        events = self.state.decide_fail(reason)
        ctx.emit_all(events)
        if events:
            ctx.publish("orders", {"type": "OrderFailed", "reason": reason, **self._headline()})
        return self.view_state()

    @command
    async def cancel(self, ctx: CallContext, reason: str) -> dict[str, Any]:
        events = self.state.decide_cancel(reason)
        ctx.emit_all(events)
        if events:
            ctx.publish("orders", {"type": "OrderCancelled", "reason": reason, **self._headline()})
        return self.view_state()

    @query
    async def view(self, ctx: CallContext) -> dict[str, Any]:
        return self.view_state()

    @query
    async def history(self, ctx: CallContext) -> list[dict[str, Any]]:
        """Every event of the order with its time and correlation id, oldest first."""
        return [
            {
                "seq": e.seq,
                "type": e.type,
                "data": e.data,
                "at": e.at,
                "correlation_id": e.correlation_id,
            }
            for e in await ctx.history()
        ]

    def _headline(self) -> dict[str, Any]:
        state = self.state
        total = state.totals.get("total", 0)
        return {"order_id": self.key, "customer_id": state.customer_id, "total": total}

    def view_state(self) -> dict[str, Any]:
        return {"order_id": self.key, **self.state.model_dump(mode="json")}
