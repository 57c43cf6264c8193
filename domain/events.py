"""Messages between bounded contexts (ARCHITECTURE §9): one payload model per
event type, so every producer and consumer agrees on the shape of what crosses the bus."""

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from domain.errors import InvalidInput, parse


class Topic(StrEnum):
    ORDERS = "orders"
    LOW_STOCK = "inventory.low_stock"
    SAGAS = "sagas"
    COMPANIES = "companies"
    QUOTES = "quotes"
    CATALOG = "catalog"
    INVENTORY = "inventory"
    PAYMENTS = "payments"
    SHIPMENTS = "shipments"


class Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OrderLineFact(Payload):
    sku: str
    quantity: int = Field(gt=0)
    unit_price: int = Field(ge=0)
    seller_id: str | None = None


class OrderChanged(Payload):
    """Every order event carries the order as it now is, so a read model needs no other."""

    order_id: str
    customer_id: str | None
    status: str
    currency: str | None
    total: int = Field(ge=0)
    lines: list[OrderLineFact]
    reason: str | None = None
    payment_id: str | None = None


class LowStockDetected(Payload):
    warehouse_id: str
    sku: str
    available: int
    threshold: int


class SagaEnded(Payload):
    saga_id: str
    saga_type: str
    outcome: str
    failed_step: str | None = None


class CompanyChanged(Payload):
    """A company's registration, review or membership changed; `user_id`, `email`, `role`
    name the member or invitee an event is about, `by` who did it."""

    company_id: str
    name: str
    status: str
    reason: str | None = None
    user_id: str | None = None
    email: str | None = None
    role: str | None = None
    by: str | None = None


class QuoteChanged(Payload):
    """Every quote event carries where the negotiation stands."""

    quote_id: str
    company_id: str
    requested_by: str
    status: str
    offer: int | None = None
    total: int | None = None
    currency: str | None = None
    valid_until: float | None = None
    order_id: str | None = None
    reason: str | None = None


class ProductChanged(Payload):
    """A product as it now is (`ProductCreated`, `ProductUpdated`, `ProductRemoved`)."""

    sku: str
    title: str
    category: str
    seller_id: str | None
    active: bool
    currency: str
    retail_price: int | None
    wholesale_price: int


class PriceChanged(Payload):
    sku: str
    currency: str
    retail_price: int | None
    wholesale_price: int
    previous_retail_price: int | None
    previous_wholesale_price: int


class StockMoved(Payload):
    """Units of SKUs held, let go, allocated or received at a warehouse."""

    warehouse_id: str
    lines: dict[str, int]
    reservation_id: str | None = None
    reason: str | None = None


class PaymentSettled(Payload):
    """Money moved: captured, refunded, or a pending payment voided."""

    payment_id: str
    order_id: str | None
    amount: int
    currency: str | None
    method: str | None
    reason: str = ""


class ShipmentMoved(Payload):
    shipment_id: str
    order_id: str | None
    warehouse_id: str | None
    tracking_number: str | None


PRODUCT_EVENTS = ("ProductCreated", "ProductUpdated", "ProductRemoved")
STOCK_EVENTS = ("StockReserved", "StockReleased", "StockConfirmed", "StockRestocked")
PAYMENT_EVENTS = ("PaymentCaptured", "PaymentRefunded", "PaymentVoided")
SHIPMENT_EVENTS = ("ShipmentDispatched", "ShipmentDelivered")
COMPANY_EVENTS = (
    "CompanyRegistered",
    "CompanyApproved",
    "CompanyRejected",
    "CompanySuspended",
    "MemberInvited",
    "MemberJoined",
    "MemberRoleChanged",
    "MemberRemoved",
)
QUOTE_EVENTS = (
    "QuoteRequested",
    "QuoteOffered",
    "QuoteCountered",
    "QuoteAccepted",
    "QuoteConversionFailed",
    "QuoteConverted",
    "QuoteRejected",
    "QuoteWithdrawn",
    "QuoteExpired",
)

PAYLOADS: dict[str, tuple[Topic, type[Payload]]] = {
    "OrderPlaced": (Topic.ORDERS, OrderChanged),
    "OrderAwaitingPayment": (Topic.ORDERS, OrderChanged),
    "OrderConfirmed": (Topic.ORDERS, OrderChanged),
    "OrderShipped": (Topic.ORDERS, OrderChanged),
    "OrderDelivered": (Topic.ORDERS, OrderChanged),
    "OrderFailed": (Topic.ORDERS, OrderChanged),
    "OrderCancelled": (Topic.ORDERS, OrderChanged),
    "LowStockDetected": (Topic.LOW_STOCK, LowStockDetected),
    "SagaEnded": (Topic.SAGAS, SagaEnded),
    **{name: (Topic.COMPANIES, CompanyChanged) for name in COMPANY_EVENTS},
    **{name: (Topic.QUOTES, QuoteChanged) for name in QUOTE_EVENTS},
    **{name: (Topic.CATALOG, ProductChanged) for name in PRODUCT_EVENTS},
    "PriceChanged": (Topic.CATALOG, PriceChanged),
    **{name: (Topic.INVENTORY, StockMoved) for name in STOCK_EVENTS},
    **{name: (Topic.PAYMENTS, PaymentSettled) for name in PAYMENT_EVENTS},
    **{name: (Topic.SHIPMENTS, ShipmentMoved) for name in SHIPMENT_EVENTS},
}


def payload_of(event_type: str, payload: dict[str, Any]) -> Payload:
    """A published payload as its event type's model (for subscribers)."""
    return PAYLOADS[event_type][1].model_validate(payload)


def checked_payload(event_type: str, payload: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The topic of `event_type` and its payload, validated against the type's model.

    Raises:
        InvalidInput: an unknown event type, or a payload that does not fit it.
    """
    known = PAYLOADS.get(event_type)
    if known is None:
        raise InvalidInput(f"unknown event type {event_type!r}")
    topic, model = known
    return topic.value, parse(model, payload).model_dump(mode="json")
