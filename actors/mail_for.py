"""The mail that events call for (ARCHITECTURE §7, §9), addressed to people's email
addresses: an order's news (placed, paid, failed, shipped, delivered, cancelled and
refunded) and a pending payment's instructions to its customer; an invitation to the
invitee; an offer, its expiry or a failed order to the company's members who may purchase;
a counter or an acceptance to whoever answers the quote (its seller, or the admins); low
stock to the admins.

Events carry ids, not addresses: the addresses are read from the company, the identity
database and the payment when the mail is composed."""

import asyncio
import datetime
from collections import OrderedDict
from typing import Any

from actors.company import Company
from actors.payment import Payment
from actors.quote import Quote
from actors.users import USERS_KEY, UnknownUser, Users
from domain.companies import GRANTS, CompanyRole, Permission
from domain.events import (
    CompanyChanged,
    LowStockDetected,
    OrderChanged,
    QuoteChanged,
    payload_of,
)
from durable import Envelope, Objects

KNOWN_EMAILS_KEPT = 10_000
_KNOWN_EMAILS: OrderedDict[str, str | None] = OrderedDict()
"""Users' addresses as this process has read them: an account's email never changes, and
an id that is no account never becomes one (ids are not reused)."""
Mail = tuple[str, str, str]
"""(recipient, subject, body)."""
ADMINS = "admins"
"""The mailbox of every admin: sent to each admin's address."""

ORDER_MAIL = {
    "OrderPlaced": ("Order {order_id} received", "We have your order {order_id} of {money}."),
    "OrderConfirmed": (
        "Order {order_id} is confirmed",
        "We received your payment of {money} for order {order_id}.",
    ),
    "OrderFailed": (
        "Order {order_id} could not be completed",
        "Nothing was charged for order {order_id}. {reason}",
    ),
    "OrderShipped": (
        "Order {order_id} is on its way",
        "The parcels of order {order_id} have left our warehouse.",
    ),
    "OrderDelivered": (
        "Order {order_id} was delivered",
        "Order {order_id} has arrived. Thank you for shopping with us.",
    ),
    "OrderCancelled": (
        "Order {order_id} was cancelled",
        "Your payment of {money} for order {order_id} is refunded. {reason}",
    ),
}

QUOTE_TO_BUYERS = {
    "QuoteOffered": (
        "Quote {quote_id}: an offer of {money}",
        "Offer {offer} is valid until {valid_until}. Accept it, or counter, before then.",
    ),
    "QuoteExpired": (
        "Quote {quote_id}: the offer expired",
        "Offer {offer} was not accepted in time. Request a new quote if you still need it.",
    ),
    "QuoteConversionFailed": (
        "Quote {quote_id}: the order could not be made",
        "{reason}. Once that is fixed, try the order again.",
    ),
}
QUOTE_TO_SELLERS = {
    "QuoteCountered": (
        "Quote {quote_id} was countered",
        "The buyer asks for other quantities or prices: make a new offer.",
    ),
    "QuoteAccepted": (
        "Quote {quote_id} was accepted",
        "Offer {offer} ({money}) was accepted; its order is being made.",
    ),
}


async def mail_for(objects: Objects, envelope: Envelope) -> list[Mail]:
    """Every mail `envelope` calls for (none for most events)."""
    payload = payload_of(envelope.type, envelope.payload)
    if isinstance(payload, OrderChanged) and envelope.type in ORDER_MAIL:
        return await order_mail(objects, envelope.type, payload)
    if isinstance(payload, LowStockDetected):
        subject = f"Low stock: {payload.sku} at {payload.warehouse_id}"
        return [(ADMINS, subject, f"{payload.available} left (threshold {payload.threshold}).")]
    if isinstance(payload, CompanyChanged) and envelope.type == "MemberInvited" and payload.email:
        return [invitation(payload)]
    if isinstance(payload, QuoteChanged):
        return await quote_mail(objects, envelope.type, payload)
    if isinstance(payload, OrderChanged) and envelope.type == "OrderAwaitingPayment":
        return await payment_instructions(objects, payload)
    return []


