"""Admin and GraphQL over real HTTP (ARCHITECTURE §8, §9, §13).

Admin: warehouses (a new one, its threshold, deactivation), low-stock alerts and the admins'
mailbox, users and roles (never the last admin), sales analytics, each user's own mail; and
placement: who serves what, scaling a group live, refusals that move nothing. Customers may
do none of it.

GraphQL: the same order through REST and GraphQL; another user's order absent; limits that
refuse a query before any object is called; a list of orders whose object calls stay
bounded however often a field is asked for; refusals with REST's codes; fuzz that never
gets a 500.

Over 300 lines: one gateway serves both (one Ray per module). The placement scale runs
last: it leaves the shop group on four hosts."""

import uuid
from typing import Any

import httpx
import pytest

from actors.users import USERS_KEY, Users
from serve_app.settings import GatewaySettings
from tests.conftest import eventually
from tests.e2e.conftest import UNLIMITED
from tests.e2e.http_helpers import (
    JAKARTA,
    admin,
    assert_error,
    bearer,
    buy,
    listed_product,
    log_in,
    seller,
    sign_up,
)


@pytest.fixture(scope="module")
def gateway_settings() -> GatewaySettings:
    return UNLIMITED


async def test_a_new_warehouse_crossing_its_threshold_alerts_the_admins(
    client: httpx.AsyncClient, shop: Any
) -> None:
    boss = await admin(client, shop)
    warehouse_id = f"mlg-{uuid.uuid4().hex[:6]}"
    created = await client.post(
        "/api/admin/warehouses",
        json={
            "warehouse_id": warehouse_id,
            "name": "Malang",
            "region": "ID-JI",
            "latitude": -7.98,
            "longitude": 112.63,
        },
        headers=boss,
    )
    assert created.status_code == 201 and created.json()["active"], created.text
    duplicate = await client.post(
        "/api/admin/warehouses",
        json={
            "warehouse_id": warehouse_id,
            "name": "Batu",
            "region": "ID-JI",
            "latitude": -7.87,
            "longitude": 112.52,
        },
        headers=boss,
    )
    assert_error(duplicate, 409, "warehouse_exists")
    vendor = await seller(client, boss)
    sku = await listed_product(client, vendor["headers"], boss, units=1)  # 1 in Jakarta
    restocked = await client.post(
        f"/api/admin/warehouses/{warehouse_id}/restock",
        json={"sku": sku, "quantity": 12},
        headers={**boss, "Idempotency-Key": uuid.uuid4().hex},
    )
    assert restocked.json()["available"] == 12, restocked.text
    threshold = await client.put(
        f"/api/admin/warehouses/{warehouse_id}/threshold", json={"threshold": 5}, headers=boss
    )
    assert threshold.json()["low_stock_threshold"] == 5, threshold.text

    customer = bearer((await sign_up(client))["tokens"]["access_token"])
    await client.post("/api/cart/items", json={"sku": sku, "quantity": 8}, headers=customer)
    east_java = {**JAKARTA, "city": "Malang", "region": "ID-JI"}
    bought = await buy(client, customer, address=east_java)
    assert bought["status"] == "completed", bought
    order = (await client.get(f"/api/orders/{bought['order_id']}", headers=customer)).json()
    assert [s["warehouse_id"] for s in order["shipments"].values()] == [warehouse_id]

    alerts = await eventually(
        lambda: client.get(f"/api/admin/stock-alerts?warehouse_id={warehouse_id}", headers=boss),
        lambda r: [a["sku"] for a in r.json()] == [sku],
        what="the low-stock alert",
    )
    assert alerts.json()[0]["available"] == 4 and alerts.json()[0]["threshold"] == 5
    mail = await eventually(
        lambda: client.get("/api/admin/mailbox", headers=boss),
        lambda r: any(sku in m["subject"] for m in r.json()),
        what="the low-stock mail in the admins' mailbox",
    )
    assert all(m["recipient"] == "admins" for m in mail.json())
    mine = await eventually(
        lambda: client.get("/api/me/notifications", headers=customer),
        lambda r: any(bought["order_id"] in m["subject"] for m in r.json()),
        what="the customer's order mail",
    )
    assert {m["type"] for m in mine.json()} >= {"OrderConfirmed"}

    closed = await client.post(f"/api/admin/warehouses/{warehouse_id}/deactivate", headers=boss)
    assert closed.json()["active"] is False, closed.text
    availability = (await client.get(f"/api/inventory/{sku}")).json()
    assert warehouse_id not in availability["warehouses"]
    listed = {w["warehouse_id"]: w["active"] for w in (await client.get("/api/warehouses")).json()}
    assert listed[warehouse_id] is False
    assert_error(
        await client.post("/api/admin/warehouses/nowhere/deactivate", headers=boss),
        404,
        "not_found",
    )


