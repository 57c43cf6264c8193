"""The cart, order and warehouse objects on real Ray with real files (issue: domain objects)."""

import asyncio
import sqlite3

import pytest

from actors.catalog import CATALOG_KEY, Catalog
from actors.order import Order
from actors.stock_alerts import ALERTS_KEY, StockAlerts
from actors.warehouse import Warehouse
from bench.shop_data import stock_shop
from bootstrap import SHOP
from domain.cart import CartLocked, PricesChanged
from domain.inventory import InsufficientStock
from domain.orders import OrderState
from durable import Objects, RuntimeConfig
from durable.placement.policy import dedicated_file
from durable.placement.volumes import HOME_VOLUME, volume_dir
from tests.conftest import eventually, kill_process
from tests.integration.kinds import ShortLivedCart

IDR = "IDR"


def idr(amount: int) -> dict:
    return {"amount": amount, "currency": IDR}


ADDRESS = {
    "recipient": "Ani",
    "line1": "Jl. Sudirman 1",
    "city": "Jakarta",
    "region": "ID-JK",
    "postal_code": "10220",
}


@pytest.fixture(scope="module")
def shop(ray_cluster: None, runtime_config: RuntimeConfig) -> Objects:
    shop = Objects(SHOP.with_kinds(ShortLivedCart), runtime_config)
    shop.ensure_hosts()
    asyncio.run(stock_shop(shop))  # carts price their lines from the catalog
    return shop


async def new_warehouse(shop: Objects, key: str, **stock: int) -> object:
    warehouse = shop(Warehouse).get(key)
    await warehouse.call(
        Warehouse.configure, name=key, region_code="ID-JK", latitude=-6.2, longitude=106.85
    )
    for sku, quantity in stock.items():
        await warehouse.call(Warehouse.restock, sku=sku, quantity=quantity)
    return warehouse


async def save_product(shop: Objects, sku: str, price: int) -> None:
    product = {
        "sku": sku,
        "title": sku.title(),
        "pricing": {"retail_price": idr(price), "wholesale_price": idr(price)},
    }
    await shop(Catalog).get(CATALOG_KEY).call(Catalog.save_product, product=product)


async def warehouse_pid(shop: Objects, key: str) -> int:
    pid: int = await (await shop(Warehouse).host_of(key)).ready.remote()
    return pid


async def test_fifty_concurrent_single_unit_reservations_against_ten_oversell_nothing(
    shop: Objects,
) -> None:
    warehouse = await new_warehouse(shop, "contended", TEA=10)
    results = await asyncio.gather(
        *(
            warehouse.call(Warehouse.reserve, reservation_id=f"r{n}", lines={"TEA": 1})
            for n in range(50)
        ),
        return_exceptions=True,
    )
    assert sum(1 for r in results if isinstance(r, dict)) == 10
    assert sum(1 for r in results if isinstance(r, InsufficientStock)) == 40
    level = (await warehouse.call(Warehouse.levels, skus=["TEA"]))["TEA"]
    assert (level["available"], level["reserved"], level["on_hand"]) == (0, 10, 10)


async def test_replaying_a_reserve_with_the_same_key_reserves_once(shop: Objects) -> None:
    warehouse = await new_warehouse(shop, "replayed", TEA=10)
    first = await warehouse.once("saga-1:reserve").call(
        Warehouse.reserve, reservation_id="o1", lines={"TEA": 3}
    )
    again = await warehouse.once("saga-1:reserve").call(
        Warehouse.reserve, reservation_id="o1", lines={"TEA": 3}
    )
    assert first == again
    assert (await warehouse.call(Warehouse.levels, skus=["TEA"]))["TEA"]["available"] == 7


async def test_an_expired_reservation_is_released_by_its_alarm(shop: Objects) -> None:
    warehouse = await new_warehouse(shop, "expiring", TEA=5)
    await warehouse.call(Warehouse.reserve, reservation_id="slow", lines={"TEA": 2}, ttl_s=1)
    levels = await eventually(
        lambda: warehouse.call(Warehouse.levels, skus=["TEA"]),
        lambda v: v["TEA"]["available"] == 5,
        what="expiry",
    )
    assert levels["TEA"]["reserved"] == 0
    assert (await warehouse.call(Warehouse.reservation, reservation_id="slow"))[
        "status"
    ] == "closed"


