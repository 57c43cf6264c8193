"""Payments (ARCHITECTURE §8): status for whoever may see the order, refund by an admin (the
order's cancellation, so money and stock stay in step), and the provider's webhook, accepted
only with a valid HMAC signature of the raw body."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from actors.payment import webhook_secret
from actors.payment_provider import signature_valid
from serve_app import strict_json
from serve_app.errors import ApiError
from serve_app.routes.deps import current_user, require_admin, services
from serve_app.routes.orders import OrderChange, require_status, run_order_saga, visible_order
from serve_app.strict_json import StrictJsonRoute
from serve_app.tokens import Principal

router = APIRouter(route_class=StrictJsonRoute, prefix="/api", tags=["payments"])
PAYMENT_ID = Path(min_length=1, max_length=200, pattern=r"^pay-")
NOT_FOUND = {401: {"description": "not signed in"}, 404: {"description": "no such payment"}}
MAX_WEBHOOK_BYTES = 8192


class PaymentView(BaseModel):
    payment_id: str
    order_id: str | None
    status: str
    amount: int
    currency: str | None
    method: str | None
    reason: str


class RefundRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(default="refunded by an admin", min_length=1, max_length=200)


async def visible_payment(
    request: Request, principal: Principal, payment_id: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The payment and its order, if the caller may see the order; 404 otherwise."""
    payment = await services(request).shop.payments.get(payment_id).status()
    if payment["order_id"] is None:
        raise ApiError(404, "not_found", "no such payment")
    return payment, await visible_order(request, principal, payment["order_id"])


@router.get("/payments/{payment_id}", response_model=PaymentView, responses=NOT_FOUND)
async def payment_status(
    payment_id: Annotated[str, PAYMENT_ID],
    request: Request,
    principal: Annotated[Principal, Depends(current_user)],
) -> dict[str, Any]:
    payment, _ = await visible_payment(request, principal, payment_id)
    return payment


@router.post(
    "/admin/payments/{payment_id}/refund",
    response_model=OrderChange,
    tags=["admin"],
    responses={**NOT_FOUND, 403: {"description": "admins only"}, 409: {"description": "shipped"}},
)
async def refund(
    payment_id: Annotated[str, PAYMENT_ID],
    request: Request,
    admin: Annotated[Principal, Depends(require_admin)],
    body: RefundRequest | None = None,
) -> OrderChange:
    """Refunds in full by cancelling the paid order: stock goes back and labels are voided."""
    payment, order = await visible_payment(request, admin, payment_id)
    require_status(order, "PAID", "CANCELLED", action="refund")
    reason = (body or RefundRequest()).reason
    return await run_order_saga(request, "cancel_order", payment["order_id"], reason)


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
        .shop.payments.get(payment_id)
        .webhook(body=body, signature=signature)
    )
