"""The event bus on real Ray: relay, delivery, exactly-once application, dead letters, the
read models, mail through a real SMTP server (aiosmtpd) that was down, the integration events
of products, stock, payments and parcels, and survival of the bus host being SIGKILLed.

Over 300 lines: every scenario runs on one shop whose hosts mail to the module's SMTP port
(one Ray per module); split, each part would start its own."""

import asyncio
import os
import uuid
from collections.abc import Iterator
from email import parser as email_parser
from email import policy as email_policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from ray.exceptions import RayError

from actors.analytics import Analytics
from actors.catalog import CATALOG_KEY, Catalog
from actors.notifications import Notifications
from actors.order import Order
from actors.order_views import OrderViews
from actors.shipment import Shipment
from actors.stock_alerts import StockAlerts
from actors.users import USERS_KEY, Users
from actors.warehouse import Warehouse
from bench.invariants import check_invariants
from bench.shop_data import checkout_input, idr, ready_cart
from bootstrap import SHOP
from durable import BUS_KEY, Application, EventBus, Saga, correlation_id
from durable.local_ray import free_port
from sagas.order_sagas import OrderSagaInput
from tests.conftest import eventually, kill_process
from tests.integration.kinds import EventTally


@pytest.fixture(scope="module")
def shop_app() -> Application:
    return SHOP.with_kinds(EventTally)


async def customers_checkout(shop: Any) -> tuple[str, str]:
    """A checkout of a customer with an account; their email and their cart."""
    email = f"{uuid.uuid4().hex[:10]}@example.com"
    account = (
        await shop(Users)
        .get(USERS_KEY)
        .call(Users.register, user={"email": email, "name": "Ani"}, password_hash="not-a-real-hash")
    )
    cart = await ready_cart(shop)
    payload = checkout_input(cart, customer_id=account["user_id"])
    outcome = (
        await shop(Saga)
        .get(f"co-{cart}")
        .call(Saga.run, saga_type="checkout", input=payload, timeout_s=120)
    )
    assert outcome["status"] == "completed", outcome
    return email, cart


class Inbox:
    """An SMTP server's received mail (aiosmtpd calls `handle_DATA` per message)."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email_parser.BytesParser(policy=email_policy.default).parsebytes(envelope.content)
        self.messages.append(parsed)  # type: ignore[arg-type]
        return "250 OK"


@pytest.fixture(scope="module")
def smtp_port() -> int:
    return free_port()


@pytest.fixture(scope="module", autouse=True)
def mail_goes_to_smtp(smtp_port: int) -> Iterator[None]:
    """The module's hosts send mail to an SMTP server on `smtp_port` (autouse: set before
    the module's Ray starts, whose processes read it)."""
    os.environ.update(RAYSHOP_SMTP_HOST="127.0.0.1", RAYSHOP_SMTP_PORT=str(smtp_port))
    yield
    for name in ("RAYSHOP_SMTP_HOST", "RAYSHOP_SMTP_PORT"):
        os.environ.pop(name, None)


async def test_mail_queued_while_the_smtp_server_is_down_arrives_once_it_is_back(
    shop: Any, smtp_port: int
) -> None:
    """First in the module: the server has been down for only this test's checkout."""
    email, cart = await customers_checkout(shop)
    subject = f"Order ord-co-{cart} is confirmed"
    mailbox = shop(Notifications).get("mail")
    await eventually(
        lambda: mailbox.call(Notifications.mailbox, recipient=email),
        lambda mail: any(m["subject"] == subject and m["status"] == "queued" for m in mail),
        what="the paid order's mail queued while no server answers",
    )
    inbox = Inbox()
    server = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    server.start()
    try:
        await eventually(
            lambda: mailbox.call(Notifications.mailbox, recipient=email),
            lambda mail: any(m["subject"] == subject and m["status"] == "sent" for m in mail),
            timeout_s=120,
            what="the mail sent once the server is back",
        )
    finally:
        server.stop()
    paid = [m for m in inbox.messages if m["Subject"] == subject]
    assert len(paid) == 1, [m["Subject"] for m in inbox.messages]
    assert paid[0]["To"] == email and f"ord-co-{cart}" in paid[0].get_content()


def bus(shop: Any) -> Any:
    return shop(EventBus).get(BUS_KEY)


