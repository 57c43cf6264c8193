"""Notifications (ARCHITECTURE §9): the mail events call for (`actors.mail_for`), kept in a
mailbox that admins read whole and each user reads for themselves, and sent through the
mail port when one is set.

Sending is the object's alarm: it sends queued mail oldest first and records each as sent
with the alarm's commit. If the mail server does not answer, the alarm runs again later
(1 s, doubling, at most 5 minutes apart), so mail queued while the server is down goes out
once it is back, each message once (a crash between the server's acceptance and the commit
sends that one message again, with the same Message-ID)."""

from typing import Any

from actors.mail_for import ADMINS, mail_for
from actors.mailer import MailboxOnly, Mailer
from actors.users import USERS_KEY, Users
from domain.identity import Role
from durable import CallContext, Envelope, Subscriber, query

SCHEMA = """
CREATE TABLE IF NOT EXISTS mailbox (
    message_id TEXT PRIMARY KEY, recipient TEXT NOT NULL, subject TEXT NOT NULL,
    body TEXT NOT NULL, event_id TEXT NOT NULL, type TEXT NOT NULL, at REAL NOT NULL,
    status TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS mailbox_by_recipient ON mailbox (recipient, at);
CREATE INDEX IF NOT EXISTS mailbox_queued ON mailbox (status) WHERE status = 'queued';
"""

FIELDS = ("message_id", "recipient", "subject", "body", "event_id", "type", "at", "status")
SEND_ALARM = "send-mail"
SEND_BATCH = 50


MAILBOX_KEY = "mail"
"""The key of the one Notifications object the bus delivers to."""


class Notifications(Subscriber):
    kind = "notifications"
    collection = "notifications"
    owner_schema = SCHEMA

    async def handle(self, ctx: CallContext, events: list[Envelope]) -> None:
        mailer = ctx.adapter(Mailer)
        sending = not isinstance(mailer, MailboxOnly)
        queued = False
        for envelope in events:
            mails = await mail_for(ctx.objects, envelope)
            queued = queued or bool(mails)
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
        if sending and queued:
            ctx.set_alarm(SEND_ALARM, ctx.now())

    async def on_alarm(self, ctx: CallContext, name: str) -> None:
        if name != SEND_ALARM:
            return
        mailer = ctx.adapter(Mailer)
        queued = await self._queued(ctx, SEND_BATCH)
        for sent, message in enumerate(queued):
            try:
                to = await self._addresses(ctx, message["recipient"])
                await mailer.send(to, message["subject"], message["body"], message["message_id"])
            except Exception:
                if sent == 0:
                    raise  # nothing went out: the alarm runs again, later each time
                ctx.set_alarm(SEND_ALARM, ctx.now())  # keep what went out; the rest now
                return
            row = {k: v for k, v in message.items() if k != "message_id"}
            ctx.put_row("mailbox", {"message_id": message["message_id"]}, {**row, "status": "sent"})
        if len(queued) == SEND_BATCH:
            ctx.set_alarm(SEND_ALARM, ctx.now())

    async def _addresses(self, ctx: CallContext, recipient: str) -> list[str]:
        if recipient != ADMINS:
            return [recipient]
        users = ctx.objects(Users).get(USERS_KEY)
        admins: list[str] = await users.call(Users.emails_with_role, role=Role.ADMIN.value)
        return admins

    @query
    async def mailbox(
        self, ctx: CallContext, recipient: str | None = None, limit: int = 100
    ) -> list[dict[str, Any]]:
        """Newest first: one recipient's mail (an address, or `admins`), or everyone's."""
        rows = await ctx.read(
            f"SELECT {', '.join(FIELDS)} FROM mailbox WHERE (? IS NULL OR recipient = ?)"
            " ORDER BY at DESC LIMIT ?",
            (recipient, recipient, max(1, min(limit, 1000))),
        )
        return [dict(zip(FIELDS, row, strict=True)) for row in rows]

    async def _queued(self, ctx: CallContext, limit: int) -> list[dict[str, Any]]:
        rows = await ctx.read(
            f"SELECT {', '.join(FIELDS)} FROM mailbox WHERE status = 'queued' ORDER BY at LIMIT ?",
            (limit,),
        )
        return [dict(zip(FIELDS, row, strict=True)) for row in rows]
