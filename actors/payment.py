"""The payment object (partitioned, one per payment, keyed by payment id).

A charge is taken once: a repeat returns the first result, and the provider is asked with
the same payment id, so even a repeat after a crash does not charge twice. Pending methods
(QRIS, virtual account) settle through the provider's signed webhook; until then the
payment shows the instructions the shopper pays with (ARCHITECTURE §7).
"""

import json
from typing import Any, cast, get_args

from pydantic import BaseModel

from actors.groups import SHOP_GROUP
from actors.payment_provider import PaymentProvider, signature_valid
from actors.secrets import secret
from domain.errors import DomainError
from domain.events import PAYMENT_EVENTS
from domain.money import MAX_AMOUNT
from domain.payment_instructions import QRIS_CURRENCY, Bank, PaymentInstructions
from durable import (
    Callback,
    CallContext,
    DurableObject,
    Event,
    Partitioned,
    RuntimeConfig,
    command,
    query,
)

METHODS = ("card", "qris", "virtual_account")
PENDING_METHODS = ("qris", "virtual_account")
BANKS: tuple[Bank, ...] = get_args(Bank)
DEFAULT_PAYMENT_WINDOW_S = 900.0


class InvalidSignature(DomainError):
    code = "invalid_signature"


class InvalidPayment(DomainError):
    code = "invalid_payment"


class PaymentState(BaseModel):
    status: str = "new"  # new, pending, captured, declined, expired, refunded, voided
    order_id: str | None = None
    amount: int = 0
    currency: str | None = None
    method: str | None = None
    reason: str = ""
    instructions: PaymentInstructions | None = None
    """How the shopper pays while the payment is pending."""
    notify: Callback | None = None
    """Who to tell when a pending payment settles (a checkout saga waiting for it)."""


