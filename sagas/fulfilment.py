"""Fulfilment after payment: a seller or admin hands the order's parcels to the carrier
(`fulfil_order`), and the carrier's word that they arrived closes the order (`deliver_order`).

Both only move forward: each step is retried until it succeeds. The order is marked first, so a
cancellation racing a fulfilment is refused by the order before any stock leaves a warehouse
(and a cancelled order is refused by `fulfil_order` the same way)."""

from typing import Any

from durable.retry import RetryPolicy
from durable.saga.context import SagaContext

FORWARD = RetryPolicy(attempts=20, max_backoff_s=5.0)


async def fulfil_order(ctx: SagaContext, raw: dict[str, Any]) -> dict[str, Any]:
    shop = ctx.objects
    order_id = raw["order_id"]
    order = shop.orders.get(order_id)
    shipments = (await order.view())["shipments"]
    for shipment_id, shipment in sorted(shipments.items()):
        warehouse = shop.warehouses.get(shipment["warehouse_id"])
        parcel = shop.shipments.get(shipment_id)
        await ctx.step(
            f"mark_dispatched:{shipment_id}",
            lambda key, s=shipment_id: order.dispatch(shipment_id=s, idempotency_key=key),
        )
        await ctx.step(
            f"ship_stock:{shipment_id}",
            lambda key, w=warehouse: w.ship(reservation_id=order_id, idempotency_key=key),
            retry=FORWARD,
        )
        await ctx.step(
            f"hand_to_carrier:{shipment_id}",
            lambda key, p=parcel: p.dispatch(idempotency_key=key),
            retry=FORWARD,
        )
    return {"order_id": order_id, "shipments": sorted(shipments)}


async def deliver_order(ctx: SagaContext, raw: dict[str, Any]) -> dict[str, Any]:
    shop = ctx.objects
    order_id = raw["order_id"]
    order = shop.orders.get(order_id)
    shipments = (await order.view())["shipments"]
    for shipment_id in sorted(shipments):
        parcel = shop.shipments.get(shipment_id)
        await ctx.step(
            f"delivered:{shipment_id}",
            lambda key, p=parcel: p.deliver(idempotency_key=key),
            retry=FORWARD,
        )
    delivered = await ctx.step("deliver_order", lambda key: order.deliver(idempotency_key=key))
    return {"order_id": order_id, "status": delivered["status"]}
