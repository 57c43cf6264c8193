"""Checkout (ARCHITECTURE §5.6, §8): one saga per `Idempotency-Key`, refused before it starts
when the cart cannot be checked out or would be charged at prices the shopper was not shown."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from actors.cart import Cart
from domain.cart import Address, PricesChanged
from domain.errors import DomainError
from durable import Saga
from sagas.checkout.models import CheckoutInput
from serve_app.routes.access import CartHolder, cart_key, cart_of
from serve_app.routes.deps import current_user, services
from serve_app.schemas import IDEMPOTENCY_KEY, SERVICE_NAME, Responses
from serve_app.strict_json import StrictJsonRoute
from serve_app.tokens import Principal

router = APIRouter(route_class=StrictJsonRoute, prefix="/api", tags=["shopping"])
User = Annotated[Principal, Depends(current_user)]
REFUSALS: Responses = {
    401: {"description": "not signed in"},
    409: {"description": "the cart is empty or not ready, or its prices changed"},
}


class CheckoutRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    payment_method: Literal["card", "qris", "virtual_account"] = "card"
    payment_token: str = Field(default="tok_success", min_length=1, max_length=64)
    address: Address | None = None
    shipping_service: str | None = Field(default=None, **SERVICE_NAME)
    """One-step checkout: the address and the carrier service to use, set as the cart locks."""


class CheckoutAccepted(BaseModel):
    checkout_id: str
    saga_id: str
    order_id: str
    status: str
    failure: dict[str, Any] | None = None


@router.post(
    "/checkout",
    response_model=CheckoutAccepted,
    status_code=202,
    responses={**REFUSALS, 200: {"description": "finished (with ?wait=true)"}},
)
async def checkout(
    body: CheckoutRequest,
    request: Request,
    response: Response,
    principal: User,
    idempotency_key: Annotated[str, Header(**IDEMPOTENCY_KEY)],
    wait: Annotated[bool, Query(description="answer when the checkout has ended")] = False,
) -> CheckoutAccepted:
    """Starts the checkout saga once per `Idempotency-Key`: the same key again answers for
    the same checkout, never a second order or charge."""
    data = CheckoutInput.for_cart(
        idempotency_key,
        cart_key(principal),
        principal.user_id,
        payment_method=body.payment_method,
        payment_token=body.payment_token,
    )
    payload = data.model_dump(mode="json")
    saga = services(request).shop(Saga).get(data.checkout_id)
    try:
        await _prepare_checkout(request, principal, body)
    except DomainError:
        if (await saga.call(Saga.view))["status"] == "new":
            raise
        # a repeat of a checkout that locked or emptied the cart answers for that checkout
    timeout = services(request).settings.saga_wait_s
    if wait:
        outcome = await saga.call(Saga.run, saga_type="checkout", input=payload, timeout_s=timeout)
        response.status_code = 200
    else:
        outcome = await saga.call(Saga.start, saga_type="checkout", input=payload)
    return CheckoutAccepted(
        checkout_id=data.checkout_id,
        saga_id=data.checkout_id,
        order_id=data.order_id,
        status=outcome["status"],
        failure=outcome.get("failure"),
    )


async def _prepare_checkout(request: Request, principal: Principal, body: CheckoutRequest) -> None:
    """Refuses, before any saga or order exists, a checkout that cannot succeed or would
    charge what the shopper was not shown: a 409 saying what is missing, or
    `prices_changed` with the re-priced cart. The cart sets a one-step checkout's address and
    shipping service in the same call."""
    cart = cart_of(request, CartHolder(cart_key(principal), principal))
    prepared = await cart.call(
        Cart.prepare_checkout,
        address=body.address.model_dump(mode="json") if body.address else None,
        shipping_service=body.shipping_service,
    )
    changed = prepared.pop("prices_changed")
    if changed:
        raise PricesChanged(
            "prices changed since the cart was shown; review the new total and check out again",
            skus=changed,
            cart=prepared,
        )
