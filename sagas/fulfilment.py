"""Fulfilment after payment: a seller or admin hands the order's parcels to the carrier
(`fulfil_order`), and the carrier's word that they arrived closes the order (`deliver_order`).

Both only move forward: each step is retried until it succeeds. The order is marked first, so a
cancellation racing a fulfilment is refused by the order before any stock leaves a warehouse
(and a cancelled order is refused by `fulfil_order` the same way)."""

from collections.abc import Awaitable, Callable
from typing import Any

from actors.order import Order
from actors.shipment import Shipment
from actors.warehouse import Warehouse
from durable import ObjectStub, RetryPolicy, SagaContext
from sagas.order_sagas import OrderSagaInput

FORWARD = RetryPolicy(attempts=20, max_backoff_s=5.0)


async def fulfil_order(ctx: SagaContext, raw: dict[str, Any]) -> dict[str, Any]:
    shop = ctx.objects
    order_id = OrderSagaInput.model_validate(raw).order_id
    order = shop(Order).get(order_id)
    shipments = (await order.call(Order.view))["shipments"]
    for shipment_id, shipment in sorted(shipments.items()):
        await hand_over(ctx, order, shipment_id, shipment["warehouse_id"])
    return {"order_id": order_id, "shipments": sorted(shipments)}


async def hand_over(
    ctx: SagaContext, order: ObjectStub[Order], shipment_id: str, warehouse_id: str
) -> None:
    """One parcel: marked on the order, its stock shipped, handed to the carrier."""
    warehouse = ctx.objects(Warehouse).get(warehouse_id)
    parcel = ctx.objects(Shipment).get(shipment_id)
    await ctx.step(
        f"mark_dispatched:{shipment_id}",
        lambda key: order.once(key).call(Order.dispatch, shipment_id=shipment_id),
    )
    await ctx.step(
        f"ship_stock:{shipment_id}",
        lambda key: warehouse.once(key).call(Warehouse.ship, reservation_id=order.key),
        retry=FORWARD,
    )
    await ctx.step(
        f"hand_to_carrier:{shipment_id}",
        lambda key: parcel.once(key).call(Shipment.dispatch),
        retry=FORWARD,
    )


def deliver_parcel(parcel: ObjectStub[Shipment]) -> Callable[[str], Awaitable[dict[str, Any]]]:
    return lambda key: parcel.once(key).call(Shipment.deliver)


async def deliver_order(ctx: SagaContext, raw: dict[str, Any]) -> dict[str, Any]:
    shop = ctx.objects
    order_id = OrderSagaInput.model_validate(raw).order_id
    order = shop(Order).get(order_id)
    shipments = (await order.call(Order.view))["shipments"]
    for shipment_id in sorted(shipments):
        parcel = shop(Shipment).get(shipment_id)
        await ctx.step(f"delivered:{shipment_id}", deliver_parcel(parcel), retry=FORWARD)
    delivered = await ctx.step("deliver_order", lambda key: order.once(key).call(Order.deliver))
    return {"order_id": order_id, "status": delivered["status"]}
