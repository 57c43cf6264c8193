"""What a checkout is asked to do, and the business refusals only a checkout makes."""

from typing import Any

from pydantic import BaseModel, Field

from domain.errors import DomainError


class PaymentDeclined(DomainError):
    code = "payment_declined"


class PaymentNotCompleted(DomainError):
    code = "payment_not_completed"


class CheckoutInput(BaseModel):
    checkout_id: str = Field(min_length=1, max_length=100)
    cart_id: str
    customer_id: str
    payment_method: str = "card"
    payment_token: str = "tok_success"
    reservation_ttl_s: float = 1800.0
    payment_timeout_s: float = 900.0
    address: dict[str, Any] | None = None
    shipping: dict[str, Any] | None = None
    """A one-step checkout's address and shipping choice, set on the cart as it locks."""

    @classmethod
    def for_cart(
        cls, request_key: str, cart_id: str, customer_id: str, **choices: Any
    ) -> "CheckoutInput":
        """The checkout a client's request key names for a cart. Its id carries the cart's
        key as a hash tag, so the saga and the order, payment and shipments derived from it
        live in the cart's partition (ARCHITECTURE §3)."""
        checkout_id = f"co-{request_key}-{{{cart_id}}}"
        return cls(checkout_id=checkout_id, cart_id=cart_id, customer_id=customer_id, **choices)

    @property
    def order_id(self) -> str:
        return f"ord-{self.checkout_id}"

    @property
    def payment_id(self) -> str:
        return f"pay-{self.checkout_id}"

    def shipment_id(self, warehouse: str) -> str:
        return f"shp-{self.checkout_id}-{warehouse}"