async def caught_up(shop: Any) -> dict[str, dict[str, int]]:
    return await eventually(
        lambda: bus(shop).call(EventBus.lag),
        lambda lag: bool(lag) and all(n == 0 for topics in lag.values() for n in topics.values()),
        what="every subscriber caught up",
    )


async def bus_host_pid(shop: Any) -> int | None:
    """The bus host's pid; None while Ray restarts it."""
    try:
        return await (await shop(EventBus).host_of(BUS_KEY)).ready.remote()
    except RayError:
        return None


async def subscribe_tally(
    shop: Any, name: str, topics: list[str], *, from_start: bool = True
) -> Any:
    await bus(shop).call(
        EventBus.subscribe,
        subscription={
            "name": name,
            "topics": topics,
            "kind": EventTally.kind,
            "key": name,
            "from_start": from_start,
        },
    )
    return shop(EventTally).get(name)


async def test_after_checkouts_the_order_read_model_equals_the_order_objects(shop: Any) -> None:
    carts = [await ready_cart(shop) for _ in range(3)]
    tokens = ["tok_success", "tok_declined", "tok_success"]
    await asyncio.gather(
        *(
            shop(Saga)
            .get(f"co-{cart}")
            .call(
                Saga.run,
                saga_type="checkout",
                input=checkout_input(cart, token=token),
                timeout_s=120,
            )
            for cart, token in zip(carts, tokens, strict=True)
        )
    )
    orders = [await shop(Order).get(f"ord-co-{cart}").call(Order.view) for cart in carts]
    views = shop(OrderViews).get("orders")

    def shows_them_all(page: dict[str, Any]) -> bool:
        statuses = {o["order_id"]: o["status"] for o in page["orders"]}
        return all(statuses.get(o["order_id"]) == o["status"] for o in orders)

    page = await eventually(
        lambda: views.call(OrderViews.list_orders, limit=500),
        shows_them_all,
        what="the read model caught up",
    )
    listed = {o["order_id"]: o for o in page["orders"]}
    for order in orders:
        row = listed[order["order_id"]]
        assert (row["status"], row["customer_id"], row["total"]) == (
            order["status"],
            order["customer_id"],
            order["totals"]["total"],
        )
        assert [line["sku"] for line in row["lines"]] == [line["sku"] for line in order["lines"]]
    mine = await views.call(
        OrderViews.list_orders, customer_id="customer-1", status="FAILED", limit=500
    )
    assert f"ord-co-{carts[1]}" in {o["order_id"] for o in mine["orders"]}
    sellers = await views.call(OrderViews.list_orders, seller_id="seller-1", limit=500)
    assert f"ord-co-{carts[0]}" in {o["order_id"] for o in sellers["orders"]}
    assert await check_invariants(shop) == []


async def test_notifications_and_analytics_follow_the_orders(shop: Any) -> None:
    email, cart = await customers_checkout(shop)
    mailbox = shop(Notifications).get("mail")
    mail = await eventually(
        lambda: mailbox.call(Notifications.mailbox, recipient=email),
        lambda mail: f"Order ord-co-{cart} is confirmed" in {m["subject"] for m in mail},
        what="the confirmation mail",
    )
    assert f"Order ord-co-{cart} received" in {m["subject"] for m in mail}
    await caught_up(shop)
    sales = await shop(Analytics).get("analytics").call(Analytics.sales)
    assert {"TEA", "MUG"} <= {row["sku"] for row in sales}
    revenue = await shop(Analytics).get("analytics").call(Analytics.revenue)
    assert revenue["IDR"] == sum(row["revenue"] for row in sales if row["currency"] == "IDR")
    outcomes = await shop(Analytics).get("analytics").call(Analytics.saga_outcomes)
    assert outcomes["checkout"]["completed"] >= 1
    assert 0.0 <= outcomes["checkout"]["compensation_rate"] < 1.0


