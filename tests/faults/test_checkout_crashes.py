"""Crash the orchestrator (SIGKILL) right before and right after every checkout step, before
every step of an accepted quote's order, and a warehouse host in the middle of reserving:
every saga still ends completed or compensated, the invariants of ARCHITECTURE §11 hold, no
payment is taken twice, and a quote converts once or stays accepted with nothing held.

Over 300 lines: the checkout's and the quote's crashes share one stocked shop (one Ray per
module)."""

import asyncio
import itertools
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import ray

from actors.company import Company
from actors.order import Order
from actors.quote import Quote
from actors.warehouse import Warehouse
from bench.invariants import check_invariants
from bench.shop_data import address, checkout_input, ready_cart, to_unserved_region
from domain.quotes import conversion_id
from durable import RuntimeConfig, Saga
from tests.conftest import eventually, kill_process

STEPS = [
    "lock_cart",
    "place_order",
    "reserve_inventory",
    "charge_payment",
    "confirm_inventory",
    "create_shipment",
    "confirm_order",
]


def provider_charges(config: RuntimeConfig, payment_id: str) -> list[tuple[str, int]]:
    """What the payment provider itself recorded for this payment."""
    ledger = Path(config.state_dir) / "provider" / "ledger.sqlite"
    with sqlite3.connect(f"file:{ledger}?mode=ro", uri=True) as conn:
        return conn.execute(
            "SELECT status, amount FROM charges WHERE payment_id = ?", (payment_id,)
        ).fetchall()


async def checkout_with_fault(
    shop: Any, point: str, action: str = "kill", **input: Any
) -> tuple[dict, str]:
    cart_id = await ready_cart(shop)
    payload = checkout_input(cart_id, **input)
    await (await shop(Saga).host_of(payload["checkout_id"])).arm_fault.remote(point, action)
    saga = shop(Saga).get(payload["checkout_id"])
    await saga.call(Saga.start, saga_type="checkout", input=payload)
    return await saga.call(Saga.outcome, timeout_s=120), cart_id


@pytest.mark.parametrize("when", ["before", "after"])
@pytest.mark.parametrize("step", STEPS)
async def test_the_orchestrator_killed_at_any_step_still_finishes_the_checkout(
    shop: Any, runtime_config: RuntimeConfig, step: str, when: str
) -> None:
    outcome, cart_id = await checkout_with_fault(shop, f"{when}:{step}")
    assert outcome["status"] == "completed", outcome
    assert provider_charges(runtime_config, f"pay-co-{cart_id}") == [
        ("captured", outcome["result"]["total"])
    ]
    assert (await shop(Order).get(f"ord-co-{cart_id}").call(Order.view))["status"] == "PAID"
    assert await check_invariants(shop) == []


@pytest.mark.parametrize("step", ["charge_payment", "create_shipment"])
async def test_the_orchestrator_killed_while_compensating_still_compensates(
    shop: Any, runtime_config: RuntimeConfig, step: str
) -> None:
    token = "tok_declined" if step == "charge_payment" else "tok_success"
    cart_id = await ready_cart(shop)
    unserved = to_unserved_region() if step == "create_shipment" else {}
    payload = checkout_input(cart_id, token=token, **unserved)
    saga_host = await shop(Saga).host_of(payload["checkout_id"])
    await saga_host.arm_fault.remote("after:compensate:reserve_inventory", "kill")
    saga = shop(Saga).get(payload["checkout_id"])
    await saga.call(Saga.start, saga_type="checkout", input=payload)
    outcome = await saga.call(Saga.outcome, timeout_s=120)
    assert outcome["status"] == "compensated", outcome
    assert outcome["failure"]["step"] == step
    assert await check_invariants(shop) == []


async def test_a_warehouse_host_killed_during_reserve_inventory_does_not_break_the_checkout(
    shop: Any, runtime_config: RuntimeConfig
) -> None:
    warehouse_pid = await (await shop(Warehouse).host_of("jkt")).ready.remote()
    outcome, cart_id = await checkout_with_fault(
        shop, "before:reserve_inventory", "kill_actor:warehouse-jkt@v0"
    )
    assert outcome["status"] == "completed", outcome
    assert await (await shop(Warehouse).host_of("jkt")).ready.remote() != warehouse_pid
    assert provider_charges(runtime_config, f"pay-co-{cart_id}") == [
        ("captured", outcome["result"]["total"])
    ]
    assert await check_invariants(shop) == []