async def test_admins_find_users_and_the_last_admin_keeps_the_role(
    client: httpx.AsyncClient, shop: Any
) -> None:
    boss = await admin(client, shop)
    account = await sign_up(client, name="Siti Rahma")
    user_id = account["user"]["user_id"]
    found = await client.get("/api/auth/users?search=siti rahma", headers=boss)
    assert user_id in [u["user_id"] for u in found.json()], found.text
    granted = await client.post(
        f"/api/auth/users/{user_id}/roles", json={"role": "seller"}, headers=boss
    )
    assert granted.json()["roles"] == ["customer", "seller"]
    sellers = await client.get("/api/auth/users?role=seller&search=siti", headers=boss)
    assert [u["user_id"] for u in sellers.json()] == [user_id]
    revoked = await client.delete(f"/api/auth/users/{user_id}/roles/seller", headers=boss)
    assert revoked.json()["roles"] == ["customer"], revoked.text

    users = shop(Users).get(USERS_KEY)
    admins = await users.call(Users.search, role="admin", limit=500)
    for other in admins[1:]:
        await users.call(Users.revoke, user_id=other["user_id"], role="admin")
    last = admins[0]
    last_headers = bearer((await log_in(client, last["email"]))["access_token"])
    refused = await client.delete(
        f"/api/auth/users/{last['user_id']}/roles/admin", headers=last_headers
    )
    assert_error(refused, 409, "last_admin")
    assert (await users.call(Users.search, role="admin"))[0]["user_id"] == last["user_id"]


async def test_analytics_show_revenue_top_products_and_saga_outcomes(
    client: httpx.AsyncClient, shop: Any
) -> None:
    boss = await admin(client, shop)
    customer = bearer((await sign_up(client))["tokens"]["access_token"])
    await client.post("/api/cart/items", json={"sku": "TEA", "quantity": 3}, headers=customer)
    bought = await buy(client, customer)
    assert bought["status"] == "completed", bought
    board = await eventually(
        lambda: client.get("/api/admin/analytics", headers=boss),
        lambda r: any(p["sku"] == "TEA" for p in r.json()["top_products"]),
        what="the sale in the analytics",
    )
    figures = board.json()
    assert figures["revenue"]["IDR"] > 0
    assert sum(d["revenue"] for d in figures["revenue_by_day"]) == figures["revenue"]["IDR"]
    assert figures["saga_outcomes"]["checkout"]["completed"] >= 1
    refused = await client.get("/api/admin/analytics?since=yesterday", headers=boss)
    assert_error(refused, 422, "invalid_input")
    assert_error(await client.get("/api/admin/analytics", headers=customer), 403, "forbidden")


ORDER_FIELDS = """
    orderId status currency totals reason
    lines { sku title quantity unitPrice sellerId }
    payment { paymentId status amount currency method }
    shipments { shipmentId warehouseId trackingNumber dispatched }
    history { seq type }
"""


async def graphql(
    client: httpx.AsyncClient, query: str, headers: dict[str, str] | None = None, **variables: Any
) -> dict[str, Any]:
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers or {}
    )
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def shopper_with_orders(client: httpx.AsyncClient, count: int) -> tuple[dict, list[str]]:
    headers = bearer((await sign_up(client))["tokens"]["access_token"])
    orders = []
    for _ in range(count):
        await client.post("/api/cart/items", json={"sku": "TEA", "quantity": 1}, headers=headers)
        bought = await buy(client, headers)
        assert bought["status"] == "completed", bought
        orders.append(bought["order_id"])
    return headers, orders


async def test_an_order_reads_the_same_through_rest_and_graphql(
    client: httpx.AsyncClient,
) -> None:
    headers, (order_id,) = await shopper_with_orders(client, 1)
    answer = await graphql(
        client,
        f"query($id: String!) {{ order(orderId: $id) {{ {ORDER_FIELDS} }} }}",
        headers,
        id=order_id,
    )
    assert "errors" not in answer, answer
    graph = answer["data"]["order"]
    rest = (await client.get(f"/api/orders/{order_id}", headers=headers)).json()
    payment = (
        await client.get(f"/api/payments/{graph['payment']['paymentId']}", headers=headers)
    ).json()
    assert (graph["orderId"], graph["status"], graph["totals"]) == (
        rest["order_id"],
        rest["status"],
        rest["totals"],
    )
    assert [(line["sku"], line["quantity"], line["unitPrice"]) for line in graph["lines"]] == [
        (line["sku"], line["quantity"], line["unit_price"]) for line in rest["lines"]
    ]
    assert (graph["payment"]["status"], graph["payment"]["amount"]) == (
        payment["status"],
        payment["amount"],
    )
    assert {s["shipmentId"]: s["trackingNumber"] for s in graph["shipments"]} == {
        s["shipment_id"]: s["tracking_number"] for s in rest["shipments"].values()
    }
    assert [e["type"] for e in graph["history"]] == [e["type"] for e in rest["history"]]

    stranger = bearer((await sign_up(client))["tokens"]["access_token"])
    hidden = await graphql(
        client, "query($id: String!) { order(orderId: $id) { orderId } }", stranger, id=order_id
    )
    assert hidden == {"data": {"order": None}, "extensions": hidden["extensions"]}, hidden


