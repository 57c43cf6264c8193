"""The order aggregate (ARCHITECTURE §7): a state machine whose state is a fold of events.

PENDING -> AWAITING_PAYMENT -> PAID -> SHIPPED -> DELIVERED; FAILED when checkout was
compensated; CANCELLED when cancelled after payment (refunded). Anything else is refused.

Each seller fulfils the lines of their own products; once every seller of a paid order has,
its parcels go to the carrier. Lines without a seller are the shop's own: an admin fulfils them.
"""

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from domain.errors import DomainError

Events = list[tuple[str, dict[str, Any]]]
SHOP_SELLER = "shop"


class OrderStatus(StrEnum):
    NEW = "NEW"  # no event yet: the object exists only as a key
    PENDING = "PENDING"
    AWAITING_PAYMENT = "AWAITING_PAYMENT"
    PAID = "PAID"
    SHIPPED = "SHIPPED"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


class IllegalTransition(DomainError):
    code = "illegal_transition"


class OrderLine(BaseModel):
    sku: str
    title: str = ""
    quantity: int = Field(ge=1)
    unit_price: int = Field(ge=0)
    seller_id: str | None = None


class Shipment(BaseModel):
    shipment_id: str
    warehouse_id: str
    tracking_number: str = ""
    dispatched: bool = False


class OrderState(BaseModel):
    status: OrderStatus = OrderStatus.NEW
    customer_id: str | None = None
    company_id: str | None = None
    """A wholesale company's order (from a quote): its members may see it."""
    currency: str | None = None
    lines: list[OrderLine] = Field(default_factory=list)
    totals: dict[str, int] = Field(default_factory=dict)
    payment_id: str | None = None
    shipments: dict[str, Shipment] = Field(default_factory=dict)
    fulfilled_by: list[str] = Field(default_factory=list)
    reason: str | None = None

    @property
    def sellers(self) -> list[str]:
        """Who fulfils this order's lines (SHOP_SELLER for lines of the shop's own)."""
        return sorted({line.seller_id or SHOP_SELLER for line in self.lines})

    @property
    def awaiting_sellers(self) -> list[str]:
        return [seller for seller in self.sellers if seller not in self.fulfilled_by]

    # decisions

    def decide_place(self, details: dict[str, Any]) -> Events:
        self._require(OrderStatus.NEW, action="place")
        return [("OrderPlaced", details)]

    def decide_await_payment(self, payment_id: str) -> Events:
        if self.status is OrderStatus.AWAITING_PAYMENT and self.payment_id == payment_id:
            return []
        self._require(OrderStatus.PENDING, action="await payment")
        return [("PaymentRequested", {"payment_id": payment_id})]

    def decide_pay(self, payment_id: str, amount: int) -> Events:
        if self.status is OrderStatus.PAID and self.payment_id == payment_id:
            return []
        self._require(OrderStatus.PENDING, OrderStatus.AWAITING_PAYMENT, action="pay")
        return [("OrderPaid", {"payment_id": payment_id, "amount": amount})]

    def decide_attach_shipment(self, shipment_id: str, warehouse_id: str, tracking: str) -> Events:
        if shipment_id in self.shipments:
            return []
        self._require(
            OrderStatus.PENDING,
            OrderStatus.AWAITING_PAYMENT,
            OrderStatus.PAID,
            action="attach a shipment",
        )
        data = {
            "shipment_id": shipment_id,
            "warehouse_id": warehouse_id,
            "tracking_number": tracking,
        }
        return [("ShipmentAttached", data)]

    def decide_fulfil(self, sellers: list[str]) -> Events:
        """`sellers` have packed their lines (safe to repeat); refused for sellers without
        lines here and for orders not paid."""
        strangers = sorted(set(sellers) - set(self.sellers))
        if strangers:
            raise IllegalTransition("no lines of these sellers in the order", sellers=strangers)
        new = [seller for seller in sorted(set(sellers)) if seller not in self.fulfilled_by]
        if not new:
            return []
        self._require(OrderStatus.PAID, action="fulfil")
        return [("LinesFulfilled", {"sellers": new})]

    def decide_dispatch(self, shipment_id: str) -> Events:
        shipment = self.shipments.get(shipment_id)
        if shipment is None:
            raise IllegalTransition(
                f"order has no shipment {shipment_id!r}", shipment_id=shipment_id
            )
        if shipment.dispatched:
            return []
        self._require(OrderStatus.PAID, OrderStatus.SHIPPED, action="dispatch")
        if self.awaiting_sellers:
            raise IllegalTransition(
                "the sellers have not all packed their lines", awaiting=self.awaiting_sellers
            )
        events: Events = [("ShipmentDispatched", {"shipment_id": shipment_id})]
        if all(s.dispatched for s in self.shipments.values() if s.shipment_id != shipment_id):
            events.append(("OrderShipped", {}))
        return events

    def decide_deliver(self) -> Events:
        if self.status is OrderStatus.DELIVERED:
            return []
        self._require(OrderStatus.SHIPPED, action="deliver")
        return [("OrderDelivered", {})]

    def decide_fail(self, reason: str) -> Events:
        if self.status is OrderStatus.FAILED:
            return []
        self._require(
            OrderStatus.NEW, OrderStatus.PENDING, OrderStatus.AWAITING_PAYMENT, action="fail"
        )
        return [("OrderFailed", {"reason": reason})]

    def decide_cancel(self, reason: str) -> Events:
        if self.status is OrderStatus.CANCELLED:
            return []
        self._require(OrderStatus.PAID, action="cancel")
        if any(s.dispatched for s in self.shipments.values()):
            raise IllegalTransition("part of the order has shipped already")
        return [("OrderCancelled", {"reason": reason})]

    def _require(self, *allowed: OrderStatus, action: str) -> None:
        if self.status not in allowed:
            raise IllegalTransition(
                f"cannot {action} an order that is {self.status.value}",
                status=self.status.value,
                action=action,
            )

    # folding

    def apply(self, event_type: str, data: dict[str, Any]) -> None:
        match event_type:
            case "OrderPlaced":
                self.status = OrderStatus.PENDING
                self.customer_id = data["customer_id"]
                self.company_id = data.get("company_id")
                self.currency = data["currency"]
                self.lines = [OrderLine.model_validate(line) for line in data["lines"]]
                self.totals = data["totals"]
            case "PaymentRequested":
                self.status = OrderStatus.AWAITING_PAYMENT
                self.payment_id = data["payment_id"]
            case "OrderPaid":
                self.status = OrderStatus.PAID
                self.payment_id = data["payment_id"]
            case "ShipmentAttached":
                self.shipments[data["shipment_id"]] = Shipment.model_validate(data)
            case "LinesFulfilled":
                self.fulfilled_by = [*self.fulfilled_by, *data["sellers"]]
            case "ShipmentDispatched":
                self.shipments[data["shipment_id"]].dispatched = True
            case "OrderShipped":
                self.status = OrderStatus.SHIPPED
            case "OrderDelivered":
                self.status = OrderStatus.DELIVERED
            case "OrderFailed":
                self.status = OrderStatus.FAILED
                self.reason = data["reason"]
            case "OrderCancelled":
                self.status = OrderStatus.CANCELLED
                self.reason = data["reason"]
