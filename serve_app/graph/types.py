"""The GraphQL types: what a storefront or an admin screen reads, nested so that one round trip
brings a product with its stock, or an order with its payment, shipments and history. Nested
fields load through the request's loaders (`serve_app.graph.loaders`), so a list of orders
costs one call per order and per payment, never one per field."""

from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from domain import cart as domain_cart
from serve_app.graph.context import GraphContext
from serve_app.graph.loaders import availability_of, history_of, payment_of, timeline_of

Ask = Info[GraphContext, None]


@strawberry.type
class WarehouseStock:
    warehouse_id: str
    available: int


@strawberry.type
class Product:
    sku: str
    title: str
    description: str
    category: str
    seller_id: str | None
    currency: str
    list_price: int | None
    """One unit's price in the market searched; null where the product is not sold there."""

    @strawberry.field(description="Units each active warehouse can still sell.")
    async def availability(self, info: Ask) -> list[WarehouseStock]:
        found = await availability_of(info.context, self.sku)
        return [WarehouseStock(warehouse_id=w, available=n) for w, n in sorted(found.items())]

    @classmethod
    def of(cls, found: dict[str, Any], list_price: int | None) -> "Product":
        pricing = found["pricing"]
        return cls(
            sku=found["sku"],
            title=found["title"],
            description=found.get("description", ""),
            category=found.get("category", "general"),
            seller_id=found.get("seller_id"),
            currency=pricing["wholesale_price"]["currency"],
            list_price=list_price,
        )


@strawberry.type
class ProductPage:
    items: list[Product]
    total: int


@strawberry.type
class CartLine:
    sku: str
    title: str
    quantity: int
    unit_price: int
    currency: str


@strawberry.experimental.pydantic.type(model=domain_cart.CartSummary, all_fields=True)
class CartSummary:
    """subtotal - discount + shipping + tax = total, as the cart computes it."""


@strawberry.type
class Cart:
    lines: list[CartLine]
    summary: CartSummary
    market: str

    @classmethod
    def of(cls, view: dict[str, Any]) -> "Cart":
        lines = [
            CartLine(
                sku=line["sku"],
                title=line.get("title", ""),
                quantity=line["quantity"],
                unit_price=line["unit_price"]["amount"],
                currency=line["unit_price"]["currency"],
            )
            for line in view["lines"]
        ]
        summary = domain_cart.CartSummary.model_validate(view["summary"])
        return cls(lines=lines, summary=CartSummary.from_pydantic(summary), market=view["market"])


@strawberry.type
class Payment:
    payment_id: str
    status: str
    amount: int
    currency: str | None
    method: str | None
    reason: str


@strawberry.type
class Shipment:
    shipment_id: str
    warehouse_id: str
    tracking_number: str
    dispatched: bool


@strawberry.type
class OrderLine:
    sku: str
    title: str
    quantity: int
    unit_price: int
    seller_id: str | None


@strawberry.type
class OrderEvent:
    seq: int
    type: str
    at: float
    data: JSON


@strawberry.type
class Order:
    order_id: str
    status: str
    customer_id: str | None
    company_id: str | None
    currency: str | None
    lines: list[OrderLine]
    totals: JSON
    shipments: list[Shipment]
    reason: str | None
    payment_id: strawberry.Private[str | None]

    @strawberry.field
    async def payment(self, info: Ask) -> Payment | None:
        if self.payment_id is None:
            return None
        found = await payment_of(info.context, self.payment_id)
        return Payment(**{k: found[k] for k in Payment.__annotations__})

    @strawberry.field(description="Every event of the order, oldest first.")
    async def history(self, info: Ask) -> list[OrderEvent]:
        events = await history_of(info.context, self.order_id)
        return [
            OrderEvent(seq=e["seq"], type=e["type"], at=e["at"], data=e["data"]) for e in events
        ]

    @classmethod
    def of(cls, view: dict[str, Any]) -> "Order":
        return cls(
            order_id=view["order_id"],
            status=view["status"],
            customer_id=view["customer_id"],
            company_id=view.get("company_id"),
            currency=view["currency"],
            lines=[
                OrderLine(**{k: line.get(k) for k in OrderLine.__annotations__})
                for line in view["lines"]
            ],
            totals=view["totals"],
            shipments=[
                Shipment(**{k: s[k] for k in Shipment.__annotations__})
                for s in view["shipments"].values()
            ],
            reason=view.get("reason"),
            payment_id=view.get("payment_id"),
        )


@strawberry.type
class CompanyMember:
    user_id: str
    email: str
    role: str


@strawberry.type
class Company:
    company_id: str
    name: str
    status: str
    role: str
    """The caller's company role."""
    members: list[CompanyMember]

    @classmethod
    def of(cls, view: dict[str, Any]) -> "Company":
        return cls(
            company_id=view["company_id"],
            name=view["name"],
            status=view["status"],
            role=view["role"],
            members=[
                CompanyMember(user_id=m["user_id"], email=m["email"], role=m["role"])
                for m in view["members"].values()
            ],
        )


@strawberry.type
class QuoteRound:
    action: str
    by: str
    at: float
    details: JSON


@strawberry.type
class Quote:
    quote_id: str
    status: str
    currency: str | None
    wanted: JSON
    offer: JSON | None
    order_id: str | None
    history: list[QuoteRound]

    @classmethod
    def of(cls, view: dict[str, Any]) -> "Quote":
        return cls(
            quote_id=view["quote_id"],
            status=view["status"],
            currency=view["currency"],
            wanted=view["wanted"],
            offer=view["offer"],
            order_id=view["order_id"],
            history=[QuoteRound(**r) for r in view["history"]],
        )


@strawberry.type
class Saga:
    saga_id: str
    saga_type: str | None
    status: str | None
    created_at: float

    @strawberry.field(description="Every journal entry: steps, attempts, errors, compensations.")
    async def timeline(self, info: Ask) -> list[JSON]:
        entries: list[JSON] = await timeline_of(info.context, self.saga_id)
        return entries


@strawberry.type
class DeadLetter:
    subscriber: str
    topic: str
    seq: int
    attempts: int
    error: str


@strawberry.type
class CurrencyAmount:
    currency: str
    amount: int


@strawberry.type
class SalesAnalytics:
    revenue: list[CurrencyAmount]
    saga_outcomes: JSON
