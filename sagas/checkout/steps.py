"""The participant calls behind each checkout step and compensation. Every call carries the
step's idempotency key (with the warehouse where a step fans out), so a step that runs again
after a crash gets the first answers."""

import asyncio
import uuid
from typing import Any

from actors.payment import Payment
from actors.shipping import warehouse_sites
from domain.allocation import nearest, plan_allocation
from domain.geography import region
from domain.inventory import InsufficientStock
from durable import Objects, Saga
from sagas.checkout.models import CheckoutInput, PaymentDeclined

SERVICES = ("REG", "EXP")


class ReservationConflict(Exception):
    """Transient: the step is tried again."""


async def lock_cart(shop: Any, data: CheckoutInput, key: str) -> dict[str, Any]:
    """Locks the cart at prices the cart re-reads from the catalog."""
    locked = await shop.carts.get(data.cart_id).begin_checkout(
        checkout_id=data.checkout_id,
        address=data.address,
        shipping=data.shipping,
        idempotency_key=key,
    )
    for line in locked["lines"]:
        facts = locked["facts"][line["sku"]]
        line["seller_id"], line["weight_grams"] = facts["seller_id"], facts["weight_grams"]
    return locked


async def place_order(
    order: Any, data: CheckoutInput, locked: dict[str, Any], key: str
) -> dict[str, Any]:
    lines = [
        {
            "sku": line["sku"],
            "title": line["title"],
            "quantity": line["quantity"],
            "unit_price": line["unit_price"]["amount"],
            "seller_id": line["seller_id"],
        }
        for line in locked["lines"]
    ]
    return await order.place(
        customer_id=data.customer_id,
        currency=locked["summary"]["currency"],
        lines=lines,
        totals=locked["summary"],
        address=locked["address"],
        shipping=locked["shipping"],
        market=locked["market"],
        checkout_id=data.checkout_id,
        idempotency_key=key,
    )


async def reserve_inventory(
    shop: Any, data: CheckoutInput, locked: dict[str, Any], key: str
) -> dict[str, Any]:
    """Nearest first, then fewest shipments. The nearest warehouse is asked for everything
    first, as the plan would whenever it can; only if it refuses are all levels read.

    A run after a crash may plan differently from the run before it (stock moved meanwhile).
    A warehouse that answers with other lines than asked for holds an earlier run's
    reservation: then every reservation of the order is released and the plan made afresh
    under new keys, so the order never ships from a reservation smaller than its plan."""
    lines = {line["sku"]: line["quantity"] for line in locked["lines"]}
    destination = region(locked["address"]["region"])
    coordinates = (destination.latitude, destination.longitude)
    shipments = await _reserve_by_plan(shop, data, lines, coordinates, key)
    if shipments is None:
        fresh = f"{key}:again-{uuid.uuid4().hex[:8]}"
        await release_everywhere(shop, data, f"{fresh}:release")
        shipments = await _reserve_by_plan(shop, data, lines, coordinates, fresh)
        if shipments is None:
            raise ReservationConflict("the order's reservations changed while being replanned")
    return {"shipments": shipments}


async def _reserve_by_plan(
    shop: Any,
    data: CheckoutInput,
    lines: dict[str, int],
    coordinates: tuple[float, float],
    key: str,
) -> dict[str, dict[str, int]] | None:
    """The reserved plan, or None where a warehouse holds other lines for this order."""
    sites = await warehouse_sites(shop)
    first = nearest(sites, coordinates)
    try:
        held = await _reserve_at(shop, data, first.warehouse_id, lines, f"{key}:whole")
        return {first.warehouse_id: lines} if held == lines else None
    except InsufficientStock:
        pass
    levels = await asyncio.gather(
        *(shop.warehouses.get(s.warehouse_id).levels(skus=list(lines)) for s in sites)
    )
    available = {
        site.warehouse_id: {sku: level["available"] for sku, level in found.items()}
        for site, found in zip(sites, levels, strict=True)
    }
    plan = plan_allocation(lines, coordinates, sites, available)
    held = await asyncio.gather(
        *(_reserve_at(shop, data, w, wanted, key) for w, wanted in plan.shipments.items())
    )
    return plan.shipments if held == list(plan.shipments.values()) else None


