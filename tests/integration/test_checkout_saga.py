"""Checkout and cancel sagas on real Ray: the happy path and each failure scenario, each
ending with the invariants of ARCHITECTURE §11 checked.

Over 300 lines: every scenario runs on one stocked shop (one Ray per module); split, each
part would pay for its own Ray and stock."""

import asyncio
import sqlite3
from typing import Any

import pytest

from actors.cart import Cart
from actors.catalog import Catalog
from actors.order import Order
from actors.payment import Payment
from actors.shipment import Shipment
from actors.warehouse import Warehouse
from bench.invariants import check_invariants
from bench.shop_data import address, checkout_input, idr, ready_cart, to_unserved_region
from domain.cart import PricesChanged
from domain.orders import IllegalTransition
from durable import RuntimeConfig, Saga, correlation_id
from durable.placement.volumes import HOME_VOLUME, volume_dir
from durable.saga.saga_object import NoAdmissionCheck
from sagas.checkout.models import CheckoutInput, LockedCart
from sagas.checkout.steps import reserve_inventory


async def run_checkout(shop: Any, payload: dict[str, Any]) -> dict[str, Any]:
    return (
        await shop(Saga)
        .get(payload["checkout_id"])
        .call(Saga.run, saga_type="checkout", input=payload, timeout_s=120)
    )


async def test_a_checkout_pays_the_order_ships_it_and_empties_the_cart(shop: Any) -> None:
    cart_id = await ready_cart(shop)
    shown = await shop(Cart).get(cart_id).call(Cart.view)
    outcome = await run_checkout(shop, checkout_input(cart_id))
    assert outcome["status"] == "completed", outcome
    order = await shop(Order).get(outcome["result"]["order_id"]).call(Order.view)
    assert order["status"] == "PAID"
    shipping = shown["shipping"]["price"]["amount"]  # the carrier's, from Jakarta to Jakarta
    assert order["totals"]["total"] == outcome["result"]["total"] == 90_000 + shipping + 9_900
    assert shown["summary"]["total"] == order["totals"]["total"]
    assert [s["warehouse_id"] for s in order["shipments"].values()] == ["jkt"]
    payment = await shop(Payment).get(outcome["result"]["payment_id"]).call(Payment.status)
    assert (payment["status"], payment["amount"]) == ("captured", order["totals"]["total"])
    cart = await shop(Cart).get(cart_id).call(Cart.view)
    assert cart["lines"] == [] and not cart["locked"]
    assert await check_invariants(shop) == []


async def cart_with_lines(shop: Any, cart_id: str) -> Any:
    cart = shop(Cart).get(cart_id)
    await cart.call(Cart.add_product, sku="TEA", quantity=2)
    await cart.call(Cart.add_product, sku="MUG", quantity=1)
    return cart


async def test_a_one_step_checkout_brings_its_address_and_shipping_along(shop: Any) -> None:
    cart = await cart_with_lines(shop, "one-step")
    shipping = {"code": "REG", "label": "Regular", "price": idr(15_000)}
    outcome = await run_checkout(
        shop, checkout_input("one-step", address=address("ID-JB"), shipping=shipping)
    )
    assert outcome["status"] == "completed", outcome
    assert outcome["result"]["total"] == 90_000 + 15_000 + 9_900
    order = await shop(Order).get(outcome["result"]["order_id"]).call(Order.view)
    assert [s["warehouse_id"] for s in order["shipments"].values()] == ["bdg"]
    assert (await cart.call(Cart.view))["lines"] == []
    assert await check_invariants(shop) == []


async def test_a_one_step_checkout_to_an_unknown_region_changes_nothing(shop: Any) -> None:
    cart = await cart_with_lines(shop, "one-step-bad")
    before = await cart.call(Cart.view)
    shipping = {"code": "REG", "label": "Regular", "price": idr(15_000)}
    outcome = await run_checkout(
        shop, checkout_input("one-step-bad", address=address("XX-NOPE"), shipping=shipping)
    )
    assert outcome["status"] == "compensated", outcome
    assert outcome["failure"]["step"] == "lock_cart"
    assert await cart.call(Cart.view) == before
    assert await check_invariants(shop) == []


