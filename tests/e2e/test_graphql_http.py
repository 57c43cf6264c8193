"""GraphQL over real HTTP (ARCHITECTURE §8): the same order through REST and GraphQL; another
user's order absent; limits that refuse a query before any object is called; a list of
orders whose object calls stay bounded however often a field is asked for; refusals with
REST's codes; fuzz that never gets a 500."""

from typing import Any

import httpx
import pytest

from serve_app.settings import GatewaySettings
from tests.conftest import eventually
from tests.e2e.conftest import UNLIMITED
from tests.e2e.http_helpers import admin, bearer, buy, sign_up

ORDER_FIELDS = """
    orderId status currency totals reason
    lines { sku title quantity unitPrice sellerId }
    payment { paymentId status amount currency method }
    shipments { shipmentId warehouseId trackingNumber dispatched }
    history { seq type }
"""


@pytest.fixture(scope="module")
def gateway_settings() -> GatewaySettings:
    return UNLIMITED


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