async def _reserve_at(
    shop: Any, data: CheckoutInput, warehouse: str, lines: dict[str, int], key: str
) -> dict[str, int] | None:
    """The lines the warehouse holds for the order after the call (None: none open)."""
    reservation = await shop.warehouses.get(warehouse).reserve(
        reservation_id=data.order_id,
        lines=lines,
        ttl_s=data.reservation_ttl_s,
        idempotency_key=f"{key}:{warehouse}",
    )
    return reservation.get("lines")


async def charge(
    shop: Objects, saga_id: str, data: CheckoutInput, locked: dict[str, Any], key: str
) -> dict[str, Any]:
    """Charges the locked total; a pending payment tells this saga when it settles."""
    summary = locked["summary"]
    signal = shop(Saga).get(saga_id).later(Saga.signal, name=payment_event(data))
    payment = shop(Payment).get(data.payment_id)
    charged = await payment.charge(
        order_id=data.order_id,
        amount=summary["total"],
        currency=summary["currency"],
        method=data.payment_method,
        token=data.payment_token,
        notify=signal,
        idempotency_key=key,
    )
    if charged["status"] == "declined":
        raise PaymentDeclined(f"payment declined: {charged['reason']}", reason=charged["reason"])
    return charged


async def confirm_inventory(shop: Any, data: CheckoutInput, plan: dict[str, Any], key: str) -> None:
    await asyncio.gather(
        *(
            shop.warehouses.get(warehouse).confirm(
                reservation_id=data.order_id, idempotency_key=f"{key}:{warehouse}"
            )
            for warehouse in plan["shipments"]
        )
    )


async def create_shipments(
    shop: Any, data: CheckoutInput, locked: dict[str, Any], plan: dict[str, Any], key: str
) -> list[dict[str, Any]]:
    weights = {line["sku"]: line["weight_grams"] for line in locked["lines"]}
    origins = {site.warehouse_id: site.region for site in await warehouse_sites(shop)}

    async def ship_from(warehouse: str, wanted: dict[str, int]) -> dict[str, Any]:
        shipment = await shop.shipments.get(data.shipment_id(warehouse)).create(
            order_id=data.order_id,
            warehouse_id=warehouse,
            origin_region=origins[warehouse],
            destination_region=locked["address"]["region"],
            weight_grams=sum(weights[sku] * quantity for sku, quantity in wanted.items()),
            service=locked["shipping"]["code"] if locked["shipping"]["code"] in SERVICES else "REG",
            idempotency_key=f"{key}:{warehouse}",
        )
        return shipment

    return list(
        await asyncio.gather(*(ship_from(w, wanted) for w, wanted in plan["shipments"].items()))
    )


async def confirm_order(
    cart: Any,
    order: Any,
    data: CheckoutInput,
    locked: dict[str, Any],
    shipments: list[dict[str, Any]],
    key: str,
) -> None:
    """Order PAID with its shipments attached, cart emptied; OrderConfirmed goes out."""
    attached = [
        {k: s[k] for k in ("shipment_id", "warehouse_id", "tracking_number")} for s in shipments
    ]
    await asyncio.gather(
        order.pay(
            payment_id=data.payment_id,
            amount=locked["summary"]["total"],
            shipments=attached,
            idempotency_key=key,
        ),
        cart.complete_checkout(checkout_id=data.checkout_id, idempotency_key=f"{key}:cart"),
    )


# compensations and helpers


async def release_everywhere(shop: Any, data: CheckoutInput, key: str) -> None:
    """Releases the order's reservation at every warehouse (a no-op where there is none)."""
    sites = await warehouse_sites(shop)
    await asyncio.gather(
        *(
            shop.warehouses.get(s.warehouse_id).release(
                reservation_id=data.order_id,
                reason="checkout failed",
                idempotency_key=f"{key}:{s.warehouse_id}",
            )
            for s in sites
        )
    )


async def cancel_shipments(shop: Any, data: CheckoutInput, plan: dict[str, Any], key: str) -> None:
    for warehouse in plan["shipments"]:
        shipment_id = data.shipment_id(warehouse)
        await shop.shipments.get(shipment_id).cancel_if_present(
            reason="checkout failed", idempotency_key=f"{key}:{warehouse}"
        )


def payment_event(data: CheckoutInput) -> str:
    return f"payment:{data.payment_id}"
