"""Notifications (ARCHITECTURE §9): an email per confirmed, failed, shipped and delivered
order to its customer, per low-stock alert to the admins, and the wholesale and payment mail
of `actors.mail_for`, kept in a mailbox that admins read whole and each user reads for
themselves. Mail also leaves through the mail port."""

from typing import Any

from actors.mail_for import ADMINS, mail_for
from actors.mailer import MailboxOnly, Mailer
from domain.events import LowStockDetected, OrderChanged, payload_of
from durable import CallContext, Envelope, LocalRef, Subscriber, command, query

SCHEMA = """
CREATE TABLE IF NOT EXISTS mailbox (
    message_id TEXT PRIMARY KEY, recipient TEXT NOT NULL, subject TEXT NOT NULL,
    body TEXT NOT NULL, event_id TEXT NOT NULL, type TEXT NOT NULL, at REAL NOT NULL,
    status TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS mailbox_by_recipient ON mailbox (recipient, at);
CREATE INDEX IF NOT EXISTS mailbox_queued ON mailbox (status) WHERE status = 'queued';
"""

ORDER_MAIL = {
    "OrderConfirmed": ("Order {order_id} is confirmed", "We received your payment of {money}."),
    "OrderFailed": ("Order {order_id} could not be completed", "Nothing was charged. {reason}"),
    "OrderShipped": ("Order {order_id} is on its way", "Your parcel has left our warehouse."),
    "OrderDelivered": ("Order {order_id} was delivered", "Thank you for shopping with us."),
}
FIELDS = ("message_id", "recipient", "subject", "body", "event_id", "type", "at", "status")


def compose(envelope: Envelope) -> tuple[str, str, str] | None:
    """(recipient, subject, body) of the mail an event calls for, if any."""
    payload = payload_of(envelope.type, envelope.payload)
    if isinstance(payload, OrderChanged) and envelope.type in ORDER_MAIL and payload.customer_id:
        subject, body = ORDER_MAIL[envelope.type]
        money = f"{payload.total} {payload.currency or ''}".strip()
        values = {"order_id": payload.order_id, "money": money, "reason": payload.reason or ""}
        return payload.customer_id, subject.format(**values), body.format(**values).strip()
    if isinstance(payload, LowStockDetected):
        subject = f"Low stock: {payload.sku} at {payload.warehouse_id}"
        body = f"{payload.available} left (threshold {payload.threshold})."
        return ADMINS, subject, body
    return None


MAILBOX_KEY = "mail"
"""The key of the one Notifications object the bus delivers to."""


class Notifications(Subscriber):
    kind = "notifications"
    collection = "notifications"
    owner_schema = SCHEMA

    async def handle(self, ctx: CallContext, events: list[Envelope]) -> None:
        mailer = ctx.adapter(Mailer)
        sending = not isinstance(mailer, MailboxOnly)
        for envelope in events:
            first = compose(envelope)
            mails = [first] if first else await mail_for(ctx.objects, envelope)
            for number, (recipient, subject, body) in enumerate(mails):
                message_id = f"{envelope.event_id}:{number}" if number else envelope.event_id
                ctx.put_row(
                    "mailbox",
                    {"message_id": message_id},
                    {
                        "recipient": recipient,
                        "subject": subject,
                        "body": body,
                        "event_id": envelope.event_id,
                        "type": envelope.type,
                        "at": envelope.at,
                        "status": "queued" if sending else "delivered",
                    },
                )
        if sending:
            ctx.spawn(lambda ref: send_queued(ref, mailer))

    @query
    async def mailbox(
        self, ctx: CallContext, recipient: str | None = None, limit: int = 100
    ) -> list[dict[str, Any]]:
        """Newest first: one recipient's mail, or everyone's (for admins)."""
        rows = await ctx.read(
            f"SELECT {', '.join(FIELDS)} FROM mailbox WHERE (? IS NULL OR recipient = ?)"
            " ORDER BY at DESC LIMIT ?",
            (recipient, recipient, max(1, min(limit, 1000))),
        )
        return [dict(zip(FIELDS, row, strict=True)) for row in rows]

    @query
    async def queued(self, ctx: CallContext, limit: int = 100) -> list[dict[str, Any]]:
        rows = await ctx.read(
            f"SELECT {', '.join(FIELDS)} FROM mailbox WHERE status = 'queued' LIMIT ?", (limit,)
        )
        return [dict(zip(FIELDS, row, strict=True)) for row in rows]

    @command
    async def mark_sent(self, ctx: CallContext, messages: list[dict[str, Any]]) -> None:
        for message in messages:
            row = {k: v for k, v in message.items() if k != "message_id"}
            ctx.put_row("mailbox", {"message_id": message["message_id"]}, {**row, "status": "sent"})


async def send_queued(ref: LocalRef, mailer: Mailer) -> None:
    """Sends queued mail through the port until none is left; a failure waits for the next."""
    while queued := await ref.call(Notifications.queued):
        for message in queued:
            await mailer.send(message["recipient"], message["subject"], message["body"])
        await ref.call(Notifications.mark_sent, queued)
