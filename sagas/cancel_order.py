"""Cancelling a paid order that has not shipped: refund, give the allocated stock back, cancel
the labels. The order is cancelled first, so nothing ships meanwhile; the rest only moves
forward (each step retried until it succeeds)."""

import asyncio
from typing import Any

from durable.retry import RetryPolicy
from durable.saga.context import SagaContext

FORWARD = RetryPolicy(attempts=20, max_backoff_s=5.0)


async def cancel_order(ctx: SagaContext, raw: dict[str, Any]) -> dict[str, Any]:
    shop = ctx.objects
    order_id, reason = raw["order_id"], raw.get("reason", "cancelled by request")
    order = shop.orders.get(order_id)
    cancelled = await ctx.step(
        "cancel_order", lambda key: order.cancel(reason=reason, idempotency_key=key)
    )
    payment_id = cancelled["payment_id"]
    warehouses = sorted({s["warehouse_id"] for s in cancelled["shipments"].values()})
    shipments = sorted(cancelled["shipments"])

    async def refund(key: str) -> dict[str, Any]:
        return await shop.payments.get(payment_id).cancel_if_present(
            reason=reason, idempotency_key=key
        )

    async def release(key: str) -> None:
        await asyncio.gather(
            *(
                shop.warehouses.get(w).release(
                    reservation_id=order_id, reason=reason, idempotency_key=f"{key}:{w}"
                )
                for w in warehouses
            )
        )

    async def cancel_labels(key: str) -> None:
        for shipment_id in shipments:
            await shop.shipments.get(shipment_id).cancel_if_present(
                reason=reason, idempotency_key=f"{key}:{shipment_id}"
            )

    refunded = await ctx.step("refund_payment", refund, retry=FORWARD)
    await ctx.step("release_inventory", release, retry=FORWARD)
    await ctx.step("cancel_shipments", cancel_labels, retry=FORWARD)
    return {
        "order_id": order_id,
        "refunded": refunded["amount"] if refunded["status"] == "refunded" else 0,
    }
