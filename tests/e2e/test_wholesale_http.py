"""Wholesale over real HTTP (ARCHITECTURE §7): a company with members and roles, a request
for quotation negotiated in rounds, the accepted offer ordered at its prices by the
`quote_to_order` saga; expiry by alarm, concurrent acceptance, an order that fails and is
tried again; who may see and do what; refusals that change nothing.

Over 300 lines: the scenarios share one market (sellers, products, stock) and one gateway
(one Ray per module); split, each part would start its own."""

import asyncio
import hashlib
import hmac
import json
import uuid
from typing import Any

import httpx
import pytest

from actors.notifications import MAILBOX_KEY, Notifications
from actors.payment import webhook_secret
from serve_app.settings import GatewaySettings
from tests.conftest import eventually
from tests.e2e.conftest import UNLIMITED
from tests.e2e.http_helpers import (
    JAKARTA,
    admin,
    assert_error,
    bearer,
    listed_product,
    seller,
    sign_up,
)

Headers = dict[str, str]


@pytest.fixture(scope="module")
def gateway_settings() -> GatewaySettings:
    return UNLIMITED


async def buyer(client: httpx.AsyncClient) -> dict[str, Any]:
    account = await sign_up(client, role="buyer")
    return {
        "user_id": account["user"]["user_id"],
        "email": account["email"],
        "headers": bearer(account["tokens"]["access_token"]),
    }


async def company(client: httpx.AsyncClient, boss: Headers) -> dict[str, Any]:
    """An approved company: its owner, a purchaser and a viewer, each invited and joined."""
    owner = await buyer(client)
    registered = await client.post(
        "/api/companies",
        json={"name": f"PT Maju {uuid.uuid4().hex[:4]}", "tax_id": "01.234.567.8-901"},
        headers=owner["headers"],
    )
    assert registered.status_code == 201, registered.text
    company_id = registered.json()["company_id"]
    members = {"owner": owner}
    for role in ("purchaser", "viewer"):
        member = await buyer(client)
        invited = await client.post(
            "/api/companies/mine/invitations",
            json={"email": member["email"], "role": role},
            headers=owner["headers"],
        )
        assert invited.status_code == 201, invited.text
        joined = await client.post(f"/api/companies/{company_id}/join", headers=member["headers"])
        assert joined.status_code == 200 and joined.json()["role"] == role, joined.text
        members[role] = member
    approved = await client.post(f"/api/admin/companies/{company_id}/approve", headers=boss)
    assert approved.json()["status"] == "approved", approved.text
    return {"company_id": company_id, **members}


async def mail_to(shop: Any, email: str, subject_has: str) -> dict[str, Any]:
    """The mail to `email` whose subject has `subject_has`, once the bus has delivered it."""
    mailbox = shop(Notifications).get(MAILBOX_KEY)
    found = await eventually(
        lambda: mailbox.call(Notifications.mailbox, recipient=email),
        lambda mails: any(subject_has in m["subject"] for m in mails),
        what=f"mail about {subject_has!r} to {email}",
    )
    return next(m for m in found if subject_has in m["subject"])


async def request_quote(
    client: httpx.AsyncClient, headers: Headers, quantities: dict[str, int]
) -> dict[str, Any]:
    lines = [{"sku": sku, "quantity": quantity} for sku, quantity in quantities.items()]
    requested = await client.post("/api/quotes", json={"lines": lines}, headers=headers)
    assert requested.status_code == 201, requested.text
    return requested.json()


async def offer(
    client: httpx.AsyncClient,
    headers: Headers,
    quote_id: str,
    prices: dict[str, tuple[int, int]],
    valid_for_s: float = 3600,
) -> httpx.Response:
    lines = [
        {"sku": sku, "quantity": quantity, "unit_price": price}
        for sku, (quantity, price) in prices.items()
    ]
    return await client.post(
        f"/api/quotes/{quote_id}/offer",
        json={"lines": lines, "valid_for_s": valid_for_s},
        headers=headers,
    )


async def accept(
    client: httpx.AsyncClient, headers: Headers, quote_id: str, number: int, **terms: Any
) -> httpx.Response:
    return await client.post(
        f"/api/quotes/{quote_id}/accept?wait=true",
        json={"offer": number, "address": JAKARTA, "shipping_service": "REG", **terms},
        headers=headers,
    )


