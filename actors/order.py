"""The order object (partitioned, event-sourced): its state is the fold of its events, and its
events are its history (ARCHITECTURE §6, §7)."""

from typing import Any

from actors.groups import SHOP_GROUP
from domain.errors import parse
from domain.orders import Events, OrderLine, OrderState, OrderStatus
from durable import CallContext, DurableObject, Event, Partitioned, command, query

STATUS_EVENTS = {
    OrderStatus.PENDING: "OrderPlaced",
    OrderStatus.AWAITING_PAYMENT: "OrderAwaitingPayment",
    OrderStatus.PAID: "OrderConfirmed",
    OrderStatus.SHIPPED: "OrderShipped",
    OrderStatus.DELIVERED: "OrderDelivered",
    OrderStatus.FAILED: "OrderFailed",
    OrderStatus.CANCELLED: "OrderCancelled",
}


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
        /,
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
        self._record(ctx, self.state.decide_place({**details, **placed}))
        return self.view_state()

    @command
    async def await_payment(self, ctx: CallContext, payment_id: str) -> dict[str, Any]:
        self._record(ctx, self.state.decide_await_payment(payment_id))
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
            self._record(
                ctx,
                self.state.decide_attach_shipment(
                    shipment["shipment_id"], shipment["warehouse_id"], shipment["tracking_number"]
                ),
            )
        self._record(ctx, self.state.decide_pay(payment_id, amount))
        return self.view_state()

    @command
    async def fulfil(self, ctx: CallContext, sellers: list[str]) -> dict[str, Any]:
        """Records that `sellers` packed their lines; the view's `awaiting_sellers` says who
        is left before the parcels can go."""
        self._record(ctx, self.state.decide_fulfil(sellers))
        return self.view_state()

    @command
    async def dispatch(self, ctx: CallContext, shipment_id: str) -> dict[str, Any]:
        self._record(ctx, self.state.decide_dispatch(shipment_id))
        return self.view_state()

    @command
    async def deliver(self, ctx: CallContext) -> dict[str, Any]:
        self._record(ctx, self.state.decide_deliver())
        return self.view_state()

    @command
    async def fail(self, ctx: CallContext, reason: str) -> dict[str, Any]:
        self._record(ctx, self.state.decide_fail(reason))
        return self.view_state()

    @command
    async def cancel(self, ctx: CallContext, reason: str) -> dict[str, Any]:
        self._record(ctx, self.state.decide_cancel(reason))
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

    def _record(self, ctx: CallContext, events: Events) -> None:
        """Emits; a change of status also goes out to the rest of the shop (outbox)."""
        before = self.state.status
        ctx.emit_all(events)
        if self.state.status is not before:
            ctx.publish(STATUS_EVENTS[self.state.status], self._as_published())

    def _as_published(self) -> dict[str, Any]:
        state = self.state
        return {
            "order_id": self.key,
            "customer_id": state.customer_id,
            "status": state.status.value,
            "currency": state.currency,
            "total": state.totals.get("total", 0),
            "lines": [
                {
                    "sku": line.sku,
                    "quantity": line.quantity,
                    "unit_price": line.unit_price,
                    "seller_id": line.seller_id,
                }
                for line in state.lines
            ],
            "reason": state.reason,
            "payment_id": state.payment_id,
        }

    def view_state(self) -> dict[str, Any]:
        return {
            "order_id": self.key,
            **self.state.model_dump(mode="json"),
            "awaiting_sellers": self.state.awaiting_sellers,
        }
