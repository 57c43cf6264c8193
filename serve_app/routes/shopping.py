"""The shopper's cart (ARCHITECTURE §8). Guests keep a cart under an unguessable id until
they sign in. Prices always come from the catalog and the carrier, never from the client; a
user reaches only their own cart. Each route is one call to the cart object, which prices
lines and shipping itself."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from actors.cart import Cart
from domain.cart import Address, ShippingChoice
from serve_app.routes.access import Holder, cart_of
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
    return await cart_of(request, shopper).call(
        Cart.add_product,
        sku=body.sku,
        quantity=body.quantity,
        owner=shopper.owner,
        market=shopper.market,
    )


@router.patch("/cart/items/{sku}", response_model=CartView, responses=CART_HOLDER)
async def change_quantity(
    sku: Annotated[str, SKU_IN_PATH], body: ChangeQuantity, request: Request, shopper: Holder
) -> dict[str, Any]:
    return await cart_of(request, shopper).call(
        Cart.change_quantity, sku=sku, quantity=body.quantity
    )


@router.delete("/cart/items/{sku}", response_model=CartView, responses=CART_HOLDER)
async def remove_item(
    sku: Annotated[str, SKU_IN_PATH], request: Request, shopper: Holder
) -> dict[str, Any]:
    return await cart_of(request, shopper).call(Cart.remove_item, sku=sku)


@router.put("/cart/address", response_model=CartView, responses=CART_HOLDER)
async def set_address(body: Address, request: Request, shopper: Holder) -> dict[str, Any]:
    address = body.model_dump(mode="json")
    return await cart_of(request, shopper).call(Cart.set_address, address=address)


@router.get("/cart/shipping-options", response_model=list[ShippingChoice], responses=CART_HOLDER)
async def shipping_choices(request: Request, shopper: Holder) -> list[dict[str, Any]]:
    """The services the carrier offers for this cart to its address, priced."""
    return await cart_of(request, shopper).call(Cart.shipping_options)


@router.put("/cart/shipping", response_model=CartView, responses=CART_HOLDER)
async def choose_shipping(
    body: ShippingService, request: Request, shopper: Holder
) -> dict[str, Any]:
    """Chooses a carrier service at the carrier's price; a later change of lines or address
    prices it again."""
    return await cart_of(request, shopper).call(Cart.choose_shipping, service=body.service)


@router.put("/cart/coupon", response_model=CartView, responses=CART_HOLDER)
async def apply_coupon(body: CouponCode, request: Request, shopper: Holder) -> dict[str, Any]:
    return await cart_of(request, shopper).call(Cart.apply_coupon, code=body.code)


@router.delete("/cart/coupon", response_model=CartView, responses=CART_HOLDER)
async def remove_coupon(request: Request, shopper: Holder) -> dict[str, Any]:
    return await cart_of(request, shopper).call(Cart.remove_coupon)
