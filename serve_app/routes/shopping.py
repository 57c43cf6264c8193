"""The shopper's cart and checkout (ARCHITECTURE §8). Guests keep a cart under an unguessable
id until they sign in; checkout needs an account. Prices always come from the catalog and the
carrier, never from the client; a user reaches only their own cart."""

import re
import uuid
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from domain.cart import Address, CheckoutNotReady, PricesChanged, ShippingChoice
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
NOT_SIGNED_IN = {401: {"description": "not signed in"}}
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
    return f"cart-{principal.user_id}"


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


def _cart(request: Request, holder: CartHolder) -> Any:
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
    return await _cart(request, shopper).view()


@router.post("/cart/items", response_model=CartView, responses=CART_HOLDER)
async def add_item(body: AddItem, request: Request, shopper: Holder) -> dict[str, Any]:
    cart = _cart(request, shopper)
    view = await cart.add_product(
        sku=body.sku, quantity=body.quantity, owner=shopper.owner, market=shopper.market
    )
    return await _keep_shipping(request, cart, view)


@router.patch("/cart/items/{sku}", response_model=CartView, responses=CART_HOLDER)
async def change_quantity(
    sku: Annotated[str, SKU_IN_PATH], body: ChangeQuantity, request: Request, shopper: Holder
) -> dict[str, Any]:
    cart = _cart(request, shopper)
    view = await cart.change_quantity(sku=sku, quantity=body.quantity)
    return await _keep_shipping(request, cart, view)


@router.delete("/cart/items/{sku}", response_model=CartView, responses=CART_HOLDER)
async def remove_item(sku: Annotated[str, SKU_IN_PATH], request: Request, shopper: Holder) -> dict:
    cart = _cart(request, shopper)
    return await _keep_shipping(request, cart, await cart.remove_item(sku=sku))


@router.put("/cart/address", response_model=CartView, responses=CART_HOLDER)
async def set_address(body: Address, request: Request, shopper: Holder) -> dict[str, Any]:
    cart = _cart(request, shopper)
    view = await cart.set_address(address=body.model_dump(mode="json"))
    return await _keep_shipping(request, cart, view)


@router.get("/cart/shipping-options", response_model=list[ShippingChoice], responses=CART_HOLDER)
async def shipping_choices(request: Request, shopper: Holder) -> list[ShippingChoice]:
    """The services the carrier offers for this cart to its address, priced."""
    cart = await _cart(request, shopper).view()
    return await shipping_options(services(request).shop, cart, _address_of(cart))


@router.put("/cart/shipping", response_model=CartView, responses=CART_HOLDER)
async def choose_shipping(
    body: ShippingService, request: Request, shopper: Holder
) -> dict[str, Any]:
    cart = _cart(request, shopper)
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
    return await _cart(request, shopper).apply_coupon(code=body.code)


@router.delete("/cart/coupon", response_model=CartView, responses=CART_HOLDER)
async def remove_coupon(request: Request, shopper: Holder) -> dict[str, Any]:
    return await _cart(request, shopper).remove_coupon()


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
    }
    saga = services(request).shop.sagas.get(checkout_id)
    try:
        await _prepare_checkout(request, principal, body)
    except DomainError:
        if (await saga.view())["status"] == "new":
            raise
        # a repeat of a checkout that locked or emptied the cart answers for that checkout
    timeout = services(request).settings.saga_wait_s
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


async def _prepare_checkout(request: Request, principal: Principal, body: CheckoutRequest) -> None:
    """Refuses, before any saga or order exists, a checkout that cannot succeed or would
    charge what the shopper was not shown: a 409 saying what is missing, or
    `prices_changed` with the re-priced cart. A one-step checkout's address and shipping
    service are set here; a service chosen earlier is priced again for the cart as it is."""
    cart = _cart(request, CartHolder(cart_key(principal), principal))
    viewed = await cart.view()
    address = body.address or (
        Address.model_validate(viewed["address"]) if viewed["address"] else None
    )
    service = body.shipping_service or (None if viewed["shipping"] else viewed["shipping_service"])
    shipping = None
    if service is not None and address is not None and viewed["lines"]:
        choice = await priced_choice(services(request).shop, viewed, address, service)
        shipping = choice.model_dump(mode="json")
    prepared = await cart.prepare_checkout(
        address=body.address.model_dump(mode="json") if body.address else None, shipping=shipping
    )
    changed = prepared.pop("prices_changed")
    if changed:
        raise PricesChanged(
            "prices changed since the cart was shown; review the new total and check out again",
            skus=changed,
            cart=prepared,
        )