async def order_mail(objects: Objects, event_type: str, order: OrderChanged) -> list[Mail]:
    if order.customer_id is None:
        return []
    subject, body = ORDER_MAIL[event_type]
    money = f"{order.total} {order.currency or ''}".strip()
    values = {"order_id": order.order_id, "money": money, "reason": order.reason or ""}
    mail = (subject.format(**values), body.format(**values).strip())
    return [(email, *mail) for email in await _emails(objects, [order.customer_id])]


def invitation(invited: CompanyChanged) -> Mail:
    assert invited.email is not None
    subject = f"You are invited to {invited.name}"
    body = (
        f"Join {invited.name} as {invited.role}: sign up or sign in with {invited.email} as a "
        f"wholesale buyer, then POST /api/companies/{invited.company_id}/join."
    )
    return invited.email, subject, body


async def quote_mail(objects: Objects, event_type: str, quote: QuoteChanged) -> list[Mail]:
    values = {
        "quote_id": quote.quote_id,
        "offer": quote.offer,
        "money": f"{quote.total} {quote.currency or ''}".strip(),
        "valid_until": _when(quote.valid_until),
        "reason": quote.reason or "",
    }
    if event_type in QUOTE_TO_BUYERS:
        subject, body = QUOTE_TO_BUYERS[event_type]
        recipients = await _purchasers(objects, quote.company_id)
    elif event_type in QUOTE_TO_SELLERS:
        subject, body = QUOTE_TO_SELLERS[event_type]
        recipients = await _answerers(objects, quote.quote_id)
    else:
        return []
    return [(r, subject.format(**values), body.format(**values)) for r in recipients]


async def payment_instructions(objects: Objects, order: OrderChanged) -> list[Mail]:
    """How to pay an order that waits for its QRIS or virtual-account payment."""
    if order.payment_id is None or order.customer_id is None:
        return []
    payment = await objects(Payment).get(order.payment_id).call(Payment.status)
    shown = payment.get("instructions")
    if shown is None:
        return []
    money = f"{shown['amount']} {shown['currency']}"
    if shown["method"] == "qris":
        how = f"Scan the QRIS code in the shop, or pay this QRIS payload: {shown['qris_payload']}"
    else:
        how = f"Transfer to virtual account {shown['account_number']} at {shown['bank']}"
    subject = f"Order {order.order_id}: pay {money}"
    body = f"{how}. Pay {money} before {_when(shown['expires_at'])}, or the order is cancelled."
    return [(email, subject, body) for email in await _emails(objects, [order.customer_id])]


async def _purchasers(objects: Objects, company_id: str) -> list[str]:
    """The emails of the company's members who may purchase."""
    company = await objects(Company).get(company_id).call(Company.view)
    return [
        member["email"]
        for member in company.get("members", {}).values()
        if Permission.PURCHASE in GRANTS[CompanyRole(member["role"])]
    ]


async def _answerers(objects: Objects, quote_id: str) -> list[str]:
    """The seller of every line of the quote, by email; else the admins."""
    quote: dict[str, Any] = await objects(Quote).get(quote_id).call(Quote.view)
    sellers = quote["sellers"]
    found = await _emails(objects, sellers) if len(sellers) == 1 else []
    return found or [ADMINS]


async def _emails(objects: Objects, user_ids: list[str]) -> list[str]:
    """The users' addresses; none for an id that is no account (a test's or a bench's
    customer)."""
    users = objects(Users).get(USERS_KEY)

    async def email_of(user_id: str) -> str | None:
        if user_id in _KNOWN_EMAILS:
            return _KNOWN_EMAILS[user_id]
        try:
            email: str | None = str((await users.call(Users.profile, user_id=user_id))["email"])
        except UnknownUser:
            email = None
        _KNOWN_EMAILS[user_id] = email
        if len(_KNOWN_EMAILS) > KNOWN_EMAILS_KEPT:
            _KNOWN_EMAILS.popitem(last=False)
        return email

    found = await asyncio.gather(*(email_of(user_id) for user_id in user_ids))
    return [email for email in found if email is not None]


def _when(at: float | None) -> str:
    if at is None:
        return "-"
    return datetime.datetime.fromtimestamp(at, datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
