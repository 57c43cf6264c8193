"""Payments (ARCHITECTURE §8): status for whoever may see the order, and the provider's
webhook, accepted only with a valid HMAC signature of the raw body. (An admin's refund is the
order's cancellation, so money and stock stay in step: it lives with the orders.)"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Request

from actors.payment import Payment, webhook_secret
from actors.payment_provider import signature_valid
from serve_app import strict_json
from serve_app.errors import ApiError
from serve_app.payment_views import PaymentView, payment_view
from serve_app.routes.access import visible_payment
from serve_app.routes.deps import current_user, services
from serve_app.schemas import Responses
from serve_app.strict_json import StrictJsonRoute
from serve_app.tokens import Principal

router = APIRouter(route_class=StrictJsonRoute, prefix="/api", tags=["payments"])
PAYMENT_ID = Path(min_length=1, max_length=200, pattern=r"^pay-")
NOT_FOUND: Responses = {
    401: {"description": "not signed in"},
    404: {"description": "no such payment"},
}
MAX_WEBHOOK_BYTES = 8192


@router.get("/payments/{payment_id}", response_model=PaymentView, responses=NOT_FOUND)
async def payment_status(
    payment_id: Annotated[str, PAYMENT_ID],
    request: Request,
    principal: Annotated[Principal, Depends(current_user)],
) -> PaymentView:
    """The payment; while pending, the instructions to pay it with (a QRIS code or a
    virtual account) until they expire."""
    payment, _ = await visible_payment(request, principal, payment_id)
    return payment_view(payment)


@router.post(
    "/payments/webhook",
    response_model=PaymentView,
    responses={400: {"description": "not a webhook"}, 401: {"description": "bad signature"}},
)
async def provider_webhook(
    request: Request,
    signature: Annotated[str, Header(alias="X-Signature", min_length=1, max_length=200)],
) -> dict[str, Any]:
    """The provider settles a pending payment. The signature is checked before the body is
    parsed (nothing unsigned is parsed at all); the payment checks it again itself."""
    raw = await request.body()
    if len(raw) > MAX_WEBHOOK_BYTES:
        raise ApiError(413, "body_too_large", "a webhook body is small")
    body = raw.decode("utf-8", errors="replace")
    if not signature_valid(webhook_secret(services(request).shop.config), body, signature):
        raise ApiError(401, "invalid_signature", "the webhook signature does not match")
    try:
        payment_id = strict_json.loads(body)["payment_id"]
    except (ValueError, TypeError, KeyError):
        raise ApiError(400, "bad_webhook", "a webhook body is JSON with a payment_id") from None
    if not isinstance(payment_id, str) or not payment_id.startswith("pay-"):
        raise ApiError(400, "bad_webhook", "payment_id names no payment")
    return (
        await services(request)
        .shop(Payment)
        .get(payment_id)
        .call(Payment.webhook, body=body, signature=signature)
    )
