"""A shopper's whole flow over real HTTP: cart, one-step checkout, orders; and what other
shoppers cannot see."""

import base64
import binascii
import hashlib
import hmac
import io
import json
import time
import uuid
from typing import Any
from urllib.parse import quote

import httpx
import zxingcpp
from PIL import Image

from actors.order import Order
from actors.payment import Payment, webhook_secret
from actors.users import USERS_KEY, Users
from tests.conftest import eventually
from tests.e2e.http_helpers import JAKARTA, PASSWORD, assert_error, bearer, sign_up


async def shopper(client: httpx.AsyncClient) -> dict[str, str]:
    account = await sign_up(client)
    return bearer(account["tokens"]["access_token"])


async def fill_cart(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    for sku, quantity in (("TEA", 2), ("MUG", 1)):
        added = await client.post(
            "/api/cart/items", json={"sku": sku, "quantity": quantity}, headers=headers
        )
        assert added.status_code == 200, added.text
    return added.json()


async def check_out(
    client: httpx.AsyncClient, headers: dict[str, str], key: str, token: str = "tok_success"
) -> httpx.Response:
    return await client.post(
        "/api/checkout?wait=true",
        json={"payment_token": token, "address": JAKARTA, "shipping_service": "REG"},
        headers={**headers, "Idempotency-Key": key},
    )


async def test_cart_to_paid_order_with_its_history(client: Any) -> None:
    headers = await shopper(client)
    cart = await fill_cart(client, headers)
    assert cart["summary"]["subtotal"] == 2 * 25_000 + 40_000, "catalog prices, not the client's"
    done = await check_out(client, headers, uuid.uuid4().hex)
    assert done.status_code == 200 and done.json()["status"] == "completed", done.text
    order_id = done.json()["order_id"]
    detail = await client.get(f"/api/orders/{order_id}", headers=headers)
    assert detail.status_code == 200 and detail.json()["status"] == "PAID"
    assert detail.json()["history"][0]["type"] == "OrderPlaced"
    listed = await eventually(
        lambda: client.get("/api/orders", headers=headers),
        lambda r: [o["status"] for o in r.json()["orders"]] == ["PAID"],
        what="the order in my list",
    )
    assert listed.json()["orders"][0]["order_id"] == order_id
    assert (await client.get("/api/cart", headers=headers)).json()["lines"] == []


async def test_the_same_idempotency_key_twice_makes_one_order(client: Any, shop: Any) -> None:
    headers = await shopper(client)
    await fill_cart(client, headers)
    key = uuid.uuid4().hex
    first, second = await check_out(client, headers, key), await check_out(client, headers, key)
    assert first.json() == second.json()
    order = await shop(Order).get(first.json()["order_id"]).call(Order.view)
    payment = await shop(Payment).get(f"pay-{first.json()['checkout_id']}").call(Payment.status)
    assert order["status"] == "PAID" and payment["amount"] == order["totals"]["total"]


async def test_a_declined_card_fails_the_order_and_keeps_the_cart(client: Any) -> None:
    headers = await shopper(client)
    await fill_cart(client, headers)
    done = await check_out(client, headers, uuid.uuid4().hex, token="tok_declined")
    assert done.json()["status"] == "compensated"
    assert done.json()["failure"]["code"] == "payment_declined"
    detail = await client.get(f"/api/orders/{done.json()['order_id']}", headers=headers)
    assert detail.json()["status"] == "FAILED"
    assert len((await client.get("/api/cart", headers=headers)).json()["lines"]) == 2


async def test_another_shopper_sees_no_trace_of_my_order(client: Any) -> None:
    mine = await shopper(client)
    await fill_cart(client, mine)
    done = await check_out(client, mine, uuid.uuid4().hex)
    theirs = await shopper(client)
    peek = await client.get(f"/api/orders/{done.json()['order_id']}", headers=theirs)
    assert_error(peek, 404, "not_found")
    assert (await client.get("/api/cart", headers=theirs)).json()["lines"] == []


async def test_checkout_and_cart_refuse_bad_requests(client: Any) -> None:
    headers = await shopper(client)
    no_key = await client.post("/api/checkout", json={}, headers=headers)
    assert_error(no_key, 422, "invalid_input")
    unknown = await client.post(
        "/api/cart/items", json={"sku": "NOPE", "quantity": 1}, headers=headers
    )
    assert_error(unknown, 404, "unknown_product")
    for quantity in (0, -3, 10**9, "two"):
        bad = await client.post(
            "/api/cart/items", json={"sku": "TEA", "quantity": quantity}, headers=headers
        )
        assert_error(bad, 422, "invalid_input")
    assert (await client.get("/api/cart", headers=headers)).json()["lines"] == []
    assert_error(await client.get("/api/cart"), 401, "unauthorized")


async def test_browse_the_catalog_by_text_category_price_and_page(client: Any) -> None:
    everything = (await client.get("/api/products", params={"limit": 100})).json()
    assert {p["sku"] for p in everything["items"]} >= {"TEA", "MUG", "BAG"}
    assert everything["total"] == len(everything["items"])
    mugs = (await client.get("/api/products", params={"q": "mug"})).json()
    assert [p["sku"] for p in mugs["items"]] == ["MUG"]
    cheap_first = (await client.get("/api/products", params={"sort": "price"})).json()
    prices = [p["list_price"] for p in cheap_first["items"]]
    assert prices == sorted(prices)
    ranged = await client.get("/api/products", params={"min_price": 30_000, "max_price": 50_000})
    assert {p["sku"] for p in ranged.json()["items"]} == {"MUG"}
    page = (await client.get("/api/products", params={"limit": 1, "offset": 1})).json()
    assert len(page["items"]) == 1 and page["total"] == everything["total"]
    assert (await client.get("/api/products/TEA")).json()["title"] == "Tea"
    assert_error(await client.get("/api/products/NOPE"), 404, "unknown_product")
    assert (await client.get("/api/categories")).json()["categories"]["general"] >= 3
    bad = await client.get("/api/products", params={"limit": 1000, "sort": "random"})
    assert_error(bad, 422, "invalid_input")


async def test_admins_follow_a_checkout_through_sagas_events_and_its_story(
    client: Any, shop: Any
) -> None:
    customer = await shopper(client)
    await fill_cart(client, customer)
    done = await client.post(
        "/api/checkout?wait=true",
        json={"address": JAKARTA, "shipping_service": "REG"},
        headers={**customer, "Idempotency-Key": uuid.uuid4().hex, "X-Correlation-ID": "drill-1"},
    )
    saga_id = done.json()["saga_id"]
    assert_error(await client.get("/api/admin/sagas", headers=customer), 403, "forbidden")
    account = await sign_up(client)
    await (
        shop(Users)
        .get(USERS_KEY)
        .call(Users.grant, user_id=account["user"]["user_id"], role="admin")
    )
    login = await client.post(
        "/api/auth/login", json={"email": account["email"], "password": PASSWORD}
    )
    admin = bearer(login.json()["access_token"])
    listed = await client.get(
        "/api/admin/sagas", params={"saga_type": "checkout", "status": "completed"}, headers=admin
    )
    assert saga_id in {row["saga_id"] for row in listed.json()}
    detail = await client.get(f"/api/admin/sagas/{quote(saga_id, safe='')}", headers=admin)
    assert detail.json()["timeline"][-1]["type"] == "SagaCompleted"
    story = await client.get("/api/admin/events/story/drill-1", headers=admin)
    assert {"cart", "order", "warehouse", "payment", "shipment"} <= {
        e["kind"] for e in story.json()
    }
    assert (await client.get("/api/admin/events/lag", headers=admin)).status_code == 200
    assert (await client.get("/api/admin/events/dead-letters", headers=admin)).json() == []
    switch = await client.post(
        "/api/admin/faults", json={"point": "before:charge_payment"}, headers=admin
    )
    assert_error(switch, 404, "not_found")


async def pay_later(
    client: httpx.AsyncClient, headers: dict[str, str], **payment: str
) -> httpx.Response:
    return await client.post(
        "/api/checkout?wait=true",
        json={"address": JAKARTA, "shipping_service": "REG", **payment},
        headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
    )


def decoded_qr(png_base64: str) -> str:
    (found,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(base64.b64decode(png_base64))))
    return str(found.text)