async def test_a_refused_event_is_dead_lettered_and_the_rest_go_on(shop: Any) -> None:
    tally = await subscribe_tally(shop, "picky", ["inventory.low_stock"])
    warehouse = shop(Warehouse).get("lowstock-test")
    await warehouse.call(
        Warehouse.configure,
        name="Low",
        region_code="ID-JK",
        latitude=-6.2,
        longitude=106.8,
        low_stock_threshold=5,
    )
    for sku in ("APPLE", "POISON", "PEAR"):
        await warehouse.once(f"low:{sku}").call(Warehouse.restock, sku=sku, quantity=8)
        await warehouse.call(Warehouse.reserve, reservation_id=f"r-{sku}", lines={sku: 4})
    dead = await eventually(
        lambda: bus(shop).call(EventBus.dead_letters, subscriber="picky"),
        lambda rows: len(rows) == 1,
        what="one dead letter",
    )
    assert dead[0]["attempts"] >= 2 and "POISON" in dead[0]["error"]
    counts = await eventually(
        lambda: tally.call(EventTally.counts), lambda c: len(c) == 2, what="the other two events"
    )
    assert set(counts.values()) == {1}
    alerts = (
        await shop(StockAlerts).get("alerts").call(StockAlerts.alerts, warehouse_id="lowstock-test")
    )
    assert {a["sku"] for a in alerts} == {"APPLE", "POISON", "PEAR"}, "others were not held up"
    admins = await shop(Notifications).get("mail").call(Notifications.mailbox, recipient="admins")
    assert "Low stock: POISON at lowstock-test" in {m["subject"] for m in admins}

    await tally.call(EventTally.allow, sku="POISON")
    await bus(shop).call(
        EventBus.replay, subscriber="picky", topic=dead[0]["topic"], seq=dead[0]["seq"]
    )
    counts = await eventually(
        lambda: tally.call(EventTally.counts), lambda c: len(c) == 3, what="the replayed event"
    )
    assert set(counts.values()) == {1}
    assert await bus(shop).call(EventBus.dead_letters, subscriber="picky") == []
    (replayed,) = await bus(shop).call(EventBus.dead_letters, subscriber="picky", status="replayed")
    assert replayed["event_id"] == dead[0]["event_id"]


async def test_events_survive_the_bus_host_being_killed_twice(shop: Any) -> None:
    tally = await subscribe_tally(shop, "tally", ["orders"])
    bus_pid = await bus_host_pid(shop)
    orders = [f"bulk-{n}" for n in range(1000)]

    async def place(order_id: str) -> None:
        await (
            shop(Order)
            .get(order_id)
            .call(
                Order.place,
                customer_id="bulk",
                currency="IDR",
                lines=[{"sku": "TEA", "quantity": 1, "unit_price": 100}],
                totals={"total": 100},
            )
        )

    async def produce() -> None:
        for start in range(0, len(orders), 50):
            await asyncio.gather(*(place(o) for o in orders[start : start + 50]))

    producing = asyncio.ensure_future(produce())
    for _ in range(2):
        await eventually(
            lambda: tally.call(EventTally.counts),
            lambda c: len(c) >= 1,
            what="deliveries under way",
        )
        kill_process(bus_pid)
        killed = bus_pid
        bus_pid = await eventually(
            lambda: bus_host_pid(shop),
            lambda pid, killed=killed: pid not in (None, killed),
            what="the bus host back",
        )
    await producing
    views = shop(OrderViews).get("orders")
    await eventually(
        lambda: views.call(OrderViews.totals, customer_id="bulk"),
        lambda totals: totals.get("PENDING", {}).get("orders") == len(orders),
        what="every placed order in the read model",
    )
    await caught_up(shop)
    counts = await tally.call(EventTally.counts)
    placed = [c for c in counts if c]  # every event id the tally applied
    bulk = (
        await shop(OrderViews)
        .get("orders")
        .call(OrderViews.list_orders, customer_id="bulk", limit=500)
    )
    assert len(placed) >= len(orders)
    assert set(counts.values()) == {1}, "each event applied exactly once"
    total = (await shop(OrderViews).get("orders").call(OrderViews.totals, customer_id="bulk"))[
        "PENDING"
    ]
    assert total["orders"] == len(orders) and len(bulk["orders"]) == 500


