"""Regressions of what a black-box trial found over HTTP: absurd prices that broke payments
for everyone, a cart showing one price while checkout charged another, checkouts that
could not start answering as if they had, and edge holes (chunked bodies past the cap,
non-finite numbers)."""

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from actors.cart import cart_key_of
from actors.order import Order
from durable import Saga
from sagas.checkout.models import CheckoutInput
from serve_app.settings import GatewaySettings
from tests.e2e.conftest import UNLIMITED
from tests.e2e.http_helpers import (
    JAKARTA,
    WHOLESALE_PRICING,
    admin,
    assert_error,
    bearer,
    buy,
    listed_product,
    seller,
    sign_up,
)


@pytest.fixture(scope="module")
def gateway_settings() -> GatewaySettings:
    return UNLIMITED


def priced(amount: int) -> dict[str, Any]:
    money = {"amount": amount, "currency": "IDR"}
    return {"retail_price": money, "wholesale_price": money}


async def a_product(client: Any, shop: Any) -> tuple[str, dict[str, str], dict[str, Any]]:
    """A new seller's product with stock in Jakarta: (sku, an admin's headers, the seller)."""
    boss = await admin(client, shop)
    vendor = await seller(client, boss)
    return await listed_product(client, vendor["headers"], boss), boss, vendor


async def customer_headers(client: Any) -> dict[str, str]:
    return bearer((await sign_up(client))["tokens"]["access_token"])


async def test_absurd_prices_are_refused_and_good_cards_keep_paying(client: Any, shop: Any) -> None:
    boss = await admin(client, shop)
    vendor = await seller(client, boss)
    for amount in (2**63, 10**40, 10**12 + 1):
        refused = await client.post(
            "/api/products",
            json={
                "sku": f"GOLD-{uuid.uuid4().hex[:6]}",
                "title": "Gold",
                "pricing": priced(amount),
            },
            headers=vendor["headers"],
        )
        assert_error(refused, 422, "invalid_input")
    sku = await listed_product(client, vendor["headers"], boss)
    for _ in range(4):
        buyer = await customer_headers(client)
        await client.post("/api/cart/items", json={"sku": sku, "quantity": 1}, headers=buyer)
        done = await buy(client, buyer)
        assert done["status"] == "completed", done


async def test_a_quantity_change_reprices_the_line_at_the_tier_it_reaches(
    client: Any, shop: Any
) -> None:
    sku, boss, _vendor = await a_product(client, shop)
    buyer = await wholesale_buyer(client, boss)
    await client.post("/api/cart/items", json={"sku": sku, "quantity": 60}, headers=buyer)
    cart = await client.patch(f"/api/cart/items/{sku}", json={"quantity": 10}, headers=buyer)
    assert cart.json()["lines"][0]["unit_price"]["amount"] == 24_000, "base price below the tier"
    cart = await client.patch(f"/api/cart/items/{sku}", json={"quantity": 50}, headers=buyer)
    assert cart.json()["lines"][0]["unit_price"]["amount"] == 20_000, "the tier from 50 units"
    await client.put("/api/cart/address", json=JAKARTA, headers=buyer)
    shown = (await client.put("/api/cart/shipping", json={"service": "REG"}, headers=buyer)).json()
    done = await buy(client, buyer)
    assert done["status"] == "completed", done
    order = (await client.get(f"/api/orders/{done['order_id']}", headers=buyer)).json()
    assert order["totals"]["total"] == shown["summary"]["total"]


async def wholesale_buyer(client: Any, boss: dict[str, str]) -> dict[str, str]:
    account = await sign_up(client, role="buyer")
    buyer = bearer(account["tokens"]["access_token"])
    company = await client.post(
        "/api/companies", json={"name": "Toko Maju", "tax_id": "01.234.567.8-901"}, headers=buyer
    )
    await client.post(f"/api/admin/companies/{company.json()['company_id']}/approve", headers=boss)
    refreshed = await client.post(
        "/api/auth/refresh", json={"refresh_token": account["tokens"]["refresh_token"]}
    )
    return bearer(refreshed.json()["access_token"])


