"""The participant calls behind each checkout step and compensation. Every call carries the
step's idempotency key (with the warehouse where a step fans out), so a step that runs again
after a crash gets the first answers."""

import asyncio
import uuid
from typing import Any

from actors.cart import Cart
from actors.coupons import COUPONS_KEY, Coupons
from actors.order import Order
from actors.payment import Payment
from actors.shipment import Shipment
from actors.shipping import warehouse_sites
from actors.warehouse import Warehouse
from domain.allocation import nearest, plan_allocation
from domain.geography import region
from domain.inventory import InsufficientStock
from durable import Objects, Saga
from sagas.checkout.models import (
    CheckoutInput,
    LockedCart,
    LockedLine,
    Parcel,
    Parcels,
    PaymentDeclined,
    ReservationPlan,
    SaleInput,
)

SERVICES = ("REG", "EXP")


class ReservationConflict(Exception):
    """Transient: the step is tried again."""


async def lock_cart(shop: Objects, data: CheckoutInput, key: str) -> LockedCart:
    """Locks the cart at prices the cart re-reads from the catalog."""
    cart = shop(Cart).get(data.cart_id).once(key)
    locked = await cart.call(
        Cart.begin_checkout,
        checkout_id=data.checkout_id,
        address=data.address,
        shipping=data.shipping,
    )
    facts = locked["facts"]
    lines = [
        LockedLine(
            **line,
            seller_id=facts[line["sku"]]["seller_id"],
            weight_grams=facts[line["sku"]]["weight_grams"],
        )
        for line in locked["lines"]
    ]
    return LockedCart.model_validate({**locked, "lines": lines})


async def unlock_cart(shop: Objects, data: CheckoutInput, key: str) -> None:
    cart = shop(Cart).get(data.cart_id).once(key)
    await cart.call(Cart.abandon_checkout, checkout_id=data.checkout_id)


async def place_order(
    shop: Objects, data: SaleInput, locked: LockedCart, key: str
) -> dict[str, Any]:
    lines = [
        {
            "sku": line.sku,
            "title": line.title,
            "quantity": line.quantity,
            "unit_price": line.unit_price.amount,
            "seller_id": line.seller_id,
        }
        for line in locked.lines
    ]
    return await (
        shop(Order)
        .get(data.order_id)
        .once(key)
        .call(
            Order.place,
            customer_id=data.customer_id,
            currency=locked.summary.currency or "",
            lines=lines,
            totals=locked.summary.model_dump(mode="json"),
            address=locked.address.model_dump(mode="json"),
            shipping=locked.shipping.model_dump(mode="json"),
            market=locked.market,
            checkout_id=data.checkout_id,
            company_id=data.company_id,
        )
    )


async def fail_order(shop: Objects, data: SaleInput, reason: str, key: str) -> None:
    await shop(Order).get(data.order_id).once(key).call(Order.fail, reason=reason)


async def reserve_inventory(
    shop: Objects, data: SaleInput, locked: LockedCart, key: str
) -> ReservationPlan:
    """Nearest first, then fewest shipments. The nearest warehouse is asked for everything
    first, as the plan would whenever it can; only if it refuses are all levels read.

    A run after a crash may plan differently from the run before it (stock moved meanwhile).
    A warehouse that answers with other lines than asked for holds an earlier run's
    reservation: then every reservation of the order is released and the plan made afresh
    under new keys, so the order never ships from a reservation smaller than its plan."""
    lines = {line.sku: line.quantity for line in locked.lines}
    destination = region(locked.address.region)
    coordinates = (destination.latitude, destination.longitude)
    shipments = await _reserve_by_plan(shop, data, lines, coordinates, key)
    if shipments is None:
        fresh = f"{key}:again-{uuid.uuid4().hex[:8]}"
        await release_everywhere(shop, data, f"{fresh}:release")
        shipments = await _reserve_by_plan(shop, data, lines, coordinates, fresh)
        if shipments is None:
            raise ReservationConflict("the order's reservations changed while being replanned")
    return ReservationPlan(shipments=shipments)