async def stock_of(shop: Any, sku: str) -> dict[str, int]:
    levels = [
        await shop(Warehouse).get(w).call(Warehouse.levels, skus=[sku])
        for w in ("jkt", "bdg", "sby")
    ]
    return {
        w: level[sku]["available"] for w, level in zip(("jkt", "bdg", "sby"), levels, strict=True)
    }


async def assert_failed_cleanly(
    shop: Any, outcome: dict[str, Any], cart_id: str, step: str
) -> dict[str, Any]:
    assert outcome["status"] == "compensated", outcome
    assert outcome["failure"]["step"] == step
    order = await shop(Order).get(f"ord-co-{cart_id}").call(Order.view)
    assert order["status"] == "FAILED"
    cart = await shop(Cart).get(cart_id).call(Cart.view)
    assert not cart["locked"] and cart["lines"], "the shopper keeps the cart to try again"
    assert await check_invariants(shop) == []
    return order


async def test_out_of_stock_fails_the_order_and_charges_nothing(shop: Any) -> None:
    before = await stock_of(shop, "BAG")
    cart_id = await ready_cart(shop, lines={"BAG": 5_000})
    outcome = await run_checkout(shop, checkout_input(cart_id))
    await assert_failed_cleanly(shop, outcome, cart_id, "reserve_inventory")
    assert outcome["failure"]["code"] == "insufficient_stock"
    assert (await shop(Payment).get(f"pay-co-{cart_id}").call(Payment.status))["status"] == "new"
    assert await stock_of(shop, "BAG") == before


async def test_a_declined_payment_releases_the_inventory_and_fails_the_order(shop: Any) -> None:
    before = await stock_of(shop, "TEA")
    cart_id = await ready_cart(shop)
    outcome = await run_checkout(shop, checkout_input(cart_id, token="tok_declined"))
    await assert_failed_cleanly(shop, outcome, cart_id, "charge_payment")
    assert outcome["failure"]["code"] == "payment_declined"
    assert await stock_of(shop, "TEA") == before


async def test_unavailable_shipping_refunds_the_payment_and_releases_the_inventory(
    shop: Any,
) -> None:
    before = await stock_of(shop, "TEA")
    cart_id = await ready_cart(shop)
    outcome = await run_checkout(shop, checkout_input(cart_id, **to_unserved_region()))
    await assert_failed_cleanly(shop, outcome, cart_id, "create_shipment")
    assert outcome["failure"]["code"] == "shipping_unavailable"
    assert (await shop(Payment).get(f"pay-co-{cart_id}").call(Payment.status))[
        "status"
    ] == "refunded"
    assert await stock_of(shop, "TEA") == before


async def test_a_pending_payment_never_paid_times_out_and_releases_everything(shop: Any) -> None:
    before = await stock_of(shop, "TEA")
    cart_id = await ready_cart(shop)
    payload = checkout_input(
        cart_id, token="tok_pending_never", method="qris", payment_timeout_s=1.0
    )
    outcome = await run_checkout(shop, payload)
    await assert_failed_cleanly(shop, outcome, cart_id, "payment:pay-co-" + cart_id)
    assert (await shop(Payment).get(f"pay-co-{cart_id}").call(Payment.status))["status"] == "voided"
    assert await stock_of(shop, "TEA") == before


async def test_an_expired_qris_payment_fails_the_order(shop: Any) -> None:
    cart_id = await ready_cart(shop)
    outcome = await run_checkout(
        shop, checkout_input(cart_id, token="tok_pending_expired", method="qris")
    )
    await assert_failed_cleanly(shop, outcome, cart_id, "payment_settled")


async def test_a_qris_payment_paid_by_webhook_completes_the_checkout(shop: Any) -> None:
    cart_id = await ready_cart(shop)
    outcome = await run_checkout(
        shop, checkout_input(cart_id, token="tok_pending_paid", method="qris")
    )
    assert outcome["status"] == "completed", outcome
    history = [e["type"] for e in await shop(Order).get(f"ord-co-{cart_id}").call(Order.history)]
    assert history.index("PaymentRequested") < history.index("OrderPaid")
    assert await check_invariants(shop) == []