class Payment(DurableObject):
    kind = "payment"
    collection = "payments"
    placement = Partitioned(partitions=4, hosts=2, group=SHOP_GROUP)
    state_model = PaymentState
    state: PaymentState

    def apply(self, event: Event) -> None:
        state, data = self.state, event.data
        match event.type:
            case "PaymentRequested":
                state.order_id, state.amount = data["order_id"], data["amount"]
                state.currency, state.method = data["currency"], data["method"]
                notify = data.get("notify")
                state.notify = Callback.model_validate(notify) if notify else None
            case "PaymentCaptured":
                state.status = "captured"
            case "PaymentPending":
                state.status = "pending"
                found = data.get("instructions")
                state.instructions = PaymentInstructions.model_validate(found) if found else None
            case "PaymentDeclined":
                state.status, state.reason = "declined", data["reason"]
            case "PaymentExpired":
                state.status = "expired"
            case "PaymentRefunded":
                state.status, state.reason = "refunded", data["reason"]
            case "PaymentVoided":
                state.status, state.reason = "voided", data["reason"]

    def index(self) -> tuple[str | None, str | None]:
        return self.state.order_id, self.state.status

    @command
    async def charge(
        self,
        ctx: CallContext,
        order_id: str,
        amount: int,
        currency: str,
        method: str,
        token: str,
        notify: Callback | None = None,
        bank: str | None = None,
        expires_in_s: float = DEFAULT_PAYMENT_WINDOW_S,
    ) -> dict[str, Any]:
        """Charges once; returns the payment with status captured, declined or pending. A
        pending one (QRIS, or a virtual account at `bank`) may be paid for `expires_in_s`."""
        if self.state.status != "new":
            return self.view_state()
        _check_terms(method, amount, currency, bank)
        answer = await ctx.adapter(PaymentProvider).charge(
            self.key,
            amount,
            currency,
            method,
            token,
            bank=cast("Bank | None", bank),  # checked above
            expires_at=ctx.now() + expires_in_s,
        )
        requested = {"order_id": order_id, "amount": amount, "currency": currency, "method": method}
        told = notify.model_dump() if notify is not None else None
        ctx.emit("PaymentRequested", {**requested, "notify": told})
        outcome = {
            "captured": "PaymentCaptured",
            "declined": "PaymentDeclined",
            "pending": "PaymentPending",
        }
        instructions = answer.instructions.model_dump() if answer.instructions else None
        self._record(
            ctx,
            outcome[answer.status],
            {
                "provider_ref": answer.provider_ref,
                "reason": answer.reason,
                "instructions": instructions,
            },
        )
        return self.view_state()

    @command
    async def webhook(self, ctx: CallContext, body: str, signature: str) -> dict[str, Any]:
        """The provider's word on a pending payment, accepted only with a valid signature."""
        if not signature_valid(webhook_secret(ctx.config), body, signature):
            raise InvalidSignature("the webhook signature does not match")
        message = json.loads(body)
        if message.get("payment_id") != self.key:
            raise InvalidSignature("the webhook is for another payment")
        if self.state.status == "pending":
            settled = "PaymentCaptured" if message["status"] == "paid" else "PaymentExpired"
            self._record(ctx, settled, {})
            self._tell_settled(ctx)
        return self.view_state()

    def _tell_settled(self, ctx: CallContext) -> None:
        """Tells whoever waits for this pending payment (the checkout saga) how it ended,
        once the change is durable."""
        notify, settled = self.state.notify, self.view_state()
        if notify is not None:
            objects = ctx.objects
            ctx.spawn(lambda _: objects.run_callback(notify, payload=settled))

    @command
    async def cancel_if_present(self, ctx: CallContext, reason: str) -> dict[str, Any]:
        """Refunds a captured payment or voids a pending one; otherwise does nothing."""
        if self.state.status == "captured":
            await ctx.adapter(PaymentProvider).refund(self.key)
            self._record(ctx, "PaymentRefunded", {"amount": self.state.amount, "reason": reason})
        elif self.state.status == "pending":
            await self._void(ctx, reason)
        return self.view_state()

    @command
    async def void_if_pending(self, ctx: CallContext, reason: str) -> dict[str, Any]:
        """The customer gives up on a pending payment: voided, and the checkout told. A
        payment that went through meanwhile is left as it is (never refunded here)."""
        if self.state.status == "pending":
            await self._void(ctx, reason)
            self._tell_settled(ctx)
        return self.view_state()

    async def _void(self, ctx: CallContext, reason: str) -> None:
        await ctx.adapter(PaymentProvider).void(self.key)
        self._record(ctx, "PaymentVoided", {"reason": reason})

    def _record(self, ctx: CallContext, event_type: str, data: dict[str, Any]) -> None:
        """Emits; money that moved goes out to the rest of the shop too."""
        ctx.emit(event_type, data)
        if event_type in PAYMENT_EVENTS:
            state = self.state
            settled = {
                "payment_id": self.key,
                "order_id": state.order_id,
                "amount": state.amount,
                "currency": state.currency,
                "method": state.method,
                "reason": state.reason,
            }
            ctx.publish(event_type, settled)

    @query
    async def status(self, ctx: CallContext) -> dict[str, Any]:
        return self.view_state()

    def view_state(self) -> dict[str, Any]:
        state = self.state
        return {
            "payment_id": self.key,
            "order_id": state.order_id,
            "status": state.status,
            "amount": state.amount,
            "currency": state.currency,
            "method": state.method,
            "reason": state.reason,
            "instructions": (
                state.instructions.model_dump()
                if state.status == "pending" and state.instructions is not None
                else None
            ),
        }


def _check_terms(method: str, amount: Any, currency: str, bank: str | None) -> None:
    """Refuses a charge no provider would take: an unknown method, an amount out of range,
    QRIS or a virtual account in a currency other than the rupiah, a bank elsewhere."""
    if method not in METHODS or not isinstance(amount, int) or not 0 < amount <= MAX_AMOUNT:
        raise InvalidPayment("a payment needs a known method and a positive amount", method=method)
    if method in PENDING_METHODS and currency != QRIS_CURRENCY:
        raise InvalidPayment(
            f"{method} payments are in {QRIS_CURRENCY}", method=method, currency=currency
        )
    if bank is not None and (method != "virtual_account" or bank not in BANKS):
        raise InvalidPayment(
            "a bank is chosen only for a virtual account, among " + ", ".join(BANKS), bank=bank
        )


def webhook_secret(config: RuntimeConfig) -> bytes:
    return secret(config.state_dir, "webhook", "RAYSHOP_WEBHOOK_SECRET")
