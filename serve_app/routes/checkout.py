"""Checkout (ARCHITECTURE §5.6, §8): one saga per `Idempotency-Key`, refused before it starts
when the cart cannot be checked out or would be charged at prices the shopper was not shown."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator

from actors.payment import PENDING_METHODS, Payment
from domain.cart import Address
from domain.payment_instructions import Bank
from durable import Saga
from sagas.checkout.admission import CartReadiness
from sagas.checkout.models import CheckoutInput
from serve_app.payment_views import PaymentView, payment_view
from serve_app.routes.access import cart_key
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
    bank: Bank | None = None
    """The bank of a virtual account (`virtual_account` only; BCA when not given)."""
    address: Address | None = None
    shipping_service: str | None = Field(default=None, **SERVICE_NAME)
    """One-step checkout: the address and the carrier service to use, set as the cart locks."""

    @model_validator(mode="after")
    def bank_only_for_virtual_accounts(self) -> "CheckoutRequest":
        if self.bank is not None and self.payment_method != "virtual_account":
            raise ValueError("a bank is chosen only for payment_method virtual_account")
        return self


class CheckoutAccepted(BaseModel):
    checkout_id: str
    saga_id: str
    order_id: str
    payment_id: str
    status: str
    failure: dict[str, Any] | None = None
    payment: PaymentView | None = None
    """With `?wait=true`, a QRIS or virtual-account payment waiting to be paid: its
    instructions. The saga goes on when the provider says it was paid."""


@router.post(
    "/checkout",
    response_model=CheckoutAccepted,
    status_code=202,
    responses={
        **REFUSALS,
        200: {"description": "finished (with ?wait=true)"},
        202: {"description": "started; or, with ?wait=true, waiting to be paid"},
    },
)
async def checkout(
    body: CheckoutRequest,
    request: Request,
    response: Response,
    principal: User,
    idempotency_key: Annotated[str, Header(**IDEMPOTENCY_KEY)],
    wait: Annotated[
        bool, Query(description="answer when the checkout has ended or waits to be paid")
    ] = False,
) -> CheckoutAccepted:
    """Starts the checkout saga once per `Idempotency-Key`: the same key again answers for
    the same checkout, never a second order or charge. With `?wait=true` a QRIS or
    virtual-account checkout answers as soon as its payment waits, with the instructions
    to pay it (also at `GET /api/payments/{payment_id}`)."""
    data = CheckoutInput.for_cart(
        idempotency_key,
        cart_key(principal),
        principal.user_id,
        payment_method=body.payment_method,
        payment_token=body.payment_token,
        payment_bank=body.bank,
    )
    payload = data.model_dump(mode="json")
    saga = services(request).shop(Saga).get(data.checkout_id)
    # the saga readies the cart before it starts (a refusal leaves no saga), and only once
    admission = CartReadiness(
        address=body.address.model_dump(mode="json") if body.address else None,
        shipping_service=body.shipping_service,
    ).model_dump()
    payment = None
    if wait:
        timeout = services(request).settings.saga_wait_s
        outcome = await saga.call(
            Saga.run,
            saga_type="checkout",
            input=payload,
            timeout_s=timeout,
            until_waiting=True,
            admission=admission,
        )
        if outcome["status"] in ENDED:
            response.status_code = 200
        elif body.payment_method in PENDING_METHODS:
            shop = services(request).shop
            payment = payment_view(await shop(Payment).get(data.payment_id).call(Payment.status))
    else:
        outcome = await saga.call(
            Saga.start, saga_type="checkout", input=payload, admission=admission
        )
    return CheckoutAccepted(
        checkout_id=data.checkout_id,
        saga_id=data.checkout_id,
        order_id=data.order_id,
        payment_id=data.payment_id,
        status=outcome["status"],
        failure=outcome.get("failure"),
        payment=payment,
    )


ENDED = ("completed", "compensated", "stuck")
