"""Orders after checkout (ARCHITECTURE §8): mine, a seller's, all for admins; detail with its
event history; cancel (the customer or an admin), fulfil (the seller of a line or an admin),
deliver (an admin, on the carrier's word); an admin's refund, which is the paid order's
cancellation; shipment tracking.

An order someone may not see answers 404, as if it did not exist. Cancel, fulfil and deliver
run as sagas keyed by the order, so a repeated request joins the first one."""

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from actors.order import Order
from actors.order_views import OrderViews
from actors.payment import Payment
from actors.shipment import Shipment
from durable import Saga
from sagas.order_sagas import OrderSagaInput
from serve_app.errors import ApiError
from serve_app.routes.access import sells_in, visible_order, visible_payment
from serve_app.routes.deps import current_user, require_admin, services
from serve_app.schemas import Responses
from serve_app.strict_json import StrictJsonRoute
from serve_app.tokens import Principal

router = APIRouter(route_class=StrictJsonRoute, prefix="/api", tags=["orders"])
User = Annotated[Principal, Depends(current_user)]
Admin = Annotated[Principal, Depends(require_admin)]
ORDER_ID = Path(min_length=1, max_length=200)
NOT_FOUND: Responses = {
    401: {"description": "not signed in"},
    404: {"description": "no such order"},
}
REFUSED: Responses = {**NOT_FOUND, 409: {"description": "not possible in the order's state"}}
PAYMENT_ID = Path(min_length=1, max_length=200, pattern=r"^pay-")
PAYMENT_NOT_FOUND: Responses = {
    401: {"description": "not signed in"},
    404: {"description": "no such payment"},
}


@dataclass(frozen=True)
class PageOf:
    """Which page of an order list: one status or all, after an order id, how many."""

    status: Annotated[str | None, Query(max_length=20)] = None
    after: Annotated[str, Query(max_length=200)] = ""
    limit: Annotated[int, Query(ge=1, le=200)] = 50

    def asdict(self) -> dict[str, Any]:
        return {"status": self.status, "after": self.after, "limit": self.limit}


Page = Annotated[PageOf, Depends()]


class OrderPage(BaseModel):
    orders: list[dict[str, Any]]
    next: str | None


class OrderDetail(BaseModel):
    model_config = ConfigDict(extra="allow")

    order_id: str
    status: str
    history: list[dict[str, Any]]


class CancelRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(default="cancelled by the customer", min_length=1, max_length=200)


class OrderChange(BaseModel):
    """What a cancel, fulfil or deliver request did: the saga that ran (none while other
    sellers have yet to pack their lines) and the order after."""

    saga_id: str | None
    saga_status: str
    order: dict[str, Any]


class Tracking(BaseModel):
    shipment_id: str
    order_id: str | None
    warehouse_id: str | None
    status: str
    tracking_number: str | None
    tracking: list[dict[str, Any]]


async def run_order_saga(
    request: Request, saga_type: str, order_id: str, reason: str | None = None
) -> OrderChange:
    """Runs `saga_type` for the order once and waits; a refusal comes back as 409."""
    shop = services(request).shop
    request_input = OrderSagaInput(order_id=order_id, **({"reason": reason} if reason else {}))
    saga_id = request_input.saga_id(saga_type)
    payload = request_input.model_dump()
    timeout = services(request).settings.saga_wait_s
    outcome = (
        await shop(Saga)
        .get(saga_id)
        .call(Saga.run, saga_type=saga_type, input=payload, timeout_s=timeout)
    )
    failure = outcome.get("failure")
    if outcome["status"] != "completed" and failure is not None:
        raise ApiError(409, failure["code"], failure["message"], saga_id=saga_id)
    order = await shop(Order).get(order_id).call(Order.view)
    return OrderChange(saga_id=saga_id, saga_status=outcome["status"], order=order)


def require_status(order: dict[str, Any], *allowed: str, action: str) -> None:
    """Refuses early, before a saga is started (and spent) on an order that cannot move."""
    if order["status"] not in allowed:
        raise ApiError(
            409,
            "illegal_transition",
            f"cannot {action} an order that is {order['status']}",
            order_status=order["status"],
        )


@router.get("/orders", response_model=OrderPage, responses=NOT_FOUND)
async def my_orders(
    request: Request,
    principal: User,
    page: Page,
) -> dict[str, Any]:
    """The caller's orders from the order read model (newest state once the bus caught up)."""
    views = services(request).shop(OrderViews).get("orders")
    return await views.call(OrderViews.list_orders, customer_id=principal.user_id, **page.asdict())


@router.get("/seller/orders", response_model=OrderPage, responses=NOT_FOUND)
async def seller_orders(
    request: Request,
    principal: User,
    page: Page,
) -> dict[str, Any]:
    """Orders with at least one of the seller's lines; each keeps only the seller's lines."""
    if not principal.has("seller"):
        raise ApiError(403, "forbidden", "sellers only")
    views = services(request).shop(OrderViews).get("orders")
    found = await views.call(OrderViews.list_orders, seller_id=principal.user_id, **page.asdict())
    for order in found["orders"]:
        order["lines"] = [
            line for line in order["lines"] if line.get("seller_id") == principal.user_id
        ]
    return found


