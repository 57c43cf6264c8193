"""The mail port (ARCHITECTURE §6: external systems are ports). The mailbox kept by the
notifications object is always the record of what was sent; with `RAYSHOP_SMTP_HOST` set,
mail also leaves through an SMTP server."""

import asyncio
import os
import smtplib
from email.message import EmailMessage
from typing import Protocol


class Mailer(Protocol):
    async def send(self, to: list[str], subject: str, body: str, message_id: str) -> None:
        """Hands one message to the mail system; raises if it was not taken."""


class MailboxOnly:
    """No mail leaves the shop: users and admins read it in the mailbox."""

    async def send(self, to: list[str], subject: str, body: str, message_id: str) -> None:
        return None


class SmtpMailer:
    def __init__(self, host: str, port: int, sender: str) -> None:
        self._host, self._port, self._sender = host, port, sender

    async def send(self, to: list[str], subject: str, body: str, message_id: str) -> None:
        if not to:
            return  # nobody to tell (a shop without admins yet)
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self._sender, ", ".join(to), subject
        domain = self._sender.rpartition("@")[2] or "localhost"
        message["Message-ID"] = f"<{message_id}@{domain}>"  # a repeat is recognisably one
        message.set_content(body)
        await asyncio.to_thread(self._send, message)

    def _send(self, message: EmailMessage) -> None:
        with smtplib.SMTP(self._host, self._port, timeout=10) as smtp:
            smtp.send_message(message)


def mailer_from_env() -> Mailer:
    host = os.environ.get("RAYSHOP_SMTP_HOST")
    if not host:
        return MailboxOnly()
    port = int(os.environ.get("RAYSHOP_SMTP_PORT", "25"))
    return SmtpMailer(host, port, os.environ.get("RAYSHOP_MAIL_FROM", "shop@localhost"))