async def _reserve_by_plan(
    shop: Objects,
    data: SaleInput,
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
    warehouses = shop(Warehouse)
    levels = await asyncio.gather(
        *(
            warehouses.get(site.warehouse_id).call(Warehouse.levels, skus=list(lines))
            for site in sites
        )
    )
    available = {
        site.warehouse_id: {sku: level["available"] for sku, level in found.items()}
        for site, found in zip(sites, levels, strict=True)
    }
    plan = plan_allocation(lines, coordinates, sites, available)
    held_each = await asyncio.gather(
        *(_reserve_at(shop, data, w, wanted, key) for w, wanted in plan.shipments.items())
    )
    return plan.shipments if held_each == list(plan.shipments.values()) else None


async def _reserve_at(
    shop: Objects, data: SaleInput, warehouse: str, lines: dict[str, int], key: str
) -> dict[str, int] | None:
    """The lines the warehouse holds for the order after the call (None: none open)."""
    reservation = await (
        shop(Warehouse)
        .get(warehouse)
        .once(f"{key}:{warehouse}")
        .call(
            Warehouse.reserve,
            reservation_id=data.order_id,
            lines=lines,
            ttl_s=data.reservation_ttl_s,
        )
    )
    held: dict[str, int] | None = reservation.get("lines")
    return held


async def redeem_coupon(shop: Objects, data: SaleInput, code: str, key: str) -> None:
    coupons = shop(Coupons).get(COUPONS_KEY).once(key)
    await coupons.call(Coupons.redeem, code=code, checkout_id=data.checkout_id)


async def release_coupon(shop: Objects, data: SaleInput, code: str, key: str) -> None:
    coupons = shop(Coupons).get(COUPONS_KEY).once(key)
    await coupons.call(Coupons.release, code=code, checkout_id=data.checkout_id)


async def charge(
    shop: Objects, saga_id: str, data: SaleInput, locked: LockedCart, key: str
) -> dict[str, Any]:
    """Charges the locked total; a pending payment tells this saga when it settles."""
    signal = shop(Saga).get(saga_id).later(Saga.signal, name=data.payment_event)
    charged = await (
        shop(Payment)
        .get(data.payment_id)
        .once(key)
        .call(
            Payment.charge,
            order_id=data.order_id,
            amount=locked.summary.total,
            currency=locked.summary.currency or "",
            method=data.payment_method,
            token=data.payment_token,
            notify=signal,
            bank=data.payment_bank,
            expires_in_s=data.payment_timeout_s,
        )
    )
    if charged["status"] == "declined":
        raise PaymentDeclined(f"payment declined: {charged['reason']}", reason=charged["reason"])
    return charged


async def refund_payment(shop: Objects, data: SaleInput, reason: str, key: str) -> None:
    payment = shop(Payment).get(data.payment_id).once(key)
    await payment.call(Payment.cancel_if_present, reason=reason)


async def await_payment(shop: Objects, data: SaleInput, key: str) -> None:
    order = shop(Order).get(data.order_id).once(key)
    await order.call(Order.await_payment, payment_id=data.payment_id)


async def settled_payment(shop: Objects, data: SaleInput) -> dict[str, Any] | None:
    """The payment if it settled (captured, expired or voided), else None."""
    status = await shop(Payment).get(data.payment_id).call(Payment.status)
    return status if status["status"] in ("captured", "expired", "voided") else None


async def confirm_inventory(
    shop: Objects, data: SaleInput, plan: ReservationPlan, key: str
) -> None:
    warehouses = shop(Warehouse)
    await asyncio.gather(
        *(
            warehouses.get(warehouse)
            .once(f"{key}:{warehouse}")
            .call(Warehouse.confirm, reservation_id=data.order_id)
            for warehouse in plan.shipments
        )
    )


async def create_shipments(
    shop: Objects, data: SaleInput, locked: LockedCart, plan: ReservationPlan, key: str
) -> Parcels:
    weights = {line.sku: line.weight_grams for line in locked.lines}
    origins = {site.warehouse_id: site.region for site in await warehouse_sites(shop)}
    service = locked.shipping.code if locked.shipping.code in SERVICES else "REG"

    async def ship_from(warehouse: str, wanted: dict[str, int]) -> Parcel:
        shipment = shop(Shipment).get(data.shipment_id(warehouse)).once(f"{key}:{warehouse}")
        created = await shipment.call(
            Shipment.create,
            order_id=data.order_id,
            warehouse_id=warehouse,
            origin_region=origins[warehouse],
            destination_region=locked.address.region,
            weight_grams=sum(weights[sku] * quantity for sku, quantity in wanted.items()),
            service=service,
        )
        return Parcel.model_validate(created)

    parcels = await asyncio.gather(*(ship_from(w, wanted) for w, wanted in plan.shipments.items()))
    return Parcels(list(parcels))


async def pay_order(
    shop: Objects, data: SaleInput, locked: LockedCart, parcels: Parcels, key: str
) -> None:
    """Order PAID with its shipments attached; OrderConfirmed goes out."""
    attached = [
        parcel.model_dump(include={"shipment_id", "warehouse_id", "tracking_number"})
        for parcel in parcels.root
    ]
    order = shop(Order).get(data.order_id).once(key)
    await order.call(
        Order.pay, payment_id=data.payment_id, amount=locked.summary.total, shipments=attached
    )


async def empty_cart(shop: Objects, data: CheckoutInput, key: str) -> None:
    """The checkout's cart, emptied of what the order bought."""
    cart = shop(Cart).get(data.cart_id).once(f"{key}:cart")
    await cart.call(Cart.complete_checkout, checkout_id=data.checkout_id)


# compensations


async def release_everywhere(shop: Objects, data: SaleInput, key: str) -> None:
    """Releases the order's reservation at every warehouse (a no-op where there is none)."""
    warehouses = shop(Warehouse)
    await asyncio.gather(
        *(
            warehouses.get(site.warehouse_id)
            .once(f"{key}:{site.warehouse_id}")
            .call(Warehouse.release, reservation_id=data.order_id, reason="checkout failed")
            for site in await warehouse_sites(shop)
        )
    )


async def cancel_shipments(shop: Objects, data: SaleInput, plan: ReservationPlan, key: str) -> None:
    for warehouse in plan.shipments:
        shipment = shop(Shipment).get(data.shipment_id(warehouse)).once(f"{key}:{warehouse}")
        await shipment.call(Shipment.cancel_if_present, reason="checkout failed")
