"""Fulfilment after payment: a seller or admin hands the order's parcels to the carrier
(`fulfil_order`), and the carrier's word that they arrived closes the order (`deliver_order`).

Both only move forward: each step is retried until it succeeds. The order is marked first, so a
cancellation racing a fulfilment is refused by the order before any stock leaves a warehouse
(and a cancelled order is refused by `fulfil_order` the same way)."""

from typing import Any

from pydantic import BaseModel

from actors.order import Order
from actors.shipment import Shipment
from actors.warehouse import Warehouse
from durable import RetryPolicy, SagaContext

FORWARD = RetryPolicy(attempts=20, max_backoff_s=5.0)


class OrderRef(BaseModel):
    order_id: str


async def fulfil_order(ctx: SagaContext, raw: dict[str, Any]) -> dict[str, Any]:
    shop = ctx.objects
    order_id = OrderRef.model_validate(raw).order_id
    order = shop(Order).get(order_id)
    shipments = (await order.call(Order.view))["shipments"]
    for shipment_id, shipment in sorted(shipments.items()):
        warehouse = shop(Warehouse).get(shipment["warehouse_id"])
        parcel = shop(Shipment).get(shipment_id)
        await ctx.step(
            f"mark_dispatched:{shipment_id}",
            lambda key, s=shipment_id: order.once(key).call(Order.dispatch, shipment_id=s),
        )
        await ctx.step(
            f"ship_stock:{shipment_id}",
            lambda key, w=warehouse: w.once(key).call(Warehouse.ship, reservation_id=order_id),
            retry=FORWARD,
        )
        await ctx.step(
            f"hand_to_carrier:{shipment_id}",
            lambda key, p=parcel: p.once(key).call(Shipment.dispatch),
            retry=FORWARD,
        )
    return {"order_id": order_id, "shipments": sorted(shipments)}


async def deliver_order(ctx: SagaContext, raw: dict[str, Any]) -> dict[str, Any]:
    shop = ctx.objects
    order_id = OrderRef.model_validate(raw).order_id
    order = shop(Order).get(order_id)
    shipments = (await order.call(Order.view))["shipments"]
    for shipment_id in sorted(shipments):
        parcel = shop(Shipment).get(shipment_id)
        await ctx.step(
            f"delivered:{shipment_id}",
            lambda key, p=parcel: p.once(key).call(Shipment.deliver),
            retry=FORWARD,
        )
    delivered = await ctx.step("deliver_order", lambda key: order.once(key).call(Order.deliver))
    return {"order_id": order_id, "status": delivered["status"]}
