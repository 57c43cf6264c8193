"""Who may reach what (ARCHITECTURE §8): the cart a request works on (a signed-in user's, or
a guest's named by an unguessable id), and the orders and payments a caller may see.
Anything of another user answers 404, whether or not it exists."""

import re
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Request

from actors.cart import Cart, cart_key_of
from actors.company import Company
from actors.order import Order
from actors.payment import Payment
from domain.errors import DomainError
from domain.identity import market_of
from durable import ObjectStub
from serve_app.errors import ApiError
from serve_app.routes.deps import current_user, services
from serve_app.schemas import IDEMPOTENCY_KEY
from serve_app.tokens import Principal

GUEST_CART_PATTERN = r"^guest-[0-9a-f]{32}$"


@dataclass(frozen=True)
class CartHolder:
    """Whose cart a request works on: a signed-in user's, or a guest's named by its id."""

    cart_id: str
    principal: Principal | None
    change_key: str | None = None
    """The client's `Idempotency-Key`: a change sent again with it takes effect once."""

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
    change_key: Annotated[
        str | None,
        Header(
            **IDEMPOTENCY_KEY,
            description="optional on changes: sent again with the same key, a change takes "
            "effect once and answers as it did the first time",
        ),
    ] = None,
) -> CartHolder:
    """The signed-in caller's cart when a token is sent, else the guest cart named; 401 for
    neither. A guest id is unguessable and never names a user's cart: any other id is 404."""
    if request.headers.get("authorization") or guest_cart is None:
        principal = await current_user(request)
        return CartHolder(cart_key(principal), principal, change_key)
    if not re.fullmatch(GUEST_CART_PATTERN, guest_cart):
        raise ApiError(404, "not_found", "no such guest cart")
    return CartHolder(guest_cart, None, change_key)


Holder = Annotated[CartHolder, Depends(cart_holder)]


def cart_of(request: Request, holder: CartHolder) -> ObjectStub[Cart]:
    """The holder's cart; for a change with an `Idempotency-Key`, called with that key, made
    the cart's and the route's own (one key sent to two routes is two changes)."""
    cart = services(request).shop(Cart).get(holder.cart_id)
    if holder.change_key is None or request.method == "GET":
        return cart
    route = f"{request.method} {request.url.path}"
    return cart.once(f"http:{holder.cart_id}:{route}:{holder.change_key}")


async def join_guest_cart(shop: Any, guest_cart_id: str, principal: Principal) -> bool:
    """Moves a guest cart's lines into the user's cart (once per guest cart, safe to repeat);
    False if the user's cart cannot take them now (it is being checked out, or full)."""
    guest = shop(Cart).get(guest_cart_id)
    lines = (await guest.call(Cart.view))["lines"]
    if not lines:
        return True
    try:
        await (
            shop(Cart)
            .get(cart_key(principal))
            .once(f"join:{guest_cart_id}")
            .call(Cart.merge_lines, lines=lines)
        )
    except DomainError:
        return False
    await guest.once(f"joined:{guest_cart_id}").call(Cart.clear)
    return True


def sells_in(order: dict[str, Any], principal: Principal) -> bool:
    return principal.has("seller") and any(
        line.get("seller_id") == principal.user_id for line in order["lines"]
    )


async def visible_order(request: Request, principal: Principal, order_id: str) -> dict[str, Any]:
    """The order if the caller may see it (its customer, a seller of one of its lines, an
    admin); 404 otherwise, whether or not it exists."""
    order = await services(request).shop(Order).get(order_id).call(Order.view)
    allowed = (
        order["customer_id"] == principal.user_id
        or principal.has("admin")
        or sells_in(order, principal)
        or await _sees_company_orders(request, principal, order.get("company_id"))
    )
    if order["status"] == "NEW" or not allowed:
        raise ApiError(404, "not_found", "no such order")
    return order


async def _sees_company_orders(
    request: Request, principal: Principal, company_id: str | None
) -> bool:
    """A member of the company a quoted order is for sees it (every company role may)."""
    if company_id is None:
        return False
    company = await services(request).shop(Company).get(company_id).call(Company.view)
    return principal.user_id in company.get("members", {})


async def visible_payment(
    request: Request, principal: Principal, payment_id: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The payment and its order, if the caller may see the order; 404 otherwise."""
    payment = await services(request).shop(Payment).get(payment_id).call(Payment.status)
    if payment["order_id"] is None:
        raise ApiError(404, "not_found", "no such payment")
    return payment, await visible_order(request, principal, payment["order_id"])


async def company_of(request: Request, user_id: str, company_id: str | None) -> Any:
    """The user's company with their role in it; None for a user of none."""
    if company_id is None:
        return None
    company = await services(request).shop(Company).get(company_id).call(Company.view)
    member = company.get("members", {}).get(user_id)
    return {**company, "role": member["role"]} if member else None


def market_in(roles: list[str], company: Any) -> str:
    """The prices a user's tokens carry: wholesale for buyers of an approved company."""
    return market_of(roles, company["status"] if company else None)