async def test_a_shop_host_killed_with_16_checkouts_in_flight_completes_every_one_once(
    shop: Any, runtime_config: RuntimeConfig
) -> None:
    carts = [await ready_cart(shop) for _ in range(16)]
    payloads = [checkout_input(cart_id) for cart_id in carts]
    sagas = [shop(Saga).get(payload["checkout_id"]) for payload in payloads]
    await asyncio.gather(
        *(
            s.call(Saga.start, saga_type="checkout", input=p)
            for s, p in zip(sagas, payloads, strict=True)
        )
    )
    victim = await shop(Saga).host_of(payloads[0]["checkout_id"])
    kill_process(await victim.ready.remote())
    outcomes = await asyncio.gather(*(s.call(Saga.outcome, timeout_s=240) for s in sagas))
    assert [o["status"] for o in outcomes] == ["completed"] * 16, outcomes
    for cart_id, outcome in zip(carts, outcomes, strict=True):
        assert provider_charges(runtime_config, f"pay-co-{cart_id}") == [
            ("captured", outcome["result"]["total"])
        ]
        assert (await shop(Order).get(f"ord-co-{cart_id}").call(Order.view))["status"] == "PAID"
    assert await check_invariants(shop) == []


def test_hosts_are_named_detached_actors_in_the_rayshop_namespace(shop: Any) -> None:
    names = {
        a["name"]
        for a in ray.util.list_named_actors(all_namespaces=True)
        if a["namespace"] == "rayshop"
    }
    assert {"shop-0@v0", "warehouse-jkt@v0", "catalog-catalog@v0"} <= names


QUOTE_STEPS = ["lock_quote", *STEPS[1:]]
_quotes = itertools.count()


async def offered_quote(shop: Any) -> str:
    """A quote of an approved company for 20 TEA, offered at 9,000 each."""
    number = next(_quotes)
    company_id, quote_id = f"cmp-{number:08x}", f"q-{number:08x}"
    firm = shop(Company).get(company_id)
    profile = {"name": "PT Tahan Banting", "tax_id": "01.234.567.8-901"}
    await firm.call(Company.register, owner_id="u-buyer", email="b@example.com", profile=profile)
    await firm.call(Company.approve, by="u-admin")
    quote = shop(Quote).get(quote_id)
    wanted = {"lines": [{"sku": "TEA", "quantity": 20}]}
    await quote.call(
        Quote.request,
        company_id=company_id,
        by="u-buyer",
        currency="IDR",
        wanted=wanted,
        sellers=["seller-1"],
    )
    offer = {"lines": [{"sku": "TEA", "quantity": 20, "unit_price": 9_000}], "valid_for_s": 3600}
    await quote.call(Quote.offer, by="u-admin", terms=offer)
    return quote_id


async def accept_with_fault(
    shop: Any, quote_id: str, point: str, token: str = "tok_success"
) -> dict[str, Any]:
    """Accepts the offer with the orchestrator armed to die at `point`; the quote's alarm
    starts the order's saga. Its outcome."""
    saga_id = conversion_id(quote_id, 1)
    await (await shop(Saga).host_of(saga_id)).arm_fault.remote(point, "kill")
    terms = {"address": address(), "payment_token": token}
    await shop(Quote).get(quote_id).call(Quote.accept, by="u-buyer", offer=1, terms=terms)
    saga = shop(Saga).get(saga_id)
    return await eventually_ended(saga)


async def eventually_ended(saga: Any) -> dict[str, Any]:
    ended: dict[str, Any] = await eventually(
        lambda: saga.call(Saga.outcome, timeout_s=30),
        lambda outcome: outcome["status"] in ("completed", "compensated"),
        what="the quote's order saga ended",
    )
    return ended


@pytest.mark.parametrize("point", [*(f"before:{s}" for s in QUOTE_STEPS), "after:confirm_order"])
async def test_the_orchestrator_killed_at_any_quote_to_order_step_converts_the_quote_once(
    shop: Any, runtime_config: RuntimeConfig, point: str
) -> None:
    quote_id = await offered_quote(shop)
    outcome = await accept_with_fault(shop, quote_id, point)
    assert outcome["status"] == "completed", outcome
    saga_id = conversion_id(quote_id, 1)
    quote = await shop(Quote).get(quote_id).call(Quote.view)
    assert (quote["status"], quote["order_id"]) == ("CONVERTED", f"ord-{saga_id}")
    order = await shop(Order).get(f"ord-{saga_id}").call(Order.view)
    assert order["status"] == "PAID" and order["lines"][0]["unit_price"] == 9_000
    assert provider_charges(runtime_config, f"pay-{saga_id}") == [
        ("captured", order["totals"]["total"])
    ]
    assert await check_invariants(shop) == []


async def test_a_quote_whose_order_is_declined_with_the_orchestrator_killed_stays_accepted(
    shop: Any, runtime_config: RuntimeConfig
) -> None:
    quote_id = await offered_quote(shop)
    outcome = await accept_with_fault(
        shop, quote_id, "after:compensate:reserve_inventory", token="tok_declined"
    )
    assert outcome["status"] == "compensated", outcome
    quote = await shop(Quote).get(quote_id).call(Quote.view)
    assert quote["status"] == "ACCEPTED" and "declined" in quote["conversion"]["failure"]
    saga_id = conversion_id(quote_id, 1)
    order = await shop(Order).get(f"ord-{saga_id}").call(Order.view)
    assert order["status"] == "FAILED"
    assert provider_charges(runtime_config, f"pay-{saga_id}") == [
        ("declined", order["totals"]["total"])
    ]
    assert await check_invariants(shop) == []