async def test_twenty_orders_with_payments_cost_a_bounded_number_of_object_calls(
    client: httpx.AsyncClient,
) -> None:
    headers, orders = await shopper_with_orders(client, 20)
    query = f"{{ orders(limit: 20) {{ {ORDER_FIELDS} again: payment {{ status }} }} }}"
    answer = await eventually(
        lambda: graphql(client, query, headers),
        lambda a: len(a["data"]["orders"]) == 20,
        what="the 20 orders in the read model",
    )
    assert {o["orderId"] for o in answer["data"]["orders"]} == set(orders)
    assert all(o["again"]["status"] == "captured" for o in answer["data"]["orders"])
    calls = answer["extensions"]["object_calls"]
    assert calls <= 1 + 20 * 3, f"list + order + payment + history per order, not {calls}"
    fewer = await graphql(client, "{ orders(limit: 20) { orderId payment { status } } }", headers)
    assert fewer["extensions"]["object_calls"] <= 1 + 20 * 2


async def test_queries_over_the_limits_are_refused_before_any_object_is_called(
    client: httpx.AsyncClient,
) -> None:
    headers = bearer((await sign_up(client))["tokens"]["access_token"])
    nested = "{ __schema { types { fields { type { " + "ofType { " * 4 + "name" + " }" * 8 + " }"
    products = (
        "sku title description category sellerId currency listPrice"
        " availability { warehouseId available }"
    )
    costly = (
        "{ "
        + " ".join(f"p{n}: products(limit: 100) {{ items {{ {products} }} }}" for n in range(5))
        + " }"
    )
    aliased = "{ " + " ".join(f'a{n}: product(sku: "TEA") {{ sku }}' for n in range(30)) + " }"
    for query, words in ((nested, "depth"), (costly, "costs"), (aliased, "aliases")):
        refused = await graphql(client, query, headers)
        assert refused["data"] is None and words in refused["errors"][0]["message"], refused
        assert refused["extensions"]["object_calls"] == 0, refused


async def test_refusals_carry_the_rest_codes_and_admin_fields_need_an_admin(
    client: httpx.AsyncClient, shop: Any
) -> None:
    answer = await graphql(client, "{ cart { summary { total } } }")
    assert answer["errors"][0]["extensions"]["code"] == "unauthorized", answer
    customer = bearer((await sign_up(client))["tokens"]["access_token"])
    for field in ("analytics { revenue { currency amount } }", "sagas { sagaId }"):
        refused = await graphql(client, f"{{ {field} }}", customer)
        assert refused["errors"][0]["extensions"]["code"] == "forbidden", refused
    boss = await admin(client, shop)
    board = await graphql(
        client, "{ analytics { revenue { currency amount } sagaOutcomes } }", boss
    )
    assert "errors" not in board, board
    sagas = await graphql(client, "{ sagas(limit: 3) { sagaId status timeline } }", boss)
    assert "errors" not in sagas and len(sagas["data"]["sagas"]) <= 3, sagas
    bad_market = await graphql(client, '{ products(market: "moon") { total } }')
    assert bad_market["errors"][0]["extensions"]["code"] == "invalid_input", bad_market
    missing = await graphql(client, '{ product(sku: "NOPE-404") { sku } }')
    assert missing["data"] == {"product": None}
    stocked = await graphql(client, '{ product(sku: "TEA") { sku availability { available } } }')
    assert sum(w["available"] for w in stocked["data"]["product"]["availability"]) > 0


async def test_graphql_fuzz_gets_graphql_errors_never_a_500(client: httpx.AsyncClient) -> None:
    bodies: list[Any] = [
        {"query": "{ products { items { sku } "},
        {"query": "{ nope }"},
        {"query": '{ products(limit: "many") { total } }'},
        {"query": "{ products(limit: 99999999999999999999) { total } }"},
        {"query": "{ product(sku: " + '"' + "x" * 100_000 + '"' + ") { sku } }"},
        {"query": "{" * 5_000 + "}" * 5_000},
        {"query": "query q($a: Int!) { products(limit: $a) { total } }", "variables": {"a": "x"}},
        {"query": 42},
        {"variables": {}},
        [{"query": "{ products { total } }"}] * 3,
        {"query": "mutation { nothing }"},
        {"query": "subscription { nothing }"},
        {"query": "{ __typename }", "operationName": "missing"},
        "not json at all",
    ]
    for body in bodies:
        if isinstance(body, str):
            response = await client.post(
                "/graphql", content=body, headers={"Content-Type": "application/json"}
            )
        else:
            response = await client.post("/graphql", json=body)
        assert response.status_code < 500, (str(body)[:80], response.text[:300])
        if response.status_code == 200:
            assert response.json().get("errors"), (str(body)[:80], response.text[:300])
    assert (await client.get("/graphql", headers={"Accept": "text/html"})).status_code == 200


