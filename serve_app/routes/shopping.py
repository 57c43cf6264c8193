"""The signed-in shopper's cart, checkout and orders (ARCHITECTURE §8). Prices always come
from the catalog, never from the client; a user reaches only their own cart and orders
(another user's order answers 404, as if it did not exist)."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from domain.cart import Address, ShippingChoice
from serve_app.errors import ApiError
from serve_app.routes.deps import current_user, services
from serve_app.tokens import Principal

router = APIRouter(prefix="/api", tags=["shopping"])
User = Annotated[Principal, Depends(current_user)]
SKU_PATTERN = r"^[A-Za-z0-9._-]+$"
SKU = Field(min_length=1, max_length=64, pattern=SKU_PATTERN)
SKU_IN_PATH = Path(min_length=1, max_length=64, pattern=SKU_PATTERN)
NOT_SIGNED_IN = {401: {"description": "not signed in"}}


class AddItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: str = SKU
    quantity: int = Field(ge=1, le=10_000)


class ChangeQuantity(BaseModel):
    model_config = ConfigDict(extra="forbid")

    quantity: int = Field(ge=1, le=10_000)


class CheckoutRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    payment_method: Literal["card", "qris", "virtual_account"] = "card"
    payment_token: str = Field(default="tok_success", min_length=1, max_length=64)
    address: Address | None = None
    shipping: ShippingChoice | None = None


class CheckoutAccepted(BaseModel):
    checkout_id: str
    saga_id: str
    order_id: str
    status: str
    failure: dict[str, Any] | None = None


class CartView(BaseModel):
    model_config = ConfigDict(extra="allow")

    lines: list[dict[str, Any]]
    summary: dict[str, Any]


class OrderPage(BaseModel):
    orders: list[dict[str, Any]]
    next: str | None


class OrderDetail(BaseModel):
    model_config = ConfigDict(extra="allow")

    order_id: str
    status: str
    history: list[dict[str, Any]]


def cart_key(principal: Principal) -> str:
    return f"cart-{principal.user_id}"


def _cart(request: Request, principal: Principal) -> Any:
    return services(request).shop.carts.get(cart_key(principal))


@router.get("/cart", response_model=CartView, responses=NOT_SIGNED_IN)
async def view_cart(request: Request, principal: User) -> dict[str, Any]:
    return await _cart(request, principal).view()


@router.post("/cart/items", response_model=CartView, responses=NOT_SIGNED_IN)
async def add_item(body: AddItem, request: Request, principal: User) -> dict[str, Any]:
    return await _cart(request, principal).add_product(
        sku=body.sku, quantity=body.quantity, owner=principal.user_id
    )


@router.patch("/cart/items/{sku}", response_model=CartView, responses=NOT_SIGNED_IN)
async def change_quantity(
    sku: Annotated[str, SKU_IN_PATH], body: ChangeQuantity, request: Request, principal: User
) -> dict[str, Any]:
    return await _cart(request, principal).change_quantity(sku=sku, quantity=body.quantity)


@router.delete("/cart/items/{sku}", response_model=CartView, responses=NOT_SIGNED_IN)
async def remove_item(sku: Annotated[str, SKU_IN_PATH], request: Request, principal: User) -> dict:
    return await _cart(request, principal).remove_item(sku=sku)


@router.put("/cart/address", response_model=CartView, responses=NOT_SIGNED_IN)
async def set_address(body: Address, request: Request, principal: User) -> dict[str, Any]:
    return await _cart(request, principal).set_address(address=body.model_dump(mode="json"))


@router.put("/cart/shipping", response_model=CartView, responses=NOT_SIGNED_IN)
async def choose_shipping(
    body: ShippingChoice, request: Request, principal: User
) -> dict[str, Any]:
    return await _cart(request, principal).choose_shipping(choice=body.model_dump(mode="json"))


@router.post(
    "/checkout",
    response_model=CheckoutAccepted,
    status_code=202,
    responses={**NOT_SIGNED_IN, 200: {"description": "finished (with ?wait=true)"}},
)
async def checkout(
    body: CheckoutRequest,
    request: Request,
    response: Response,
    principal: User,
    idempotency_key: Annotated[
        str, Header(alias="Idempotency-Key", min_length=8, max_length=64, pattern=r"^[\w-]+$")
    ],
    wait: Annotated[bool, Query(description="answer when the checkout has ended")] = False,
) -> CheckoutAccepted:
    """Starts the checkout saga once per `Idempotency-Key`: the same key again answers for
    the same checkout, never a second order or charge."""
    cart_id = cart_key(principal)
    checkout_id = f"co-{idempotency_key}-{{{cart_id}}}"  # lives beside the cart
    payload = {
        "checkout_id": checkout_id,
        "cart_id": cart_id,
        "customer_id": principal.user_id,
        "payment_method": body.payment_method,
        "payment_token": body.payment_token,
        "address": body.address.model_dump(mode="json") if body.address else None,
        "shipping": body.shipping.model_dump(mode="json") if body.shipping else None,
    }
    saga = services(request).shop.sagas.get(checkout_id)
    timeout = services(request).settings.request_timeout_s * 0.8
    if wait:
        outcome = await saga.run(saga_type="checkout", input=payload, timeout_s=timeout)
        response.status_code = 200
    else:
        outcome = await saga.start(saga_type="checkout", input=payload)
    return CheckoutAccepted(
        checkout_id=checkout_id,
        saga_id=checkout_id,
        order_id=f"ord-{checkout_id}",
        status=outcome["status"],
        failure=outcome.get("failure"),
    )


@router.get("/orders", response_model=OrderPage, responses=NOT_SIGNED_IN)
async def my_orders(
    request: Request,
    principal: User,
    status: Annotated[str | None, Query(max_length=20)] = None,
    after: Annotated[str, Query(max_length=200)] = "",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    """The caller's orders from the order read model, newest state once the bus caught up."""
    views = services(request).shop.order_views.get("orders")
    return await views.list_orders(
        customer_id=principal.user_id, status=status, after=after, limit=limit
    )


@router.get(
    "/orders/{order_id}",
    response_model=OrderDetail,
    responses={**NOT_SIGNED_IN, 404: {"description": "no such order of yours"}},
)
async def order_detail(
    order_id: Annotated[str, Path(max_length=200)], request: Request, principal: User
) -> dict[str, Any]:
    order = services(request).shop.orders.get(order_id)
    found = await order.view()
    if found["status"] == "NEW" or (
        found["customer_id"] != principal.user_id and not principal.has("admin")
    ):
        raise ApiError(404, "not_found", "no such order")
    return {**found, "history": await order.history()}