async def test_a_run_until_waiting_answers_when_the_saga_waits_for_its_payment(
    shop: Any,
) -> None:
    """A shopper paying by QRIS needs the code while the saga waits, not after it ends."""
    cart_id = await ready_cart(shop)
    payload = checkout_input(cart_id, token="tok_pending_never", method="qris")
    saga = shop(Saga).get(payload["checkout_id"])
    waiting = await saga.call(
        Saga.run, saga_type="checkout", input=payload, timeout_s=120, until_waiting=True
    )
    assert waiting["status"] == "running", waiting
    assert waiting["waiting_for"] == [f"payment:pay-co-{cart_id}"]
    payment = await shop(Payment).get(f"pay-co-{cart_id}").call(Payment.status)
    assert payment["status"] == "pending" and payment["instructions"]["qris_payload"]
    await shop(Payment).get(f"pay-co-{cart_id}").call(Payment.void_if_pending, reason="walked")
    ended = await saga.call(Saga.outcome, timeout_s=120)
    assert ended["status"] == "compensated" and ended["waiting_for"] == []
    assert await check_invariants(shop) == []


async def test_a_transient_provider_error_is_retried_and_charges_once(shop: Any) -> None:
    cart_id = await ready_cart(shop)
    outcome = await run_checkout(shop, checkout_input(cart_id, token="tok_transient"))
    assert outcome["status"] == "completed", outcome
    timeline = await shop(Saga).get(f"co-{cart_id}").call(Saga.timeline)
    attempts = [e for e in timeline if e["type"] == "StepStarted" and e["name"] == "charge_payment"]
    assert len(attempts) == 3
    assert await check_invariants(shop) == []


async def save_product(shop: Any, sku: str, retail_price: int) -> None:
    product = {
        "sku": sku,
        "title": sku.title(),
        "pricing": {"retail_price": idr(retail_price), "wholesale_price": idr(8_000)},
    }
    await shop(Catalog).get("catalog").call(Catalog.save_product, product=product)


async def test_a_checkout_refused_at_admission_leaves_no_saga_and_a_repeat_is_not_refused(
    shop: Any,
) -> None:
    await save_product(shop, "ADMITTED", 9_000)
    await shop(Warehouse).get("jkt").call(Warehouse.restock, sku="ADMITTED", quantity=5)
    cart_id = await ready_cart(shop, lines={"ADMITTED": 1})
    await save_product(shop, "ADMITTED", 9_500)
    payload = checkout_input(cart_id)
    saga = shop(Saga).get(payload["checkout_id"])

    async def admitted_run() -> dict[str, Any]:
        result: dict[str, Any] = await saga.call(
            Saga.run, saga_type="checkout", input=payload, timeout_s=120, admission={}
        )
        return result

    with pytest.raises(PricesChanged) as refused:
        await admitted_run()
    assert refused.value.details["skus"] == ["ADMITTED"]
    assert refused.value.details["cart"]["summary"]["subtotal"] == 9_500
    assert (await saga.call(Saga.view))["status"] == "new"
    assert await saga.call(Saga.timeline) == []
    assert await shop(Order).list(prefix=f"ord-co-{cart_id}") == []

    outcome = await admitted_run()  # the shopper has now been shown the new price
    assert outcome["status"] == "completed", outcome
    order = await shop(Order).get(outcome["result"]["order_id"]).call(Order.view)
    assert order["totals"]["subtotal"] == 9_500
    assert await admitted_run() == outcome, "the emptied cart does not refuse a started checkout"
    assert await check_invariants(shop) == []


async def test_asking_for_an_admission_check_a_saga_type_lacks_starts_nothing(shop: Any) -> None:
    saga = shop(Saga).get("no-admission-check")
    with pytest.raises(NoAdmissionCheck):
        await saga.call(Saga.start, saga_type="cancel_order", input={}, admission={})
    assert (await saga.call(Saga.view))["status"] == "new"