@router.get("/admin/orders", response_model=OrderPage, tags=["admin"], responses=NOT_FOUND)
async def all_orders(
    request: Request,
    admin: Admin,
    page: Page,
    customer_id: Annotated[str | None, Query(max_length=100)] = None,
    seller_id: Annotated[str | None, Query(max_length=100)] = None,
) -> dict[str, Any]:
    views = services(request).shop(OrderViews).get("orders")
    return await views.call(
        OrderViews.list_orders, customer_id=customer_id, seller_id=seller_id, **page.asdict()
    )


@router.get("/orders/{order_id}", response_model=OrderDetail, responses=NOT_FOUND)
async def order_detail(
    order_id: Annotated[str, ORDER_ID], request: Request, principal: User
) -> dict[str, Any]:
    found = await visible_order(request, principal, order_id)
    return {
        **found,
        "history": await services(request).shop(Order).get(order_id).call(Order.history),
    }


@router.post("/orders/{order_id}/cancel", response_model=OrderChange, responses=REFUSED)
async def cancel(
    order_id: Annotated[str, ORDER_ID],
    request: Request,
    principal: User,
    body: CancelRequest | None = None,
) -> OrderChange:
    """Cancels an order that has not shipped: a paid one is refunded, its stock put back and
    its labels cancelled; an unpaid one (QRIS, virtual account) has its payment voided."""
    order = await visible_order(request, principal, order_id)
    if order["customer_id"] != principal.user_id and not principal.has("admin"):
        raise ApiError(403, "forbidden", "only the customer or an admin cancels an order")
    reason = (body or CancelRequest()).reason
    if order["status"] == "AWAITING_PAYMENT":
        order = await give_up_payment(request, order, reason)
        if order["status"] != "PAID":  # else it was paid meanwhile: refund as usual
            return OrderChange(saga_id=None, saga_status="payment_voided", order=order)
    require_status(order, "PAID", "CANCELLED", action="cancel")
    return await run_order_saga(request, "cancel_order", order_id, reason)


async def give_up_payment(request: Request, order: dict[str, Any], reason: str) -> dict[str, Any]:
    """Voids an unpaid order's pending payment; its checkout then compensates (stock back,
    order FAILED). Returns the order once the checkout has ended."""
    shop = services(request).shop
    await shop(Payment).get(order["payment_id"]).call(Payment.void_if_pending, reason=reason)
    checkout_id = order["order_id"].removeprefix("ord-")
    timeout = services(request).settings.saga_wait_s
    await shop(Saga).get(checkout_id).call(Saga.outcome, timeout_s=timeout)
    return await shop(Order).get(order["order_id"]).call(Order.view)


@router.post("/orders/{order_id}/fulfil", response_model=OrderChange, responses=REFUSED)
async def fulfil(
    order_id: Annotated[str, ORDER_ID], request: Request, principal: User
) -> OrderChange:
    """A seller has packed the lines of their products (an admin: every line left). When no
    seller is left, the parcels go to the carrier and the order is SHIPPED."""
    order = await visible_order(request, principal, order_id)
    if principal.has("admin"):
        sellers = order["awaiting_sellers"]
    elif sells_in(order, principal):
        sellers = [principal.user_id]
    else:
        raise ApiError(403, "forbidden", "only a seller of the order or an admin fulfils it")
    require_status(order, "PAID", "SHIPPED", action="fulfil")
    if order["status"] == "PAID" and sellers:
        order = (
            await services(request).shop(Order).get(order_id).call(Order.fulfil, sellers=sellers)
        )
    if order["awaiting_sellers"]:
        return OrderChange(saga_id=None, saga_status="waiting_for_sellers", order=order)
    return await run_order_saga(request, "fulfil_order", order_id)


@router.post("/orders/{order_id}/deliver", response_model=OrderChange, responses=REFUSED)
async def deliver(
    order_id: Annotated[str, ORDER_ID], request: Request, admin: Admin
) -> OrderChange:
    """Records the carrier's delivery of every parcel (DELIVERED)."""
    order = await visible_order(request, admin, order_id)
    require_status(order, "SHIPPED", "DELIVERED", action="deliver")
    return await run_order_saga(request, "deliver_order", order_id)


@router.get(
    "/shipments/{shipment_id}",
    response_model=Tracking,
    responses={401: {"description": "not signed in"}, 404: {"description": "no such shipment"}},
)
async def track(
    shipment_id: Annotated[str, Path(min_length=1, max_length=250)],
    request: Request,
    principal: User,
) -> dict[str, Any]:
    """Where a parcel is; visible to whoever may see its order."""
    tracked = await services(request).shop(Shipment).get(shipment_id).call(Shipment.track)
    if tracked["order_id"] is None:
        raise ApiError(404, "not_found", "no such shipment")
    await visible_order(request, principal, tracked["order_id"])
    return tracked


class RefundRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(default="refunded by an admin", min_length=1, max_length=200)


@router.post(
    "/admin/payments/{payment_id}/refund",
    response_model=OrderChange,
    tags=["admin"],
    responses={
        **PAYMENT_NOT_FOUND,
        403: {"description": "admins only"},
        409: {"description": "shipped"},
    },
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