@pytest.fixture(scope="module")
def market(base_url: str, shop: Any) -> dict[str, Any]:
    """An admin, two sellers and three products of theirs in stock (two of Ani's)."""

    async def open_market() -> dict[str, Any]:
        async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
            boss = await admin(client, shop)
            ani, budi = await seller(client, boss), await seller(client, boss)
            skus = [
                await listed_product(client, ani["headers"], boss, units=1_000),
                await listed_product(client, ani["headers"], boss, units=1_000),
                await listed_product(client, budi["headers"], boss, units=1_000),
            ]
            return {"boss": boss, "ani": ani, "budi": budi, "skus": skus}

    return asyncio.run(open_market())


async def test_a_negotiated_quote_becomes_a_paid_order_at_the_quoted_prices(
    client: Any, shop: Any, market: dict[str, Any]
) -> None:
    boss, skus = market["boss"], market["skus"]
    firm = await company(client, boss)
    purchaser, viewer = firm["purchaser"]["headers"], firm["viewer"]["headers"]
    quote = await request_quote(client, purchaser, {skus[0]: 100, skus[1]: 40, skus[2]: 60})
    quote_id = quote["quote_id"]
    assert quote["status"] == "REQUESTED"
    assert sorted(quote["sellers"]) == sorted([market["ani"]["user_id"], market["budi"]["user_id"]])
    ani = market["ani"]["headers"]  # sells two of the three products: not hers to see
    assert_error(await offer(client, ani, quote_id, {s: (1, 1) for s in skus}), 404, "not_found")

    first = await offer(
        client,
        boss,
        quote_id,
        {skus[0]: (100, 21_000), skus[1]: (40, 22_000), skus[2]: (60, 19_000)},
    )
    assert first.json()["status"] == "QUOTED" and first.json()["offer"]["number"] == 1, first.text
    countered = await client.post(
        f"/api/quotes/{quote_id}/counter",
        json={
            "lines": [
                {"sku": skus[0], "quantity": 120, "target_unit_price": 19_000},
                {"sku": skus[2], "quantity": 60, "target_unit_price": 18_000},
            ],
            "note": "without the second product",
        },
        headers=purchaser,
    )
    assert countered.json()["status"] == "COUNTERED", countered.text
    second = await offer(client, boss, quote_id, {skus[0]: (120, 19_500), skus[2]: (60, 18_000)})
    assert second.json()["offer"]["number"] == 2, second.text
    assert_error(await accept(client, purchaser, quote_id, 1), 409, "offer_replaced")
    assert_error(await accept(client, viewer, quote_id, 2), 403, "forbidden")

    done = await accept(client, purchaser, quote_id, 2)
    assert done.status_code == 200 and done.json()["status"] == "completed", done.text
    order_id = done.json()["order_id"]
    converted = await client.get(f"/api/quotes/{quote_id}", headers=viewer)
    assert converted.json()["status"] == "CONVERTED", converted.text
    assert converted.json()["order_id"] == order_id
    assert [r["action"] for r in converted.json()["history"]] == [
        "requested",
        "offered",
        "countered",
        "offered",
        "accepted",
        "converted",
    ]
    order = await client.get(f"/api/orders/{order_id}", headers=viewer)
    assert order.status_code == 200, "every member sees the company's order"
    body = order.json()
    assert body["status"] == "PAID" and body["shipments"], body
    assert {line["sku"]: (line["quantity"], line["unit_price"]) for line in body["lines"]} == {
        skus[0]: (120, 19_500),
        skus[2]: (60, 18_000),
    }
    assert body["totals"]["subtotal"] == 120 * 19_500 + 60 * 18_000
    assert_error(
        await client.post(
            f"/api/quotes/{quote_id}/counter",
            json={"lines": [{"sku": skus[0], "quantity": 1}]},
            headers=purchaser,
        ),
        409,
        "illegal_transition",
    )

    stranger = await company(client, boss)
    for headers in (stranger["owner"]["headers"], market["budi"]["headers"]):
        assert_error(await client.get(f"/api/quotes/{quote_id}", headers=headers), 404, "not_found")
    assert_error(
        await client.get(f"/api/orders/{order_id}", headers=stranger["owner"]["headers"]),
        404,
        "not_found",
    )
    listed = await client.get("/api/quotes", headers=viewer)
    assert [q["quote_id"] for q in listed.json()] == [quote_id]