async def test_a_reservation_expires_even_if_the_warehouse_host_was_killed_meanwhile(
    shop: Objects, runtime_config: RuntimeConfig
) -> None:
    warehouse = await new_warehouse(shop, "crashing", TEA=5)
    await warehouse.call(Warehouse.reserve, reservation_id="doomed", lines={"TEA": 4}, ttl_s=2)
    kill_process(await warehouse_pid(shop, "crashing"))
    await eventually(
        lambda: warehouse.call(Warehouse.levels, skus=["TEA"]),
        lambda v: v["TEA"]["available"] == 5,
        what="expiry",
    )
    path = dedicated_file(
        volume_dir(runtime_config.state_dir, HOME_VOLUME), "warehouse", "crashing"
    )
    with sqlite3.connect(path) as conn:
        status = conn.execute(
            "SELECT status FROM reservations WHERE reservation_id = 'doomed'"
        ).fetchone()
        kinds = [
            t
            for (t,) in conn.execute(
                "SELECT type FROM events WHERE stream = 'crashing' ORDER BY seq"
            )
        ]
    assert status == ("expired",)
    assert kinds[-1] == "ReservationExpired"


async def test_reaching_the_low_stock_threshold_sends_an_alert_over_the_bus(shop: Objects) -> None:
    warehouse = await new_warehouse(shop, "lowstock", TEA=8)
    await warehouse.call(Warehouse.reserve, reservation_id="big", lines={"TEA": 4})
    alerts = shop(StockAlerts).get(ALERTS_KEY)
    found = await eventually(
        lambda: alerts.call(StockAlerts.alerts, warehouse_id="lowstock"),
        bool,
        what="the low-stock alert",
    )
    assert [(a["sku"], a["available"], a["threshold"]) for a in found] == [("TEA", 4, 5)]


async def test_confirm_and_ship_keep_the_projection_in_step(
    shop: Objects, runtime_config: RuntimeConfig
) -> None:
    warehouse = await new_warehouse(shop, "shipping", TEA=10, MUG=3)
    await warehouse.call(Warehouse.reserve, reservation_id="o9", lines={"TEA": 2, "MUG": 1})
    await warehouse.call(Warehouse.confirm, reservation_id="o9")
    await warehouse.call(Warehouse.ship, reservation_id="o9")
    path = dedicated_file(
        volume_dir(runtime_config.state_dir, HOME_VOLUME), "warehouse", "shipping"
    )
    with sqlite3.connect(path) as conn:
        rows = conn.execute(
            "SELECT sku, available, reserved, allocated FROM stock ORDER BY sku"
        ).fetchall()
    assert rows == [("MUG", 2, 0, 0), ("TEA", 8, 0, 0)]


async def test_an_order_replayed_from_snapshot_and_events_equals_the_live_one(
    shop: Objects,
) -> None:
    order = shop(Order).get("ord-replay")
    await order.call(
        Order.place,
        customer_id="u1",
        currency=IDR,
        lines=[{"sku": "TEA", "quantity": 2, "unit_price": 100}],
        totals={"total": 200},
        checkout_id="co-1",
    )
    await order.call(Order.await_payment, payment_id="p1")
    shipments = [  # past the snapshot taken every 10 events
        {"shipment_id": f"s{n}", "warehouse_id": "jkt", "tracking_number": f"T{n}"}
        for n in range(12)
    ]
    await order.call(Order.pay, payment_id="p1", amount=200, shipments=shipments)
    live = await order.call(Order.view)
    await (await shop(Order).host_of("ord-replay")).passivate_idle.remote(0.0)
    assert await order.call(Order.view) == live
    folded = OrderState()
    history = await order.call(Order.history)
    for event in history:
        folded.apply(event["type"], event["data"])
    assert {
        "order_id": "ord-replay",
        **folded.model_dump(mode="json"),
        "awaiting_sellers": folded.awaiting_sellers,
    } == live
    assert [e["seq"] for e in history] == list(range(1, 16))
    assert live["status"] == "PAID"


