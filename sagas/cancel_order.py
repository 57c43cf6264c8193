"""Cancelling a paid order that has not shipped: refund, give the allocated stock back, cancel
the labels. The order is cancelled first, so nothing ships meanwhile; the rest only moves
forward (each step retried until it succeeds)."""

import asyncio
from typing import Any

from actors.order import Order
from actors.payment import Payment
from actors.shipment import Shipment
from actors.warehouse import Warehouse
from durable import RetryPolicy, SagaContext
from sagas.order_sagas import OrderSagaInput

FORWARD = RetryPolicy(attempts=20, max_backoff_s=5.0)


async def cancel_order(ctx: SagaContext, raw: dict[str, Any]) -> dict[str, Any]:
    shop = ctx.objects
    request = OrderSagaInput.model_validate(raw)
    order_id, reason = request.order_id, request.reason
    order = shop(Order).get(order_id)
    cancelled = await ctx.step(
        "cancel_order", lambda key: order.once(key).call(Order.cancel, reason=reason)
    )
    payment = shop(Payment).get(cancelled["payment_id"])
    warehouses = sorted({s["warehouse_id"] for s in cancelled["shipments"].values()})
    shipments = sorted(cancelled["shipments"])

    async def release(key: str) -> None:
        await asyncio.gather(
            *(
                shop(Warehouse)
                .get(w)
                .once(f"{key}:{w}")
                .call(Warehouse.release, reservation_id=order_id, reason=reason)
                for w in warehouses
            )
        )

    async def cancel_labels(key: str) -> None:
        for shipment_id in shipments:
            shipment = shop(Shipment).get(shipment_id).once(f"{key}:{shipment_id}")
            await shipment.call(Shipment.cancel_if_present, reason=reason)

    refunded = await ctx.step(
        "refund_payment",
        lambda key: payment.once(key).call(Payment.cancel_if_present, reason=reason),
        retry=FORWARD,
    )
    await ctx.step("release_inventory", release, retry=FORWARD)
    await ctx.step("cancel_shipments", cancel_labels, retry=FORWARD)
    return {
        "order_id": order_id,
        "refunded": refunded["amount"] if refunded["status"] == "refunded" else 0,
    }