async def test_the_same_checkout_submitted_twice_makes_one_order_and_one_charge(shop: Any) -> None:
    cart_id = await ready_cart(shop)
    payload = checkout_input(cart_id)
    first, second = await asyncio.gather(run_checkout(shop, payload), run_checkout(shop, payload))
    assert first == second and first["status"] == "completed"
    orders = await shop(Order).list(prefix=f"ord-co-{cart_id}")
    payments = await shop(Payment).list(prefix=f"pay-co-{cart_id}")
    assert len(orders) == 1 and len(payments) == 1
    assert await check_invariants(shop) == []


async def test_cancelling_a_paid_order_refunds_it_and_returns_the_stock(shop: Any) -> None:
    before = await stock_of(shop, "TEA")
    cart_id = await ready_cart(shop)
    outcome = await run_checkout(shop, checkout_input(cart_id))
    order_id = outcome["result"]["order_id"]
    saga = shop(Saga).get(f"cancel-{order_id}")
    await saga.call(
        Saga.start,
        saga_type="cancel_order",
        input={"order_id": order_id, "reason": "changed my mind"},
    )
    cancelled = await saga.call(Saga.outcome, timeout_s=60)
    assert cancelled["status"] == "completed", cancelled
    assert (await shop(Order).get(order_id).call(Order.view))["status"] == "CANCELLED"
    assert (await shop(Payment).get(outcome["result"]["payment_id"]).call(Payment.status))[
        "status"
    ] == "refunded"
    assert await stock_of(shop, "TEA") == before
    assert await check_invariants(shop) == []


async def test_an_order_no_single_warehouse_can_fill_ships_from_two(shop: Any) -> None:
    await save_product(shop, "RARE", 9_000)
    for warehouse in ("jkt", "bdg"):
        await shop(Warehouse).get(warehouse).call(Warehouse.restock, sku="RARE", quantity=1)
    cart_id = await ready_cart(shop, lines={"RARE": 2})
    outcome = await run_checkout(shop, checkout_input(cart_id))
    assert outcome["status"] == "completed", outcome
    order = await shop(Order).get(outcome["result"]["order_id"]).call(Order.view)
    assert sorted(s["warehouse_id"] for s in order["shipments"].values()) == ["bdg", "jkt"]
    assert await check_invariants(shop) == []


async def test_a_compensation_that_keeps_failing_leaves_the_saga_stuck_until_an_admin_retries(
    shop: Any,
) -> None:
    cart_id = await ready_cart(shop)
    payload = checkout_input(cart_id, token="tok_refund_outage", **to_unserved_region())
    outcome = await run_checkout(shop, payload)
    assert outcome["status"] == "stuck" and outcome["stuck_on"] == "charge_payment", outcome
    stuck = await shop(Saga).list(owner="checkout", status="stuck")
    assert f"co-{cart_id}" in [row.stream for row in stuck]
    saga = shop(Saga).get(f"co-{cart_id}")
    await saga.call(Saga.retry)
    retried = await saga.call(Saga.outcome, timeout_s=60)
    assert retried["status"] == "compensated", retried
    assert (await shop(Payment).get(f"pay-co-{cart_id}").call(Payment.status))[
        "status"
    ] == "refunded"
    failures = [
        e for e in await saga.call(Saga.timeline) if e["type"] == "CompensationAttemptFailed"
    ]
    assert len(failures) == 6
    assert await check_invariants(shop) == []


async def test_the_correlation_id_of_a_checkout_reaches_every_object_it_touched(
    shop: Any, runtime_config: RuntimeConfig
) -> None:
    cart_id = await ready_cart(shop)
    token = correlation_id.set(f"corr-{cart_id}")
    try:
        outcome = await run_checkout(shop, checkout_input(cart_id))
    finally:
        correlation_id.reset(token)
    assert outcome["status"] == "completed"
    history = await shop(Order).get(outcome["result"]["order_id"]).call(Order.history)
    assert {e["correlation_id"] for e in history} == {f"corr-{cart_id}"}
    warehouse_file = volume_dir(runtime_config.state_dir, HOME_VOLUME) / "warehouse" / "jkt.sqlite"
    with sqlite3.connect(f"file:{warehouse_file}?mode=ro", uri=True) as conn:
        tagged = conn.execute(
            "SELECT type FROM events WHERE correlation_id = ? ORDER BY seq", (f"corr-{cart_id}",)
        ).fetchall()
    assert [t for (t,) in tagged] == ["StockReserved", "ReservationConfirmed"]


