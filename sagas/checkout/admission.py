"""What a checkout request must pass before its saga starts (the checkout's admission check,
run by the saga object in the call that starts it): a cart that cannot be checked out, or
would be charged at prices its shopper has not seen, is refused and no saga or order exists."""

from typing import Any

from pydantic import BaseModel

from actors.cart import Cart
from domain.cart import PricesChanged
from durable import Objects
from sagas.checkout.models import CheckoutInput


class CartReadiness(BaseModel):
    """A one-step checkout's address and carrier service, set on the cart as it is readied."""

    address: dict[str, Any] | None = None
    shipping_service: str | None = None


async def ready_cart(shop: Objects, raw: dict[str, Any], admission: dict[str, Any]) -> None:
    """Readies the checkout's cart (`Cart.prepare_checkout`).

    Raises:
        CheckoutNotReady, CartEmpty, CartLocked, UnknownShippingService: from the cart, which
            then changed nothing.
        PricesChanged: lines were re-priced; the error carries the re-priced cart to show.
    """
    data = CheckoutInput.model_validate(raw)
    readiness = CartReadiness.model_validate(admission)
    prepared = (
        await shop(Cart)
        .get(data.cart_id)
        .call(
            Cart.prepare_checkout,
            address=readiness.address,
            shipping_service=readiness.shipping_service,
        )
    )
    changed = prepared.pop("prices_changed")
    if changed:
        raise PricesChanged(
            "prices changed since the cart was shown; review the new total and check out again",
            skus=changed,
            cart=prepared,
        )