async def test_one_correlation_id_tells_the_whole_checkout_in_causal_order(shop: Any) -> None:
    cart_id = await ready_cart(shop)
    token = correlation_id.set(f"story-{cart_id}")
    try:
        await (
            shop(Saga)
            .get(f"co-{cart_id}")
            .call(Saga.run, saga_type="checkout", input=checkout_input(cart_id), timeout_s=120)
        )
    finally:
        correlation_id.reset(token)
    story = await shop.story(f"story-{cart_id}")
    assert {"cart", "order", "warehouse", "payment", "shipment"} <= {e["kind"] for e in story}
    told = [e["type"] for e in story]
    at = told.index
    assert told[0] == "SagaStarted" and told[-1] == "SagaCompleted"
    assert at("CheckoutStarted") < min(at("OrderPlaced"), at("StockReserved"))
    assert max(at("OrderPlaced"), at("StockReserved")) < at("PaymentCaptured")
    assert at("PaymentCaptured") < min(at("ReservationConfirmed"), at("ShipmentLabelled"))
    assert max(at("ReservationConfirmed"), at("ShipmentLabelled")) < at("OrderPaid")
    assert at("PaymentCaptured") < at("CheckoutCompleted")


async def test_an_event_outlives_its_owner_host_and_the_bus_host_both_killed(shop: Any) -> None:
    tally = await subscribe_tally(shop, "survivor", ["inventory.low_stock"], from_start=False)
    warehouse = shop(Warehouse).get("crashy")
    await warehouse.call(
        Warehouse.configure,
        name="Crashy",
        region_code="ID-JK",
        latitude=-6.2,
        longitude=106.8,
        low_stock_threshold=5,
    )
    await warehouse.once("crashy:FIG").call(Warehouse.restock, sku="FIG", quantity=8)
    owner_pid = await (await shop(Warehouse).host_of("crashy")).ready.remote()
    kill_process(await bus_host_pid(shop))
    await warehouse.call(
        Warehouse.reserve, reservation_id="r-fig", lines={"FIG": 4}
    )  # durable in the outbox
    kill_process(owner_pid)
    alerts = shop(StockAlerts).get("alerts")
    found = await eventually(
        lambda: alerts.call(StockAlerts.alerts, warehouse_id="crashy"),
        bool,
        what="the alert after both crashes",
    )
    assert [(a["sku"], a["available"]) for a in found] == [("FIG", 4)]
    counts = await eventually(lambda: tally.call(EventTally.counts), bool, what="the tally's copy")
    assert list(counts.values()) == [1], "only the FIG alert, once"


async def test_products_stock_money_and_parcels_go_out_as_integration_events(shop: Any) -> None:
    tally = await subscribe_tally(
        shop, "integration", ["catalog", "inventory", "payments", "shipments"], from_start=False
    )
    catalog = shop(Catalog).get(CATALOG_KEY)
    product = {
        "sku": "GIFT-1",
        "title": "Gift Box",
        "seller_id": "seller-1",
        "pricing": {"retail_price": idr(50_000), "wholesale_price": idr(40_000)},
    }
    await catalog.call(Catalog.save_product, product=product)
    cheaper = {**product, "pricing": {"retail_price": idr(45_000), "wholesale_price": idr(36_000)}}
    await catalog.call(Catalog.save_product, product=cheaper)
    await catalog.call(Catalog.remove_product, sku="GIFT-1")
    await shop(Warehouse).get("jkt").call(Warehouse.restock, sku="TEA", quantity=5)

    _, cart = await customers_checkout(shop)
    order = await shop(Order).get(f"ord-co-{cart}").call(Order.view)
    (shipment_id,) = order["shipments"]
    await shop(Shipment).get(shipment_id).call(Shipment.dispatch)
    await shop(Shipment).get(shipment_id).call(Shipment.deliver)
    _, other_cart = await customers_checkout(shop)
    cancel = OrderSagaInput(order_id=f"ord-co-{other_cart}", reason="changed my mind")
    cancelled = (
        await shop(Saga)
        .get(cancel.saga_id("cancel_order"))
        .call(Saga.run, saga_type="cancel_order", input=cancel.model_dump(), timeout_s=120)
    )
    assert cancelled["status"] == "completed", cancelled

    expected = {
        "ProductCreated",
        "ProductUpdated",
        "PriceChanged",
        "ProductRemoved",
        "StockRestocked",
        "StockReserved",
        "StockConfirmed",
        "PaymentCaptured",
        "PaymentRefunded",
        "ShipmentDispatched",
        "ShipmentDelivered",
    }
    await eventually(
        lambda: tally.call(EventTally.types),
        lambda types: expected <= set(types),
        what="every kind of integration event",
    )
    refunds = await eventually(
        lambda: shop(Analytics).get("analytics").call(Analytics.refunds),
        lambda found: found.get("IDR", 0) > 0,
        what="the refund in the analytics",
    )
    assert refunds["IDR"] > 0
