"""What a checkout is asked to do, what its steps hand each other, and the business refusals
only a checkout makes. Every id a checkout makes derives from its checkout id here."""

from typing import Any

from pydantic import BaseModel, Field, RootModel

from domain.cart import Address, CartLine, CartSummary, ShippingChoice
from domain.errors import DomainError


class PaymentDeclined(DomainError):
    code = "payment_declined"


class PaymentNotCompleted(DomainError):
    code = "payment_not_completed"


class SaleInput(BaseModel):
    """What a sale is asked to do, whatever its lines come from (a cart or a quote)."""

    checkout_id: str = Field(min_length=1, max_length=100)
    customer_id: str
    company_id: str | None = None
    """A wholesale company's order: its members see it as their role allows."""
    payment_method: str = "card"
    payment_token: str = "tok_success"
    payment_bank: str | None = None
    """The bank of a virtual-account payment."""
    reservation_ttl_s: float = 1800.0
    payment_timeout_s: float = 900.0
    address: dict[str, Any] | None = None
    shipping: dict[str, Any] | None = None
    """A one-step checkout's address and shipping choice, set on the cart as it locks."""

    @property
    def order_id(self) -> str:
        return f"ord-{self.checkout_id}"

    @property
    def payment_id(self) -> str:
        return f"pay-{self.checkout_id}"

    @property
    def payment_event(self) -> str:
        """The signal a pending payment sends this sale's saga when it settles."""
        return f"payment:{self.payment_id}"

    def shipment_id(self, warehouse: str) -> str:
        return f"shp-{self.checkout_id}-{warehouse}"


class CheckoutInput(SaleInput):
    cart_id: str

    @classmethod
    def for_cart(
        cls, request_key: str, cart_id: str, customer_id: str, **choices: Any
    ) -> "CheckoutInput":
        """The checkout a client's request key names for a cart. Its id carries the cart's
        key as a hash tag, so the saga and the order, payment and shipments derived from it
        live in the cart's partition (ARCHITECTURE §3)."""
        checkout_id = f"co-{request_key}-{{{cart_id}}}"
        return cls(checkout_id=checkout_id, cart_id=cart_id, customer_id=customer_id, **choices)


class QuoteConversion(BaseModel):
    """Which try at which accepted quote's order a `quote_to_order` saga makes."""

    quote_id: str
    attempt: int = Field(ge=1)


class LockedLine(CartLine):
    """A line as locked, with what shipping and the sellers' order lists need."""

    seller_id: str | None = None
    weight_grams: int = 0


class LockedCart(BaseModel):
    """The cart as the checkout locked it: what is bought, at which prices, shipped where."""

    lines: list[LockedLine]
    summary: CartSummary
    address: Address
    shipping: ShippingChoice
    market: str
    coupon: str | None = None


class LockedQuote(BaseModel):
    """An accepted quote as its order takes it: the lines at the quoted prices, shipped and
    paid as the buyer's terms say."""

    locked: LockedCart
    sale: SaleInput


class ReservationPlan(BaseModel):
    """Where the order ships from: each warehouse and the quantities it holds per SKU."""

    shipments: dict[str, dict[str, int]]


class Parcel(BaseModel):
    """One shipment of the order, as the carrier labelled it."""

    shipment_id: str
    order_id: str | None
    warehouse_id: str | None
    status: str
    tracking_number: str | None


class Parcels(RootModel[list[Parcel]]):
    """The order's shipments, one per warehouse it ships from."""