async def test_a_seller_answers_a_quote_for_their_own_products(
    client: Any, market: dict[str, Any]
) -> None:
    firm = await company(client, market["boss"])
    budi_sku = market["skus"][2]
    quote = await request_quote(client, firm["owner"]["headers"], {budi_sku: 30})
    budi = market["budi"]["headers"]
    waiting = await client.get("/api/seller/quotes", headers=budi)
    assert quote["quote_id"] in [q["quote_id"] for q in waiting.json()], waiting.text
    offered = await offer(client, budi, quote["quote_id"], {budi_sku: (30, 17_000)})
    assert offered.json()["offer"]["by"] == market["budi"]["user_id"], offered.text
    rejected = await client.post(
        f"/api/quotes/{quote['quote_id']}/reject",
        json={"reason": "found it cheaper"},
        headers=firm["purchaser"]["headers"],
    )
    assert (rejected.json()["status"], rejected.json()["reason"]) == (
        "REJECTED",
        "found it cheaper",
    )


async def test_an_offer_left_alone_expires_by_alarm(client: Any, market: dict[str, Any]) -> None:
    firm = await company(client, market["boss"])
    purchaser = firm["purchaser"]["headers"]
    sku = market["skus"][0]
    quote_id = (await request_quote(client, purchaser, {sku: 10}))["quote_id"]
    offered = await offer(client, market["boss"], quote_id, {sku: (10, 20_000)}, valid_for_s=1)
    assert offered.status_code == 200, offered.text
    await eventually(
        lambda: client.get(f"/api/quotes/{quote_id}", headers=purchaser),
        lambda r: r.json()["status"] == "EXPIRED",
        what="the offer expired by its alarm",
    )
    assert_error(await accept(client, purchaser, quote_id, 1), 409, "illegal_transition")
    assert_error(
        await client.post(
            f"/api/quotes/{quote_id}/counter",
            json={"lines": [{"sku": sku, "quantity": 5}]},
            headers=purchaser,
        ),
        409,
        "illegal_transition",
    )


async def test_accepting_twice_at_once_makes_one_order(
    client: Any, shop: Any, market: dict[str, Any]
) -> None:
    firm = await company(client, market["boss"])
    owner, purchaser = firm["owner"]["headers"], firm["purchaser"]["headers"]
    sku = market["skus"][1]
    quote_id = (await request_quote(client, purchaser, {sku: 20}))["quote_id"]
    await offer(client, market["boss"], quote_id, {sku: (20, 20_000)})
    both = await asyncio.gather(
        accept(client, owner, quote_id, 1), accept(client, purchaser, quote_id, 1)
    )
    assert [r.status_code for r in both] == [200, 200], [r.text for r in both]
    assert both[0].json()["order_id"] == both[1].json()["order_id"]
    assert both[0].json()["saga_id"] == both[1].json()["saga_id"]
    quote = (await client.get(f"/api/quotes/{quote_id}", headers=owner)).json()
    assert quote["status"] == "CONVERTED" and quote["conversion"]["attempt"] == 1
    assert [r["action"] for r in quote["history"]].count("accepted") == 1


async def test_an_order_that_ran_out_of_stock_compensates_and_converts_after_restock(
    client: Any, market: dict[str, Any]
) -> None:
    boss = market["boss"]
    sku = await listed_product(client, market["ani"]["headers"], boss, units=5)
    firm = await company(client, boss)
    purchaser = firm["purchaser"]["headers"]
    quote_id = (await request_quote(client, purchaser, {sku: 50}))["quote_id"]
    await offer(client, boss, quote_id, {sku: (50, 20_000)})
    failed = await accept(client, purchaser, quote_id, 1)
    assert failed.json()["status"] == "compensated", failed.text
    shown = failed.json()["quote"]
    assert shown["status"] == "ACCEPTED" and "stock" in shown["conversion"]["failure"], shown
    stock = (await client.get("/api/admin/warehouses/jkt/stock", headers=boss)).json()[sku]
    assert stock["available"] == 5 and stock["reserved"] == 0, "nothing held"

    restocked = await client.post(
        "/api/admin/warehouses/jkt/restock",
        json={"sku": sku, "quantity": 100},
        headers={**boss, "Idempotency-Key": uuid.uuid4().hex},
    )
    assert restocked.status_code == 200, restocked.text
    retried = await client.post(
        f"/api/quotes/{quote_id}/retry-order?wait=true",
        json={"address": JAKARTA, "shipping_service": "REG"},
        headers=purchaser,
    )
    assert retried.json()["status"] == "completed", retried.text
    assert retried.json()["quote"]["status"] == "CONVERTED"
    assert retried.json()["order_id"] != failed.json()["order_id"], "each try its own order"


