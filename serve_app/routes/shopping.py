"""The shopper's cart (ARCHITECTURE §8). Guests keep a cart under an unguessable id until
they sign in. Prices always come from the catalog and the carrier, never from the client; a
user reaches only their own cart."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from actors.cart import Cart
from actors.shipping import priced_choice, shipping_options
from domain.cart import Address, CheckoutNotReady, ShippingChoice
from domain.errors import DomainError
from durable import ObjectStub
from serve_app.routes.access import Holder, cart_of
from serve_app.routes.deps import services
from serve_app.schemas import SERVICE_NAME, Responses
from serve_app.strict_json import StrictJsonRoute

router = APIRouter(route_class=StrictJsonRoute, prefix="/api", tags=["shopping"])
SKU_PATTERN = r"^[A-Za-z0-9._-]+$"
SKU = Field(min_length=1, max_length=64, pattern=SKU_PATTERN)
SKU_IN_PATH = Path(min_length=1, max_length=64, pattern=SKU_PATTERN)
CART_HOLDER: Responses = {401: {"description": "neither signed in nor a guest cart"}}


class AddItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: str = SKU
    quantity: int = Field(ge=1, le=10_000)


class ChangeQuantity(BaseModel):
    model_config = ConfigDict(extra="forbid")

    quantity: int = Field(ge=1, le=10_000)


class ShippingService(BaseModel):
    model_config = ConfigDict(extra="forbid")

    service: str = Field(**SERVICE_NAME)


class CouponCode(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")


class CartView(BaseModel):
    model_config = ConfigDict(extra="allow")

    lines: list[dict[str, Any]]
    summary: dict[str, Any]


class GuestCart(BaseModel):
    guest_cart_id: str


@router.post("/cart/guest", response_model=GuestCart, status_code=201)
async def new_guest_cart() -> GuestCart:
    """An id for a guest's cart: send it as `X-Guest-Cart`; it joins your cart at sign-in."""
    return GuestCart(guest_cart_id=f"guest-{uuid.uuid4().hex}")


@router.get("/cart", response_model=CartView, responses=CART_HOLDER)
async def view_cart(request: Request, shopper: Holder) -> dict[str, Any]:
    return await cart_of(request, shopper).call(Cart.view)


@router.post("/cart/items", response_model=CartView, responses=CART_HOLDER)
async def add_item(body: AddItem, request: Request, shopper: Holder) -> dict[str, Any]:
    cart = cart_of(request, shopper)
    view = await cart.call(
        Cart.add_product,
        sku=body.sku,
        quantity=body.quantity,
        owner=shopper.owner,
        market=shopper.market,
    )
    return await _keep_shipping(request, cart, view)


@router.patch("/cart/items/{sku}", response_model=CartView, responses=CART_HOLDER)
async def change_quantity(
    sku: Annotated[str, SKU_IN_PATH], body: ChangeQuantity, request: Request, shopper: Holder
) -> dict[str, Any]:
    cart = cart_of(request, shopper)
    view = await cart.call(Cart.change_quantity, sku=sku, quantity=body.quantity)
    return await _keep_shipping(request, cart, view)


@router.delete("/cart/items/{sku}", response_model=CartView, responses=CART_HOLDER)
async def remove_item(
    sku: Annotated[str, SKU_IN_PATH], request: Request, shopper: Holder
) -> dict[str, Any]:
    cart = cart_of(request, shopper)
    return await _keep_shipping(request, cart, await cart.call(Cart.remove_item, sku=sku))


@router.put("/cart/address", response_model=CartView, responses=CART_HOLDER)
async def set_address(body: Address, request: Request, shopper: Holder) -> dict[str, Any]:
    cart = cart_of(request, shopper)
    view = await cart.call(Cart.set_address, address=body.model_dump(mode="json"))
    return await _keep_shipping(request, cart, view)


@router.get("/cart/shipping-options", response_model=list[ShippingChoice], responses=CART_HOLDER)
async def shipping_choices(request: Request, shopper: Holder) -> list[ShippingChoice]:
    """The services the carrier offers for this cart to its address, priced."""
    cart = await cart_of(request, shopper).call(Cart.view)
    return await shipping_options(services(request).shop, cart, _address_of(cart))


@router.put("/cart/shipping", response_model=CartView, responses=CART_HOLDER)
async def choose_shipping(
    body: ShippingService, request: Request, shopper: Holder
) -> dict[str, Any]:
    cart = cart_of(request, shopper)
    viewed = await cart.call(Cart.view)
    choice = await priced_choice(services(request).shop, viewed, _address_of(viewed), body.service)
    return await cart.call(Cart.choose_shipping, choice=choice.model_dump(mode="json"))


async def _keep_shipping(
    request: Request, cart: ObjectStub[Cart], view: dict[str, Any]
) -> dict[str, Any]:
    """A change of lines or address voids the shipping price, not the shopper's choice of
    service: the carrier prices that service again for the changed cart. Where it no longer
    serves the cart, the view says shipping must be chosen again (`missing`)."""
    service = view["shipping_service"]
    if view["shipping"] is not None or service is None or "lines" in view["missing"]:
        return view
    if view["address"] is None:
        return view
    address = Address.model_validate(view["address"])
    try:
        choice = await priced_choice(services(request).shop, view, address, service)
    except DomainError:
        return view
    return await cart.call(Cart.choose_shipping, choice=choice.model_dump(mode="json"))


def _address_of(cart: dict[str, Any]) -> Address:
    if cart["address"] is None:
        raise CheckoutNotReady("choose a shipping address first", missing="address")
    return Address.model_validate(cart["address"])


@router.put("/cart/coupon", response_model=CartView, responses=CART_HOLDER)
async def apply_coupon(body: CouponCode, request: Request, shopper: Holder) -> dict[str, Any]:
    return await cart_of(request, shopper).call(Cart.apply_coupon, code=body.code)


@router.delete("/cart/coupon", response_model=CartView, responses=CART_HOLDER)
async def remove_coupon(request: Request, shopper: Holder) -> dict[str, Any]:
    return await cart_of(request, shopper).call(Cart.remove_coupon)