async def test_checkout_refuses_to_charge_a_price_the_shopper_was_not_shown(
    client: Any, shop: Any
) -> None:
    sku, _boss, vendor = await a_product(client, shop)
    shopper = await customer_headers(client)
    await client.post("/api/cart/items", json={"sku": sku, "quantity": 2}, headers=shopper)
    raised = {**WHOLESALE_PRICING, "retail_price": {"amount": 35_000, "currency": "IDR"}}
    changed = await client.put(
        f"/api/products/{sku}",
        json={"title": "Kopi Luwak", "category": "coffee", "pricing": raised},
        headers=vendor["headers"],
    )
    assert changed.status_code == 200, changed.text
    refused = await client.post(
        "/api/checkout?wait=true",
        json={"address": JAKARTA, "shipping_service": "REG"},
        headers={**shopper, "Idempotency-Key": uuid.uuid4().hex},
    )
    body = assert_error(refused, 409, "prices_changed")
    assert body["details"]["skus"] == [sku]
    assert body["details"]["cart"]["lines"][0]["unit_price"]["amount"] == 35_000
    shown = (await client.get("/api/cart", headers=shopper)).json()
    assert shown["summary"] == body["details"]["cart"]["summary"]
    assert (await client.get("/api/orders", headers=shopper)).json()["orders"] == []
    done = await buy(client, shopper)
    order = (await client.get(f"/api/orders/{done['order_id']}", headers=shopper)).json()
    assert order["status"] == "PAID" and order["totals"]["total"] == shown["summary"]["total"]


async def test_a_checkout_that_cannot_start_is_refused_before_any_order(
    client: Any, shop: Any
) -> None:
    sku, _boss, _vendor = await a_product(client, shop)
    account = await sign_up(client)
    shopper = bearer(account["tokens"]["access_token"])
    key = {**shopper, "Idempotency-Key": uuid.uuid4().hex}
    empty = await client.post("/api/checkout?wait=true", json={}, headers=key)
    assert_error(empty, 409, "cart_empty")
    await client.post("/api/cart/items", json={"sku": sku, "quantity": 1}, headers=shopper)
    await client.put("/api/cart/address", json=JAKARTA, headers=shopper)
    for wait in ("?wait=true", ""):
        unready = await client.post(f"/api/checkout{wait}", json={}, headers=key)
        body = assert_error(unready, 409, "checkout_not_ready")
        assert body["details"]["missing"] == ["shipping"]
    user_id = account["user"]["user_id"]
    checkout = CheckoutInput.for_cart(key["Idempotency-Key"], cart_key_of(user_id), user_id)
    assert (await shop(Saga).get(checkout.checkout_id).call(Saga.view))["status"] == "new", (
        "no saga"
    )
    assert (await shop(Order).get(checkout.order_id).call(Order.view))["status"] == "NEW", (
        "no order"
    )


async def test_a_cart_change_keeps_the_chosen_shipping_priced_for_the_new_cart(
    client: Any, shop: Any
) -> None:
    sku, _boss, _vendor = await a_product(client, shop)
    shopper = await customer_headers(client)
    await client.post("/api/cart/items", json={"sku": sku, "quantity": 1}, headers=shopper)
    await client.put("/api/cart/address", json=JAKARTA, headers=shopper)
    chosen = await client.put("/api/cart/shipping", json={"service": "EXP"}, headers=shopper)
    light = chosen.json()["shipping"]
    heavier = await client.patch(f"/api/cart/items/{sku}", json={"quantity": 40}, headers=shopper)
    cart = heavier.json()
    assert cart["shipping"]["code"] == "EXP" and cart["missing"] == []
    assert cart["shipping"]["price"]["amount"] >= light["price"]["amount"]
    done = await buy(client, shopper, address=None, shipping_service=None)
    assert done["status"] == "completed", done


async def test_a_body_past_the_cap_is_refused_even_when_sent_chunked(client: Any) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"email": "'
        for _ in range(26):
            yield b"x" * 100_000
        yield b'"}'

    response = await client.post(
        "/api/auth/login", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    assert_error(response, 413, "body_too_large")


@pytest.mark.parametrize("expires_at", ["Infinity", "-Infinity", "NaN", "1e999"])
async def test_non_finite_numbers_are_refused(client: Any, shop: Any, expires_at: str) -> None:
    boss = await admin(client, shop)
    code = f"FOREVER{uuid.uuid4().hex[:6]}"
    body = '{"kind": "percent", "percent_basis_points": 1000, "expires_at": ' + expires_at + "}"
    refused = await client.put(
        f"/api/admin/coupons/{code}",
        content=body,
        headers={**boss, "Content-Type": "application/json"},
    )
    assert_error(refused, 422, "invalid_input")
    issued = (await client.get("/api/admin/coupons", headers=boss)).json()
    assert code not in [coupon["code"] for coupon in issued]