async def test_my_cart_reads_the_same_through_rest_and_graphql(client: httpx.AsyncClient) -> None:
    headers = bearer((await sign_up(client))["tokens"]["access_token"])
    await client.post("/api/cart/items", json={"sku": "TEA", "quantity": 2}, headers=headers)
    rest = (await client.get("/api/cart", headers=headers)).json()
    answer = await graphql(
        client,
        "{ cart { market lines { sku quantity unitPrice } summary { subtotal tax total } } }",
        headers,
    )
    cart = answer["data"]["cart"]
    assert cart["lines"] == [
        {"sku": "TEA", "quantity": 2, "unitPrice": rest["lines"][0]["unit_price"]["amount"]}
    ]
    summary = rest["summary"]
    assert cart["summary"] == {k: summary[k] for k in ("subtotal", "tax", "total")}
    assert cart["market"] == rest["market"] == "retail"


PLACEMENT = "/api/admin/placement"


async def test_placement_is_for_admins_only(client: httpx.AsyncClient) -> None:
    account = await sign_up(client)
    headers = bearer((await log_in(client, account["email"]))["access_token"])
    assert_error(await client.get(f"{PLACEMENT}/partitions", headers=headers), 403, "forbidden")
    response = await client.post(f"{PLACEMENT}/drain", json={"volume": "v0"}, headers=headers)
    assert_error(response, 403, "forbidden")
    assert_error(await client.get(f"{PLACEMENT}/volumes"), 401, "unauthorized")


async def test_placement_requests_that_make_no_sense_are_refused_and_move_nothing(
    client: httpx.AsyncClient, shop: Any
) -> None:
    boss = await admin(client, shop)
    before = (await client.get(f"{PLACEMENT}/partitions", headers=boss)).json()
    refusals = [
        ("scale", {"group": "shop", "hosts": 0}, 422, "invalid_input"),
        ("scale", {"group": "shop", "hosts": "many"}, 422, "invalid_input"),
        ("scale", {"group": "basket", "hosts": 2}, 422, "placement_refused"),
        ("rebalance", {"volumes": ["v7"]}, 422, "placement_refused"),
        ("rebalance", {"volumes": ["../v0"]}, 422, "invalid_input"),
        ("drain", {"volume": "v0"}, 422, "placement_refused"),  # the home volume
        ("drain", {"volume": "v9"}, 422, "placement_refused"),
    ]
    for route, body, status, code in refusals:
        response = await client.post(f"{PLACEMENT}/{route}", json=body, headers=boss)
        assert_error(response, status, code)
    after = (await client.get(f"{PLACEMENT}/partitions", headers=boss)).json()
    assert after == before


async def test_an_admin_scales_the_shop_group_live_and_sees_where_it_went(
    client: httpx.AsyncClient, shop: Any
) -> None:
    boss = await admin(client, shop)
    before = (await client.get(f"{PLACEMENT}/partitions", headers=boss)).json()
    assert [p["host"] for p in before["collections"]["shop"]] == [
        "shop-0@v0",
        "shop-1@v0",
        "shop-0@v0",
        "shop-1@v0",
    ]

    planned = await client.post(
        f"{PLACEMENT}/scale", json={"group": "shop", "hosts": 4, "dry_run": True}, headers=boss
    )
    assert planned.status_code == 200, planned.text
    assert len(planned.json()["moves"]) == 2
    unchanged = (await client.get(f"{PLACEMENT}/partitions", headers=boss)).json()
    assert unchanged["collections"] == before["collections"]

    scaled = await client.post(
        f"{PLACEMENT}/scale", json={"group": "shop", "hosts": 4}, headers=boss
    )
    assert scaled.status_code == 200, scaled.text
    after = (await client.get(f"{PLACEMENT}/partitions", headers=boss)).json()
    hosts = sorted({p["host"] for p in after["collections"]["shop"]})
    assert hosts == ["shop-0@v0", "shop-1@v0", "shop-2@v0", "shop-3@v0"]
    assert all(p["bytes"] > 0 for p in after["collections"]["shop"])  # files moved, not made
    volumes = (await client.get(f"{PLACEMENT}/volumes", headers=boss)).json()["volumes"]
    assert volumes["v0"]["partitions"]["shop"] == 4
