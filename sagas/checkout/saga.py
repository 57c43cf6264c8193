"""The checkout saga of ARCHITECTURE §5.6: seven steps, each with its compensation registered
before it runs; on a business failure the finished steps are undone in reverse.

Steps that need only what is already known run together: the order and the reservations
both need just the locked cart; confirming the reservations and creating the shipments both
need just the paid plan. The chain a checkout waits for is five steps long, not seven.

Ids derive from the checkout id, so a repeated checkout finds the same order, payment and
shipments; every participant call carries `<saga id>:<step>[:<warehouse>]` as its key.
"""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from durable import RetryPolicy, SagaContext
from sagas.checkout.models import (
    CheckoutInput,
    LockedCart,
    Parcels,
    PaymentNotCompleted,
    ReservationPlan,
    SaleInput,
)
from sagas.checkout.steps import (
    await_payment,
    cancel_shipments,
    charge,
    confirm_inventory,
    create_shipments,
    empty_cart,
    fail_order,
    lock_cart,
    pay_order,
    place_order,
    redeem_coupon,
    refund_payment,
    release_coupon,
    release_everywhere,
    reserve_inventory,
    settled_payment,
    unlock_cart,
)

PAYMENT_POLICY = RetryPolicy(attempts=6, first_backoff_s=0.05)
Completion = Callable[[str], Awaitable[None]]
"""What else the confirming step does with its key: empty the cart, convert the quote."""


async def checkout(ctx: SagaContext, raw: dict[str, Any]) -> dict[str, Any]:
    data = CheckoutInput.model_validate(raw)
    shop = ctx.objects

    locked = await ctx.step(
        "lock_cart",
        lambda key: lock_cart(shop, data, key),
        returns=LockedCart,
        compensate=lambda _: unlock_cart(shop, data, ctx.key("unlock_cart")),
    )
    return await sell(ctx, data, locked, alongside=lambda key: empty_cart(shop, data, key))


async def sell(
    ctx: SagaContext,
    data: SaleInput,
    locked: LockedCart,
    *,
    alongside: Completion | None = None,
    then: Completion | None = None,
) -> dict[str, Any]:
    """The steps after the lines are locked, whatever locked them: order, reservations,
    payment, allocation, shipments, confirmation. The confirming step also runs
    `alongside` while the order is paid, and `then` once it is."""
    shop = ctx.objects
    _, plan, *_ = await ctx.together(
        ctx.step(
            "place_order",
            lambda key: place_order(shop, data, locked, key),
            compensate=lambda _: fail_order(shop, data, failure_reason(ctx), ctx.key("fail_order")),
        ),
        ctx.step(
            "reserve_inventory",
            lambda key: reserve_inventory(shop, data, locked, key),
            returns=ReservationPlan,
            compensate=lambda _: release_everywhere(shop, data, ctx.key("release_inventory")),
        ),
        *coupon_steps(ctx, data, locked.coupon),
    )
    charged = await ctx.step(
        "charge_payment",
        lambda key: charge(shop, ctx.saga_id, data, locked, key),
        compensate=lambda _: refund_payment(
            shop, data, failure_reason(ctx), ctx.key("refund_payment")
        ),
        retry=PAYMENT_POLICY,
    )
    if charged["status"] == "pending":
        await settle_pending_payment(ctx, data)
    _, parcels = await ctx.together(
        ctx.step(
            "confirm_inventory",
            lambda key: confirm_inventory(shop, data, plan, key),
            compensate=lambda _: release_everywhere(shop, data, ctx.key("unallocate_inventory")),
        ),
        ctx.step(
            "create_shipment",
            lambda key: create_shipments(shop, data, locked, plan, key),
            returns=Parcels,
            compensate=lambda _: cancel_shipments(shop, data, plan, ctx.key("cancel_shipment")),
        ),
    )

    async def confirm(key: str) -> None:
        paid = pay_order(shop, data, locked, parcels, key)
        await asyncio.gather(paid, *([alongside(key)] if alongside else []))
        if then is not None:
            await then(key)

    await ctx.step("confirm_order", confirm)
    return {
        "order_id": data.order_id,
        "payment_id": data.payment_id,
        "total": locked.summary.total,
        "currency": locked.summary.currency,
        "shipments": parcels.model_dump(mode="json"),
    }


async def settle_pending_payment(ctx: SagaContext, data: SaleInput) -> None:
    """QRIS / virtual account: the order awaits payment until the webhook (or the deadline)."""
    shop = ctx.objects
    await ctx.step("await_payment", lambda key: await_payment(shop, data, key))
    settled = await ctx.wait_for_event(
        data.payment_event, data.payment_timeout_s, poll=lambda: settled_payment(shop, data)
    )

    async def require_captured(_: str) -> dict[str, Any]:
        if settled["status"] != "captured":
            raise PaymentNotCompleted(f"payment {settled['status']}", status=settled["status"])
        return settled

    await ctx.step("payment_settled", require_captured)


def coupon_steps(ctx: SagaContext, data: SaleInput, code: str | None) -> list[Any]:
    """The coupon's use counted against its limit (no step when the cart has none)."""
    if code is None:
        return []
    shop = ctx.objects
    return [
        ctx.step(
            "redeem_coupon",
            lambda key: redeem_coupon(shop, data, code, key),
            compensate=lambda _: release_coupon(shop, data, code, ctx.key("release_coupon")),
        )
    ]


def failure_reason(ctx: SagaContext) -> str:
    failure = ctx.journal.failure
    return f"{failure.step}: {failure.message}" if failure else "checkout failed"