async def test_a_paid_order_is_dispatched_then_delivered_and_can_no_longer_be_cancelled(
    shop: Any,
) -> None:
    cart_id = await ready_cart(shop)
    outcome = await run_checkout(shop, checkout_input(cart_id))
    order = shop(Order).get(outcome["result"]["order_id"])
    shipment_ids = [s["shipment_id"] for s in outcome["result"]["shipments"]]
    with pytest.raises(IllegalTransition, match="not all packed"):
        await order.call(Order.dispatch, shipment_id=shipment_ids[0])
    assert (await order.call(Order.fulfil, sellers=["seller-1"]))["awaiting_sellers"] == []
    for shipment_id in shipment_ids:
        await shop(Shipment).get(shipment_id).call(Shipment.dispatch)
        await order.call(Order.dispatch, shipment_id=shipment_id)
    assert (await order.call(Order.view))["status"] == "SHIPPED"
    with pytest.raises(IllegalTransition, match="cannot cancel an order that is SHIPPED"):
        await order.call(Order.cancel, reason="too late")
    for shipment_id in shipment_ids:
        await shop(Shipment).get(shipment_id).call(Shipment.deliver)
    assert (await order.call(Order.deliver))["status"] == "DELIVERED"
    tracked = await shop(Shipment).get(shipment_ids[0]).call(Shipment.track)
    assert [t["status"] for t in tracked["tracking"]] == ["labelled", "dispatched", "delivered"]
    assert tracked["tracking_number"].startswith("FK")
    assert await check_invariants(shop) == []


async def test_a_rerun_after_a_split_reservation_never_ships_short(shop: Any) -> None:
    """The step ran once and split the order over two warehouses, then the orchestrator died
    before journaling it. Meanwhile the nearest warehouse got stock: the re-run must not
    count the 1 unit it still holds there as the whole order."""
    sku = "SPLIT"
    await save_product(shop, sku, 9_000)
    for warehouse in ("jkt", "bdg"):
        await shop(Warehouse).get(warehouse).call(Warehouse.restock, sku=sku, quantity=1)
    data = CheckoutInput.model_validate(checkout_input("cart-split"))
    locked = LockedCart.model_validate(
        {
            "lines": [{"sku": sku, "quantity": 2, "unit_price": idr(9_000)}],
            "summary": {"currency": "IDR", "item_count": 2, "subtotal": 18_000, "discount": 0}
            | {"shipping": 0, "tax": 0, "total": 18_000},
            "address": address("ID-JK"),
            "shipping": {"code": "REG", "price": idr(0)},
            "market": "retail",
        }
    )
    first = await reserve_inventory(shop, data, locked, "co-cart-split:reserve_inventory")
    assert first.shipments == {"jkt": {sku: 1}, "bdg": {sku: 1}}
    await shop(Warehouse).get("jkt").call(Warehouse.restock, sku=sku, quantity=5)

    again = await reserve_inventory(shop, data, locked, "co-cart-split:reserve_inventory")
    assert again.shipments == {"jkt": {sku: 2}}
    held = {
        w: (
            await shop(Warehouse).get(w).call(Warehouse.reservation, reservation_id=data.order_id)
        ).get("lines")
        for w in ("jkt", "bdg", "sby")
    }
    assert held == {"jkt": {sku: 2}, "bdg": None, "sby": None}
    levels = await shop(Warehouse).get("bdg").call(Warehouse.levels, skus=[sku])
    assert levels[sku]["available"] == 1, "the other warehouse's unit is free again"