async def test_a_quote_paid_by_virtual_account_waits_with_its_instructions(
    client: Any, shop: Any, market: dict[str, Any]
) -> None:
    firm = await company(client, market["boss"])
    purchaser = firm["purchaser"]["headers"]
    sku = market["skus"][0]
    quote_id = (await request_quote(client, purchaser, {sku: 10}))["quote_id"]
    await offer(client, market["boss"], quote_id, {sku: (10, 20_000)})
    waiting = await accept(
        client,
        purchaser,
        quote_id,
        1,
        payment_method="virtual_account",
        payment_token="tok_pending_never",
        bank="MANDIRI",
    )
    assert waiting.status_code == 202, waiting.text
    instructions = waiting.json()["payment"]["instructions"]
    assert instructions["bank"] == "MANDIRI" and instructions["account_number"].isdigit()
    told = await mail_to(shop, firm["purchaser"]["email"], ": pay ")
    assert instructions["account_number"] in told["body"] and "MANDIRI" in told["body"]
    body = json.dumps({"payment_id": waiting.json()["payment"]["payment_id"], "status": "paid"})
    signature = hmac.new(webhook_secret(shop.config), body.encode(), hashlib.sha256).hexdigest()
    paid = await client.post(
        "/api/payments/webhook", content=body, headers={"X-Signature": signature}
    )
    assert paid.json()["status"] == "captured", paid.text
    await eventually(
        lambda: client.get(f"/api/quotes/{quote_id}", headers=purchaser),
        lambda r: r.json()["status"] == "CONVERTED",
        what="the quote converted once the transfer was made",
    )


async def test_a_suspension_stops_the_companys_open_quotes(
    client: Any, market: dict[str, Any]
) -> None:
    boss = market["boss"]
    firm = await company(client, boss)
    purchaser = firm["purchaser"]["headers"]
    open_quote = (await request_quote(client, purchaser, {market["skus"][0]: 10}))["quote_id"]
    suspended = await client.post(
        f"/api/admin/companies/{firm['company_id']}/suspend",
        json={"reason": "unpaid invoices"},
        headers=boss,
    )
    assert suspended.json()["status"] == "suspended", suspended.text
    await eventually(
        lambda: client.get(f"/api/quotes/{open_quote}", headers=purchaser),
        lambda r: r.json()["status"] == "REJECTED",
        what="the open quote stopped",
    )
    refused = await client.post(
        "/api/quotes",
        json={"lines": [{"sku": market["skus"][0], "quantity": 1}]},
        headers=purchaser,
    )
    assert_error(refused, 403, "company_not_approved")


async def test_refusals_change_nothing(client: Any, market: dict[str, Any]) -> None:
    boss, skus = market["boss"], market["skus"]
    firm = await company(client, boss)
    purchaser = firm["purchaser"]["headers"]
    quote_id = (await request_quote(client, purchaser, {skus[0]: 10, skus[1]: 5}))["quote_id"]
    before = (await client.get(f"/api/quotes/{quote_id}", headers=purchaser)).json()
    for prices in ({skus[0]: (10, 0), skus[1]: (5, 100)}, {skus[0]: (10, -5), skus[1]: (5, 1)}):
        assert_error(await offer(client, boss, quote_id, prices), 422, "invalid_input")
    assert_error(
        await offer(client, boss, quote_id, {skus[0]: (10, 100), skus[2]: (5, 100)}),
        422,
        "invalid_offer",
    )
    assert (await client.get(f"/api/quotes/{quote_id}", headers=purchaser)).json() == before

    customer = bearer((await sign_up(client))["tokens"]["access_token"])
    assert_error(
        await client.post(
            "/api/quotes", json={"lines": [{"sku": skus[0], "quantity": 1}]}, headers=customer
        ),
        403,
        "forbidden",
    )
    other = await company(client, boss)
    assert_error(
        await client.post(
            "/api/companies/mine/invitations",
            json={"email": other["viewer"]["email"], "role": "viewer"},
            headers=firm["owner"]["headers"],
        ),
        409,
        "member_of_another_company",
    )
    assert_error(
        await client.post(f"/api/quotes/{quote_id}/withdraw", headers=other["owner"]["headers"]),
        404,
        "not_found",
    )
    assert_error(
        await client.post(
            f"/api/companies/{firm['company_id']}/join", headers=other["viewer"]["headers"]
        ),
        409,
        "member_of_another_company",
    )
    mine = (await client.get("/api/companies/mine", headers=firm["owner"]["headers"])).json()
    assert sorted(m["role"] for m in mine["members"].values()) == ["owner", "purchaser", "viewer"]
    assert mine["invitations"] == {}
