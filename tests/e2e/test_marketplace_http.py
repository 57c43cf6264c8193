"""The shop's whole life over real HTTP: a seller lists a product with an image, an admin issues
a coupon and stocks a warehouse, a customer buys with the coupon, the seller fulfils and the
carrier delivers; wholesale buyers of approved companies; guests; refunds; and who may see what.

Over 300 lines: the scenarios share one gateway on one Ray (one per module); split, each part
would start its own."""

import hashlib
import hmac
import json
import uuid
from typing import Any

import pytest

from actors.payment import webhook_secret
from serve_app.settings import GatewaySettings
from tests.conftest import eventually
from tests.e2e.conftest import UNLIMITED
from tests.e2e.http_helpers import (
    JAKARTA,
    WHOLESALE_PRICING,
    admin,
    assert_error,
    bearer,
    buy,
    listed_product,
    log_in,
    seller,
    sign_up,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(scope="module")
def gateway_settings() -> GatewaySettings:
    return UNLIMITED


async def test_signup_to_delivered_with_a_coupon_and_the_seller_fulfilling(
    client: Any, shop: Any
) -> None:
    boss = await admin(client, shop)
    vendor = await seller(client, boss)
    sku = await listed_product(client, vendor["headers"], boss)
    image = await client.put(
        f"/api/products/{sku}/image",
        content=PNG,
        headers={**vendor["headers"], "Content-Type": "image/png"},
    )
    assert image.status_code == 200, image.text
    served = await client.get(f"/api/products/{sku}/image")
    assert served.content == PNG and served.headers["content-type"] == "image/png"
    coupon = await client.put(
        "/api/admin/coupons/HEMAT10",
        json={"kind": "percent", "percent_basis_points": 1_000, "max_redemptions": 5},
        headers=boss,
    )
    assert coupon.status_code == 200, coupon.text

    customer = bearer((await sign_up(client))["tokens"]["access_token"])
    found = (await client.get("/api/products", params={"q": "luwak"})).json()
    assert sku in {p["sku"] for p in found["items"]}
    await client.post("/api/cart/items", json={"sku": sku, "quantity": 3}, headers=customer)
    await client.put("/api/cart/address", json=JAKARTA, headers=customer)
    options = (await client.get("/api/cart/shipping-options", headers=customer)).json()
    assert [o["code"] for o in options] == ["REG", "EXP"]
    chosen = await client.put("/api/cart/shipping", json={"service": "REG"}, headers=customer)
    assert chosen.json()["shipping"] == options[0], "the carrier's price, not the client's"
    cart = (await client.put("/api/cart/coupon", json={"code": "hemat10"}, headers=customer)).json()
    assert cart["summary"]["subtotal"] == 90_000 and cart["summary"]["discount"] == 9_000
    done = await buy(client, customer, address=None, shipping_service=None)
    assert done["status"] == "completed", done
    order_id = done["order_id"]
    order = (await client.get(f"/api/orders/{order_id}", headers=customer)).json()
    assert order["status"] == "PAID" and len(order["shipments"]) == 1
    assert order["totals"]["discount"] == 9_000
    payment = await client.get(f"/api/payments/pay-{done['checkout_id']}", headers=customer)
    assert payment.json()["status"] == "captured"
    assert payment.json()["amount"] == order["totals"]["total"]
    redeemed = (await client.get("/api/admin/coupons", headers=boss)).json()
    assert {c["code"]: c["redemptions"] for c in redeemed}["HEMAT10"] == 1

    await eventually(
        lambda: client.get("/api/seller/orders", headers=vendor["headers"]),
        lambda r: order_id in {o["order_id"] for o in r.json()["orders"]},
        what="the order among the seller's",
    )
    assert_error(
        await client.post(f"/api/orders/{order_id}/fulfil", headers=customer), 403, "forbidden"
    )
    fulfilled = await client.post(f"/api/orders/{order_id}/fulfil", headers=vendor["headers"])
    assert fulfilled.json()["order"]["status"] == "SHIPPED", fulfilled.text
    assert_error(
        await client.post(f"/api/orders/{order_id}/cancel", headers=customer),
        409,
        "illegal_transition",
    )
    delivered = await client.post(f"/api/orders/{order_id}/deliver", headers=boss)
    assert delivered.json()["order"]["status"] == "DELIVERED", delivered.text
    shipment_id = next(iter(order["shipments"]))
    tracked = (await client.get(f"/api/shipments/{shipment_id}", headers=customer)).json()
    assert [t["status"] for t in tracked["tracking"]] == ["labelled", "dispatched", "delivered"]
    stock = (await client.get("/api/admin/warehouses/jkt/stock", headers=boss)).json()[sku]
    assert stock == {"available": 497, "reserved": 0, "allocated": 0, "on_hand": 497}
    history = (await client.get(f"/api/orders/{order_id}", headers=customer)).json()["history"]
    assert [e["type"] for e in history][-2:] == ["OrderShipped", "OrderDelivered"]


async def test_a_wholesale_buyer_gets_tier_prices_once_the_company_is_approved(
    client: Any, shop: Any
) -> None:
    boss = await admin(client, shop)
    vendor = await seller(client, boss)
    sku = await listed_product(client, vendor["headers"], boss)
    account = await sign_up(client, role="buyer")
    buyer = bearer(account["tokens"]["access_token"])
    company = await client.post(
        "/api/companies", json={"name": "Toko Maju", "tax_id": "01.234.567.8-901"}, headers=buyer
    )
    assert company.json()["status"] == "pending", company.text
    retail = await client.post("/api/cart/items", json={"sku": sku, "quantity": 2}, headers=buyer)
    assert retail.json()["lines"][0]["unit_price"]["amount"] == 30_000, "retail until approved"
    await client.delete(f"/api/cart/items/{sku}", headers=buyer)

    approved = await client.post(
        f"/api/admin/companies/{company.json()['company_id']}/approve", headers=boss
    )
    assert approved.json()["status"] == "approved"
    refreshed = await client.post(
        "/api/auth/refresh", json={"refresh_token": account["tokens"]["refresh_token"]}
    )
    buyer = bearer(refreshed.json()["access_token"])
    me = (await client.get("/api/auth/me", headers=buyer)).json()
    assert me["market"] == "wholesale" and me["company"]["name"] == "Toko Maju"
    below = await client.post("/api/cart/items", json={"sku": sku, "quantity": 5}, headers=buyer)
    assert_error(below, 422, "below_minimum_order_quantity")
    base = await client.post("/api/cart/items", json={"sku": sku, "quantity": 10}, headers=buyer)
    assert base.json()["lines"][0]["unit_price"]["amount"] == 24_000
    tier = await client.post("/api/cart/items", json={"sku": sku, "quantity": 40}, headers=buyer)
    assert tier.json()["lines"][0] == {
        "sku": sku,
        "title": "Kopi Luwak",
        "quantity": 50,
        "unit_price": {"amount": 20_000, "currency": "IDR"},
    }
    assert tier.json()["market"] == "wholesale"
    customer = bearer((await sign_up(client))["tokens"]["access_token"])
    assert_error(
        await client.post(
            "/api/companies", json={"name": "Nope", "tax_id": "123456"}, headers=customer
        ),
        403,
        "forbidden",
    )


async def test_a_declined_payment_fails_the_order_and_puts_the_stock_back(
    client: Any, shop: Any
) -> None:
    boss = await admin(client, shop)
    vendor = await seller(client, boss)
    sku = await listed_product(client, vendor["headers"], boss, units=7)
    customer = bearer((await sign_up(client))["tokens"]["access_token"])
    await client.post("/api/cart/items", json={"sku": sku, "quantity": 4}, headers=customer)
    done = await buy(client, customer, payment_token="tok_declined", shipping_service="EXP")
    assert done["failure"]["code"] == "payment_declined", done
    order = (await client.get(f"/api/orders/{done['order_id']}", headers=customer)).json()
    assert order["status"] == "FAILED"
    available = (await client.get(f"/api/inventory/{sku}")).json()
    assert available == {"sku": sku, "available": 7, "warehouses": {"bdg": 0, "jkt": 7, "sby": 0}}


async def test_a_cancelled_order_and_an_admin_refund_give_money_and_stock_back(
    client: Any, shop: Any
) -> None:
    boss = await admin(client, shop)
    vendor = await seller(client, boss)
    sku = await listed_product(client, vendor["headers"], boss, units=10)
    customer = bearer((await sign_up(client))["tokens"]["access_token"])
    orders = []
    for _ in range(2):
        await client.post("/api/cart/items", json={"sku": sku, "quantity": 2}, headers=customer)
        orders.append(await buy(client, customer))
    cancelled = await client.post(
        f"/api/orders/{orders[0]['order_id']}/cancel",
        json={"reason": "ordered twice"},
        headers=customer,
    )
    assert cancelled.json()["order"]["status"] == "CANCELLED", cancelled.text
    payment_id = f"pay-{orders[1]['checkout_id']}"
    assert_error(
        await client.post(f"/api/admin/payments/{payment_id}/refund", headers=customer),
        403,
        "forbidden",
    )
    refunded = await client.post(f"/api/admin/payments/{payment_id}/refund", headers=boss)
    assert refunded.json()["order"]["status"] == "CANCELLED", refunded.text
    for placed in orders:
        paid = await client.get(f"/api/payments/pay-{placed['checkout_id']}", headers=customer)
        assert paid.json()["status"] == "refunded"
    assert (await client.get(f"/api/inventory/{sku}")).json()["available"] == 10


async def test_customer_b_finds_nothing_of_customer_a(client: Any, shop: Any) -> None:
    a = bearer((await sign_up(client))["tokens"]["access_token"])
    await client.post("/api/cart/items", json={"sku": "TEA", "quantity": 1}, headers=a)
    placed = await buy(client, a)
    order = (await client.get(f"/api/orders/{placed['order_id']}", headers=a)).json()
    await client.post("/api/cart/items", json={"sku": "MUG", "quantity": 1}, headers=a)
    a_cart = (await client.get("/api/cart", headers=a)).json()

    b = bearer((await sign_up(client))["tokens"]["access_token"])
    shipment_id = next(iter(order["shipments"]))
    for path in (
        f"/api/orders/{placed['order_id']}",
        f"/api/payments/pay-{placed['checkout_id']}",
        f"/api/shipments/{shipment_id}",
    ):
        assert_error(await client.get(path, headers=b), 404, "not_found")
    assert_error(
        await client.post(f"/api/orders/{placed['order_id']}/cancel", headers=b), 404, "not_found"
    )
    as_guest = await client.get("/api/cart", headers={"X-Guest-Cart": a_cart["cart_id"]})
    assert_error(as_guest, 404, "not_found")
    assert (await client.get("/api/cart", headers=b)).json()["lines"] == []
    assert (await client.get("/api/cart", headers=a)).json() == a_cart
    for path in ("/api/admin/orders", "/api/admin/coupons", "/api/admin/companies"):
        assert_error(await client.get(path, headers=b), 403, "forbidden")


async def test_a_guest_cart_joins_the_users_cart_at_sign_in(client: Any) -> None:
    account = await sign_up(client)
    mine = bearer(account["tokens"]["access_token"])
    await client.post("/api/cart/items", json={"sku": "TEA", "quantity": 1}, headers=mine)
    guest_id = (await client.post("/api/cart/guest")).json()["guest_cart_id"]
    guest = {"X-Guest-Cart": guest_id}
    for sku, quantity in (("TEA", 2), ("BAG", 1)):
        added = await client.post(
            "/api/cart/items", json={"sku": sku, "quantity": quantity}, headers=guest
        )
        assert added.status_code == 200, added.text
    assert_error(
        await client.post("/api/checkout", json={}, headers={**guest, "Idempotency-Key": "k" * 16}),
        401,
        "unauthorized",
    )
    tokens = await log_in(client, account["email"], guest_cart_id=guest_id)
    assert tokens["guest_cart_joined"] is True
    joined = (await client.get("/api/cart", headers=bearer(tokens["access_token"]))).json()
    assert {line["sku"]: line["quantity"] for line in joined["lines"]} == {"TEA": 3, "BAG": 1}
    assert (await client.get("/api/cart", headers=guest)).json()["lines"] == []
    again = await log_in(client, account["email"], guest_cart_id=guest_id)
    assert again["guest_cart_joined"] is True
    rejoined = (await client.get("/api/cart", headers=bearer(again["access_token"]))).json()
    assert rejoined["lines"] == joined["lines"], "joining twice adds nothing"


async def test_addresses_are_kept_per_user(client: Any) -> None:
    headers = bearer((await sign_up(client))["tokens"]["access_token"])
    added = await client.post("/api/me/addresses", json=JAKARTA, headers=headers)
    assert added.status_code == 201, added.text
    address_id = added.json()["address_id"]
    moved = await client.put(
        f"/api/me/addresses/{address_id}", json={**JAKARTA, "city": "Depok"}, headers=headers
    )
    assert moved.json()["city"] == "Depok"
    me = (await client.get("/api/auth/me", headers=headers)).json()
    assert [a["city"] for a in me["addresses"]] == ["Depok"]
    other = bearer((await sign_up(client))["tokens"]["access_token"])
    assert_error(
        await client.delete(f"/api/me/addresses/{address_id}", headers=other),
        404,
        "unknown_address",
    )
    assert (
        await client.delete(f"/api/me/addresses/{address_id}", headers=headers)
    ).status_code == 204
    assert (await client.get("/api/me/addresses", headers=headers)).json() == []
    unknown_region = await client.post(
        "/api/me/addresses", json={**JAKARTA, "region": "XX-99"}, headers=headers
    )
    assert_error(unknown_region, 400, "unknown_region")


async def test_sellers_change_only_their_own_products(client: Any, shop: Any) -> None:
    boss = await admin(client, shop)
    first, second = await seller(client, boss), await seller(client, boss)
    sku = await listed_product(client, first["headers"], boss)
    change = {"title": "Kopi Gayo", "pricing": WHOLESALE_PRICING}
    assert_error(
        await client.put(f"/api/products/{sku}", json=change, headers=second["headers"]),
        403,
        "forbidden",
    )
    changed = await client.put(f"/api/products/{sku}", json=change, headers=first["headers"])
    assert (
        changed.json()["title"] == "Kopi Gayo" and changed.json()["seller_id"] == first["user_id"]
    )
    taken = await client.post(
        "/api/products",
        json={"sku": sku, "title": "Copy", "pricing": WHOLESALE_PRICING},
        headers=second["headers"],
    )
    assert_error(taken, 409, "product_exists")
    not_image = await client.put(
        f"/api/products/{sku}/image",
        content=b"GIF89a not allowed",
        headers={**first["headers"], "Content-Type": "image/gif"},
    )
    assert_error(not_image, 415, "unsupported_media_type")
    customer = bearer((await sign_up(client))["tokens"]["access_token"])
    assert_error(
        await client.post(
            "/api/products",
            json={"sku": "X-1", "title": "X", "pricing": WHOLESALE_PRICING},
            headers=customer,
        ),
        403,
        "forbidden",
    )
    removed = await client.delete(f"/api/products/{sku}", headers=boss)
    assert removed.status_code == 204
    assert_error(await client.get(f"/api/products/{sku}"), 404, "unknown_product")


async def test_the_payment_webhook_needs_the_providers_signature(client: Any, shop: Any) -> None:
    body = json.dumps({"payment_id": "pay-nothing", "status": "paid"})
    forged = await client.post(
        "/api/payments/webhook", content=body, headers={"X-Signature": "0" * 64}
    )
    assert_error(forged, 401, "invalid_signature")
    signature = hmac.new(webhook_secret(shop.config), body.encode(), hashlib.sha256).hexdigest()
    signed = await client.post(
        "/api/payments/webhook", content=body, headers={"X-Signature": signature}
    )
    assert signed.status_code == 200 and signed.json()["status"] == "new", signed.text
    deep = b"[" * 3_000 + b"]" * 3_000
    for unsigned in (b"[]", deep):
        assert_error(
            await client.post(
                "/api/payments/webhook", content=unsigned, headers={"X-Signature": "0" * 64}
            ),
            401,
            "invalid_signature",
        )
    for malformed in (b"[]", deep):
        signature = hmac.new(webhook_secret(shop.config), malformed, hashlib.sha256).hexdigest()
        assert_error(
            await client.post(
                "/api/payments/webhook", content=malformed, headers={"X-Signature": signature}
            ),
            400,
            "bad_webhook",
        )


async def test_each_seller_packs_their_own_lines_before_the_order_ships(
    client: Any, shop: Any
) -> None:
    boss = await admin(client, shop)
    ani, budi = await seller(client, boss), await seller(client, boss)
    skus = [await listed_product(client, s["headers"], boss) for s in (ani, budi)]
    customer = bearer((await sign_up(client))["tokens"]["access_token"])
    for sku in skus:
        await client.post("/api/cart/items", json={"sku": sku, "quantity": 1}, headers=customer)
    order_id = (await buy(client, customer))["order_id"]

    first = await client.post(f"/api/orders/{order_id}/fulfil", headers=ani["headers"])
    assert first.json()["saga_status"] == "waiting_for_sellers", first.text
    assert first.json()["order"]["status"] == "PAID"
    assert first.json()["order"]["awaiting_sellers"] == [budi["user_id"]]
    mine = await eventually(
        lambda: client.get("/api/seller/orders", headers=ani["headers"]),
        lambda r: order_id in {o["order_id"] for o in r.json()["orders"]},
        what="the order among Ani's",
    )
    (listed,) = [o for o in mine.json()["orders"] if o["order_id"] == order_id]
    assert [line["sku"] for line in listed["lines"]] == [skus[0]], "only Ani's own lines"
    second = await client.post(f"/api/orders/{order_id}/fulfil", headers=budi["headers"])
    assert second.json()["order"]["status"] == "SHIPPED", second.text


async def test_an_unpaid_qris_order_is_cancelled_by_voiding_its_payment(
    client: Any, shop: Any
) -> None:
    boss = await admin(client, shop)
    vendor = await seller(client, boss)
    sku = await listed_product(client, vendor["headers"], boss, units=5)
    customer = bearer((await sign_up(client))["tokens"]["access_token"])
    await client.post("/api/cart/items", json={"sku": sku, "quantity": 2}, headers=customer)
    started = await client.post(
        "/api/checkout",
        json={
            "payment_method": "qris",
            "payment_token": "tok_pending_never",
            "address": JAKARTA,
            "shipping_service": "REG",
        },
        headers={**customer, "Idempotency-Key": uuid.uuid4().hex},
    )
    assert started.status_code == 202, started.text
    order_id = started.json()["order_id"]
    await eventually(
        lambda: client.get(f"/api/orders/{order_id}", headers=customer),
        lambda r: r.status_code == 200 and r.json()["status"] == "AWAITING_PAYMENT",
        what="the order awaiting its QRIS payment",
    )
    assert (await client.get(f"/api/inventory/{sku}")).json()["available"] == 3
    cancelled = await client.post(f"/api/orders/{order_id}/cancel", headers=customer)
    assert cancelled.json()["saga_status"] == "payment_voided", cancelled.text
    assert cancelled.json()["order"]["status"] == "FAILED"
    payment = await client.get(
        f"/api/payments/pay-{started.json()['checkout_id']}", headers=customer
    )
    assert payment.json()["status"] == "voided"
    assert (await client.get(f"/api/inventory/{sku}")).json()["available"] == 5
