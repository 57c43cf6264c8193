"""The checkout saga of ARCHITECTURE §5.6: seven steps, each with its compensation registered
before it runs; on a business failure the finished steps are undone in reverse.

Steps that need only what is already known run together: the order and the reservations
both need just the locked cart; confirming the reservations and creating the shipments both
need just the paid plan. The chain a checkout waits for is five steps long, not seven.

Ids derive from the checkout id, so a repeated checkout finds the same order, payment and
shipments; every participant call carries `<saga id>:<step>[:<warehouse>]` as its key.
"""

from typing import Any

from actors.coupons import COUPONS_KEY
from durable.retry import RetryPolicy
from durable.saga.context import SagaContext
from sagas.checkout.models import CheckoutInput, PaymentNotCompleted
from sagas.checkout.steps import (
    cancel_shipments,
    charge,
    confirm_inventory,
    confirm_order,
    create_shipments,
    lock_cart,
    payment_event,
    place_order,
    release_everywhere,
    reserve_inventory,
)

PAYMENT_POLICY = RetryPolicy(attempts=6, first_backoff_s=0.05)


async def checkout(ctx: SagaContext, raw: dict[str, Any]) -> dict[str, Any]:
    data = CheckoutInput.model_validate(raw)
    shop = ctx.objects
    cart, order = shop.carts.get(data.cart_id), shop.orders.get(data.order_id)
    payment = shop.payments.get(data.payment_id)

    locked = await ctx.step(
        "lock_cart",
        lambda key: lock_cart(shop, data, key),
        compensate=lambda _: cart.abandon_checkout(
            checkout_id=data.checkout_id, idempotency_key=ctx.key("unlock_cart")
        ),
    )
    _, plan, *_ = await ctx.together(
        ctx.step(
            "place_order",
            lambda key: place_order(order, data, locked, key),
            compensate=lambda _: order.fail(
                reason=failure_reason(ctx), idempotency_key=ctx.key("fail_order")
            ),
        ),
        ctx.step(
            "reserve_inventory",
            lambda key: reserve_inventory(shop, data, locked, key),
            compensate=lambda _: release_everywhere(shop, data, ctx.key("release_inventory")),
        ),
        *redeem_coupon(ctx, data, locked["coupon"]),
    )
    charged = await ctx.step(
        "charge_payment",
        lambda key: charge(shop, ctx.saga_id, data, locked, key),
        compensate=lambda _: payment.cancel_if_present(
            reason=failure_reason(ctx), idempotency_key=ctx.key("refund_payment")
        ),
        retry=PAYMENT_POLICY,
    )
    if charged["status"] == "pending":
        await settle_pending_payment(ctx, order, payment, data)
    _, shipments = await ctx.together(
        ctx.step(
            "confirm_inventory",
            lambda key: confirm_inventory(shop, data, plan, key),
            compensate=lambda _: release_everywhere(shop, data, ctx.key("unallocate_inventory")),
        ),
        ctx.step(
            "create_shipment",
            lambda key: create_shipments(shop, data, locked, plan, key),
            compensate=lambda _: cancel_shipments(shop, data, plan, ctx.key("cancel_shipment")),
        ),
    )
    await ctx.step(
        "confirm_order", lambda key: confirm_order(cart, order, data, locked, shipments, key)
    )
    return {
        "order_id": data.order_id,
        "payment_id": data.payment_id,
        "total": locked["summary"]["total"],
        "currency": locked["summary"]["currency"],
        "shipments": shipments,
    }


async def settle_pending_payment(
    ctx: SagaContext, order: Any, payment: Any, data: CheckoutInput
) -> None:
    """QRIS / virtual account: the order awaits payment until the webhook (or the deadline)."""
    await ctx.step(
        "await_payment",
        lambda key: order.await_payment(payment_id=data.payment_id, idempotency_key=key),
    )

    async def poll() -> dict[str, Any] | None:
        status = await payment.status()
        return status if status["status"] in ("captured", "expired", "voided") else None

    settled = await ctx.wait_for_event(payment_event(data), data.payment_timeout_s, poll=poll)

    async def require_captured(_: str) -> dict[str, Any]:
        if settled["status"] != "captured":
            raise PaymentNotCompleted(f"payment {settled['status']}", status=settled["status"])
        return settled

    await ctx.step("payment_settled", require_captured)


def redeem_coupon(ctx: SagaContext, data: CheckoutInput, code: str | None) -> list[Any]:
    """The coupon's use counted against its limit (no step when the cart has none)."""
    if code is None:
        return []
    coupons = ctx.objects.coupon_books.get(COUPONS_KEY)
    return [
        ctx.step(
            "redeem_coupon",
            lambda key: coupons.redeem(
                code=code, checkout_id=data.checkout_id, idempotency_key=key
            ),
            compensate=lambda _: coupons.release(
                code=code, checkout_id=data.checkout_id, idempotency_key=ctx.key("release_coupon")
            ),
        )
    ]


def failure_reason(ctx: SagaContext) -> str:
    failure = ctx.journal.failure
    return f"{failure.step}: {failure.message}" if failure else "checkout failed"