async def test_a_locked_cart_refuses_changes_until_the_checkout_ends(shop: Objects) -> None:
    await save_product(shop, "LOCKED-TEA", 25_000)
    cart = shop(ShortLivedCart).get("locked")
    await cart.call(ShortLivedCart.add_product, sku="LOCKED-TEA", quantity=2)
    await cart.call(ShortLivedCart.set_address, address=ADDRESS)
    await cart.call(ShortLivedCart.choose_shipping, service="REG")
    await save_product(shop, "LOCKED-TEA", 24_000)
    with pytest.raises(PricesChanged):
        await cart.call(ShortLivedCart.begin_checkout, checkout_id="co-1")
    await cart.call(ShortLivedCart.prepare_checkout)  # the shopper sees the new price
    locked = await cart.call(ShortLivedCart.begin_checkout, checkout_id="co-1")
    assert locked["locked"] and locked["summary"]["subtotal"] == 48_000
    with pytest.raises(CartLocked, match="being checked out"):
        await cart.call(ShortLivedCart.add_product, sku="MUG", quantity=1)
    with pytest.raises(CartLocked):
        await cart.call(ShortLivedCart.begin_checkout, checkout_id="co-2")
    assert await cart.call(ShortLivedCart.begin_checkout, checkout_id="co-1") == locked
    await cart.call(ShortLivedCart.complete_checkout, checkout_id="co-1")
    emptied = await cart.call(ShortLivedCart.view)
    assert emptied["lines"] == [] and not emptied["locked"]


async def test_an_idle_cart_is_deleted_by_its_alarm(shop: Objects) -> None:
    cart = shop(ShortLivedCart).get("forgotten")
    await cart.call(ShortLivedCart.add_product, sku="TEA", quantity=1)
    assert [row.stream for row in await shop(ShortLivedCart).list(prefix="forgotten")] == [
        "forgotten"
    ]
    await eventually(
        lambda: shop(ShortLivedCart).list(prefix="forgotten"),
        lambda rows: rows == [],
        what="expiry",
    )
    assert (await cart.call(ShortLivedCart.view))["lines"] == []


async def test_a_guest_cart_merges_into_the_shoppers_cart_all_or_nothing(shop: Objects) -> None:
    guest = shop(ShortLivedCart).get("guest-1")
    await guest.call(ShortLivedCart.add_product, sku="TEA", quantity=2)
    await guest.call(ShortLivedCart.add_product, sku="MUG", quantity=1)
    mine = shop(ShortLivedCart).get("user-1")
    await mine.call(ShortLivedCart.add_product, sku="TEA", quantity=1)
    merged = await mine.call(
        ShortLivedCart.merge_lines, lines=(await guest.call(ShortLivedCart.view))["lines"]
    )
    assert {line["sku"]: line["quantity"] for line in merged["lines"]} == {"TEA": 3, "MUG": 1}
    too_many = [{"sku": "TEA", "quantity": 9_999, "unit_price": idr(25_000)}]
    with pytest.raises(Exception, match="between 1 and 9999"):
        await mine.call(ShortLivedCart.merge_lines, lines=too_many)
    assert (await mine.call(ShortLivedCart.view))["lines"] == merged["lines"]


async def test_a_host_under_load_reports_its_garbage_collections(shop: Objects) -> None:
    carts = shop(ShortLivedCart)
    host = await carts.host_of("gc-0")
    batches = iter(range(10_000))

    async def activate_more_then_look() -> dict[str, list[float]]:
        """Every new resident object grows the host's heap; collections follow."""
        batch = next(batches)
        keys = [f"gc-{batch}-{n}" for n in range(200)]
        await asyncio.gather(*(carts.get(key).call(ShortLivedCart.view) for key in keys))
        pauses: dict[str, list[float]] = await host.gc_pauses.remote()
        return pauses

    pauses = await eventually(
        activate_more_then_look, lambda seen: seen["count"][0] > 0, what="a young collection"
    )
    assert pauses["longest_ms"][0] > 0
    assert pauses["total_ms"][0] >= pauses["longest_ms"][0]
