"""The shopper's cart (ARCHITECTURE §8). Guests keep a cart under an unguessable id until
they sign in. Prices always come from the catalog and the carrier, never from the client; a
user reaches only their own cart."""

import re
import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from actors.cart import cart_key_of
from domain.cart import Address, CheckoutNotReady, ShippingChoice
from domain.errors import DomainError
from serve_app.errors import ApiError
from serve_app.routes.deps import current_user, services
from serve_app.shipping_quotes import priced_choice, shipping_options
from serve_app.strict_json import StrictJsonRoute
from serve_app.tokens import Principal

router = APIRouter(route_class=StrictJsonRoute, prefix="/api", tags=["shopping"])
User = Annotated[Principal, Depends(current_user)]
SKU_PATTERN = r"^[A-Za-z0-9._-]+$"
SKU = Field(min_length=1, max_length=64, pattern=SKU_PATTERN)
SKU_IN_PATH = Path(min_length=1, max_length=64, pattern=SKU_PATTERN)
CART_HOLDER = {401: {"description": "neither signed in nor a guest cart"}}
GUEST_CART_PATTERN = r"^guest-[0-9a-f]{32}$"
SERVICE_NAME: dict[str, Any] = {"min_length": 1, "max_length": 40, "pattern": r"^[A-Z0-9_]+$"}


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


@dataclass(frozen=True)
class CartHolder:
    """Whose cart a request works on: a signed-in user's, or a guest's named by its id."""

    cart_id: str
    principal: Principal | None

    @property
    def owner(self) -> str | None:
        return self.principal.user_id if self.principal else None

    @property
    def market(self) -> str:
        return self.principal.market if self.principal else "retail"


def cart_key(principal: Principal) -> str:
    return cart_key_of(principal.user_id)


async def cart_holder(
    request: Request,
    guest_cart: Annotated[
        str | None, Header(alias="X-Guest-Cart", max_length=100, description="a guest's cart id")
    ] = None,
) -> CartHolder:
    """The signed-in caller's cart when a token is sent, else the guest cart named; 401 for
    neither. A guest id is unguessable and never names a user's cart: any other id is 404."""
    if request.headers.get("authorization") or guest_cart is None:
        principal = await current_user(request)
        return CartHolder(cart_key(principal), principal)
    if not re.fullmatch(GUEST_CART_PATTERN, guest_cart):
        raise ApiError(404, "not_found", "no such guest cart")
    return CartHolder(guest_cart, None)


Holder = Annotated[CartHolder, Depends(cart_holder)]


def cart_of(request: Request, holder: CartHolder) -> Any:
    return services(request).shop.carts.get(holder.cart_id)


@router.post("/cart/guest", response_model=GuestCart, status_code=201)
async def new_guest_cart() -> GuestCart:
    """An id for a guest's cart: send it as `X-Guest-Cart`; it joins your cart at sign-in."""
    return GuestCart(guest_cart_id=f"guest-{uuid.uuid4().hex}")


async def join_guest_cart(shop: Any, guest_cart_id: str, principal: Principal) -> bool:
    """Moves a guest cart's lines into the user's cart (once per guest cart, safe to repeat);
    False if the user's cart cannot take them now (it is being checked out, or full)."""
    guest = shop.carts.get(guest_cart_id)
    lines = (await guest.view())["lines"]
    if not lines:
        return True
    try:
        await shop.carts.get(cart_key(principal)).merge_lines(
            lines=lines, idempotency_key=f"join:{guest_cart_id}"
        )
    except DomainError:
        return False
    await guest.clear(idempotency_key=f"joined:{guest_cart_id}")
    return True


@router.get("/cart", response_model=CartView, responses=CART_HOLDER)
async def view_cart(request: Request, shopper: Holder) -> dict[str, Any]:
    return await cart_of(request, shopper).view()


@router.post("/cart/items", response_model=CartView, responses=CART_HOLDER)
async def add_item(body: AddItem, request: Request, shopper: Holder) -> dict[str, Any]:
    cart = cart_of(request, shopper)
    view = await cart.add_product(
        sku=body.sku, quantity=body.quantity, owner=shopper.owner, market=shopper.market
    )
    return await _keep_shipping(request, cart, view)


@router.patch("/cart/items/{sku}", response_model=CartView, responses=CART_HOLDER)
async def change_quantity(
    sku: Annotated[str, SKU_IN_PATH], body: ChangeQuantity, request: Request, shopper: Holder
) -> dict[str, Any]:
    cart = cart_of(request, shopper)
    view = await cart.change_quantity(sku=sku, quantity=body.quantity)
    return await _keep_shipping(request, cart, view)


@router.delete("/cart/items/{sku}", response_model=CartView, responses=CART_HOLDER)
async def remove_item(sku: Annotated[str, SKU_IN_PATH], request: Request, shopper: Holder) -> dict:
    cart = cart_of(request, shopper)
    return await _keep_shipping(request, cart, await cart.remove_item(sku=sku))


@router.put("/cart/address", response_model=CartView, responses=CART_HOLDER)
async def set_address(body: Address, request: Request, shopper: Holder) -> dict[str, Any]:
    cart = cart_of(request, shopper)
    view = await cart.set_address(address=body.model_dump(mode="json"))
    return await _keep_shipping(request, cart, view)


@router.get("/cart/shipping-options", response_model=list[ShippingChoice], responses=CART_HOLDER)
async def shipping_choices(request: Request, shopper: Holder) -> list[ShippingChoice]:
    """The services the carrier offers for this cart to its address, priced."""
    cart = await cart_of(request, shopper).view()
    return await shipping_options(services(request).shop, cart, _address_of(cart))


@router.put("/cart/shipping", response_model=CartView, responses=CART_HOLDER)
async def choose_shipping(
    body: ShippingService, request: Request, shopper: Holder
) -> dict[str, Any]:
    cart = cart_of(request, shopper)
    viewed = await cart.view()
    choice = await priced_choice(services(request).shop, viewed, _address_of(viewed), body.service)
    return await cart.choose_shipping(choice=choice.model_dump(mode="json"))


async def _keep_shipping(request: Request, cart: Any, view: dict[str, Any]) -> dict[str, Any]:
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
    return await cart.choose_shipping(choice=choice.model_dump(mode="json"))


def _address_of(cart: dict[str, Any]) -> Address:
    if cart["address"] is None:
        raise CheckoutNotReady("choose a shipping address first", missing="address")
    return Address.model_validate(cart["address"])


@router.put("/cart/coupon", response_model=CartView, responses=CART_HOLDER)
async def apply_coupon(body: CouponCode, request: Request, shopper: Holder) -> dict[str, Any]:
    return await cart_of(request, shopper).apply_coupon(code=body.code)


@router.delete("/cart/coupon", response_model=CartView, responses=CART_HOLDER)
async def remove_coupon(request: Request, shopper: Holder) -> dict[str, Any]:
    return await cart_of(request, shopper).remove_coupon()