async def test_a_qris_checkout_answers_with_a_code_to_scan_and_the_signed_webhook_settles_it(
    client: Any, shop: Any
) -> None:
    headers = await shopper(client)
    await fill_cart(client, headers)
    started = await pay_later(
        client, headers, payment_method="qris", payment_token="tok_pending_never"
    )
    assert started.status_code == 202 and started.json()["status"] == "running", started.text
    payment = started.json()["payment"]
    shown = payment["instructions"]
    payload = shown["qris_payload"]
    assert payment["status"] == "pending" and shown["method"] == "qris"
    assert shown["amount"] == payment["amount"] and shown["currency"] == "IDR"
    assert shown["expires_at"] > time.time() + 60
    assert binascii.crc_hqx(payload[:-4].encode(), 0xFFFF) == int(payload[-4:], 16)
    assert f"54{len(str(shown['amount'])):02d}{shown['amount']}" in payload
    assert decoded_qr(shown["qr_png_base64"]) == payload, "the picture holds the payload"
    payment_id = started.json()["payment_id"]
    viewed = await client.get(f"/api/payments/{payment_id}", headers=headers)
    assert viewed.json()["instructions"] == shown

    body = json.dumps({"payment_id": payment_id, "status": "paid"})
    signature = hmac.new(webhook_secret(shop.config), body.encode(), hashlib.sha256).hexdigest()
    paid = await client.post(
        "/api/payments/webhook", content=body, headers={"X-Signature": signature}
    )
    assert paid.status_code == 200 and paid.json()["status"] == "captured", paid.text
    assert paid.json()["instructions"] is None, "nothing left to pay"
    order_id = started.json()["order_id"]
    await eventually(
        lambda: client.get(f"/api/orders/{order_id}", headers=headers),
        lambda r: r.json()["status"] == "PAID",
        what="the order paid by its QRIS webhook",
    )


async def test_a_virtual_account_checkout_answers_with_the_chosen_bank_and_a_number(
    client: Any,
) -> None:
    headers = await shopper(client)
    await fill_cart(client, headers)
    started = await pay_later(
        client,
        headers,
        payment_method="virtual_account",
        payment_token="tok_pending_paid",
        bank="BNI",
    )
    assert started.status_code == 202, started.text
    shown = started.json()["payment"]["instructions"]
    assert shown["method"] == "virtual_account" and shown["bank"] == "BNI"
    assert len(shown["account_number"]) == 16 and shown["account_number"].isdigit()
    assert shown["qris_payload"] is None and shown["qr_png_base64"] is None
    order_id = started.json()["order_id"]
    await eventually(
        lambda: client.get(f"/api/orders/{order_id}", headers=headers),
        lambda r: r.json()["status"] == "PAID",
        what="the order paid when the provider's webhook came",
    )


async def test_a_bank_is_chosen_only_for_a_virtual_account(client: Any) -> None:
    headers = await shopper(client)
    await fill_cart(client, headers)
    refused = await pay_later(client, headers, payment_method="card", bank="BNI")
    assert_error(refused, 422, "invalid_input")
    assert (await client.get("/api/cart", headers=headers)).json()["lines"], "cart untouched"
