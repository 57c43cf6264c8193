"""The payment provider port, and a fake adapter that behaves like a real provider.

The fake keeps its own ledger in its own SQLite file (a real provider's records outlive our
processes too), so a charge repeated with the same payment id after a crash is not taken
twice, and the ledger can be checked against our books. Test tokens:

    tok_success               captured at once
    tok_declined              declined (card_declined)
    tok_insufficient_funds    declined (insufficient_funds)
    tok_transient             the first two tries fail as unavailable, then captured
    tok_pending_paid          pending; the webhook later says paid
    tok_pending_expired       pending; the webhook later says expired
    tok_pending_never         pending; no webhook ever comes (the customer walked away)
    tok_refund_outage         captured at once; its refund fails (unavailable) six times

QRIS and virtual-account payments are always pending first; their token decides the end.
Their answer carries the instructions a shopper pays with: the QRIS payload of the fake's own
merchant, or an account number at the chosen bank. A QRIS payment over the rupiah limit is
declined (amount_over_limit), as real acquirers do.
"""

import asyncio
import contextlib
import hashlib
import hmac
import json
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Literal

import aiosqlite
from pydantic import BaseModel

from domain.payment_instructions import (
    QRIS_MAX_AMOUNT,
    Bank,
    PaymentInstructions,
    QrisMerchant,
    qris_payload,
)

PENDING_METHODS = ("qris", "virtual_account")
TEST_MERCHANT = QrisMerchant(
    name="RAYSHOP",
    city="JAKARTA",
    postal_code="10110",
    nmid="ID1020021234567",
    acquirer_domain="ID.CO.FAKEPAY.WWW",
    merchant_pan="9360000012345678901",
)
VA_COMPANY_CODES: dict[Bank, str] = {
    "BCA": "70012",
    "BNI": "8808",
    "BRI": "26215",
    "MANDIRI": "88908",
    "PERMATA": "8625",
}
"""The fake acquirer's company code at each bank: the first digits of its account numbers."""
DEFAULT_BANK: Bank = "BCA"
Webhook = Callable[[str, str], Awaitable[None]]


class ProviderUnavailable(Exception):
    """The provider did not answer; the same request may be sent again."""


class ProviderAnswer(BaseModel):
    status: Literal["captured", "declined", "pending"]
    provider_ref: str
    reason: str = ""
    instructions: PaymentInstructions | None = None
    """How the shopper pays a pending payment."""


class PaymentProvider(ABC):
    @abstractmethod
    async def charge(
        self,
        payment_id: str,
        amount: int,
        currency: str,
        method: str,
        token: str,
        *,
        bank: Bank | None = None,
        expires_at: float = 0.0,
    ) -> ProviderAnswer:
        """Takes the payment once per `payment_id`; a pending one (QRIS, virtual account at
        `bank`) can be paid until `expires_at`."""

    @abstractmethod
    async def refund(self, payment_id: str) -> None: ...

    @abstractmethod
    async def void(self, payment_id: str) -> None: ...


def sign(secret: bytes, body: str) -> str:
    return hmac.new(secret, body.encode(), hashlib.sha256).hexdigest()


def signature_valid(secret: bytes, body: str, signature: str) -> bool:
    return hmac.compare_digest(sign(secret, body), signature)


class FakeProvider(PaymentProvider):
    """Answers like a real provider, from test tokens; pending payments settle by webhook."""

    def __init__(
        self,
        ledger_path: Path,
        secret: bytes,
        deliver: Webhook,
        settle_after_s: float = 0.3,
        merchant: QrisMerchant = TEST_MERCHANT,
    ) -> None:
        self._path = ledger_path
        self._merchant = merchant
        self._secret = secret
        self._deliver = deliver
        self._settle_after_s = settle_after_s
        self._failures: dict[str, int] = {}
        self._lock = asyncio.Lock()
        self._db: aiosqlite.Connection | None = None

    async def charge(
        self,
        payment_id: str,
        amount: int,
        currency: str,
        method: str,
        token: str,
        *,
        bank: Bank | None = None,
        expires_at: float = 0.0,
    ) -> ProviderAnswer:
        if token == "tok_transient" and self._failures.get(payment_id, 0) < 2:
            self._failures[payment_id] = self._failures.get(payment_id, 0) + 1
            raise ProviderUnavailable("provider timed out")
        status, reason = _outcome(method, token, amount)
        found = await self._read(
            "SELECT status, reason, amount, currency, method, bank, expires_at"
            " FROM charges WHERE payment_id = ?",
            payment_id,
        )
        if found:  # the first request's terms stand
            status, reason, amount, currency, method, bank, expires_at = found[0]
        else:
            if method == "virtual_account":
                bank = bank or DEFAULT_BANK
            await self._write(
                "INSERT INTO charges (payment_id, amount, currency, status, reason, token,"
                " method, bank, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (payment_id, amount, currency, status, reason, token, method, bank, expires_at),
            )
            if status == "pending" and token != "tok_pending_never":
                asyncio.get_running_loop().create_task(self._settle_later(payment_id, token))
        instructions = None
        if status == "pending" and method in PENDING_METHODS:
            terms = {"amount": amount, "currency": currency, "expires_at": expires_at or 0.0}
            instructions = self._instructions(payment_id, method, bank, terms)
        return ProviderAnswer(
            status=status,
            provider_ref=f"fake_{payment_id}",
            reason=reason,
            instructions=instructions,
        )

    def _instructions(
        self, payment_id: str, method: str, bank: Bank | None, terms: dict[str, Any]
    ) -> PaymentInstructions:
        """What the shopper pays with; the same for every repeat of one payment."""
        if method == "qris":
            reference = hashlib.sha256(payment_id.encode()).hexdigest()[:25].upper()
            payload = qris_payload(self._merchant, terms["amount"], reference)
            return PaymentInstructions(method="qris", qris_payload=payload, **terms)
        chosen = bank or DEFAULT_BANK
        return PaymentInstructions(
            method="virtual_account",
            bank=chosen,
            account_number=virtual_account_number(VA_COMPANY_CODES[chosen], payment_id),
            **terms,
        )

    async def refund(self, payment_id: str) -> None:
        found = await self._read("SELECT token FROM charges WHERE payment_id = ?", payment_id)
        outage = f"refund:{payment_id}"
        if found and found[0][0] == "tok_refund_outage" and self._failures.get(outage, 0) < 6:
            self._failures[outage] = self._failures.get(outage, 0) + 1
            raise ProviderUnavailable("refunds are unavailable")
        await self._set(payment_id, "refunded", only_from="captured")

    async def void(self, payment_id: str) -> None:
        await self._set(payment_id, "voided", only_from="pending")

    async def _settle_later(self, payment_id: str, token: str) -> None:
        await asyncio.sleep(self._settle_after_s)
        status = "expired" if token == "tok_pending_expired" else "paid"
        await self._set(payment_id, "captured" if status == "paid" else "expired", "pending")
        body = json.dumps({"payment_id": payment_id, "status": status}, sort_keys=True)
        for attempt in range(10):
            try:
                await self._deliver(body, sign(self._secret, body))
                return
            except Exception:
                await asyncio.sleep(0.2 * (attempt + 1))

    async def _set(self, payment_id: str, status: str, only_from: str) -> None:
        await self._write(
            "UPDATE charges SET status = ? WHERE payment_id = ? AND status = ?",
            (status, payment_id, only_from),
        )

    async def _read(self, sql: str, *params: object) -> list[Any]:
        try:
            return list(await (await self._ledger()).execute_fetchall(sql, params))
        except sqlite3.Error as exc:
            raise ProviderUnavailable(f"the provider's records did not answer: {exc}") from exc

    async def _write(self, sql: str, params: tuple[object, ...]) -> None:
        """One statement in its own transaction. On any failure (a busy file, a value the
        file refuses) the transaction is rolled back: left open, its next read would pin an
        old snapshot, and once another process wrote, every later write on this connection
        would fail as "database is locked". The caller may try again: a provider that did
        not answer has taken nothing."""
        db = await self._ledger()
        try:
            await db.execute(sql, params)
            await db.commit()
        except (sqlite3.Error, OverflowError) as exc:
            with contextlib.suppress(sqlite3.Error):
                await db.rollback()
            raise ProviderUnavailable(f"the provider's records did not answer: {exc}") from exc

    async def close(self) -> None:
        """Closes the ledger's connection (a host that stops, or a test that is done)."""
        if self._db is not None:
            await self._db.close()
            self._db = None

    async def _ledger(self) -> aiosqlite.Connection:
        """The provider's own records, opened once per process (WAL: they outlive our crash)."""
        async with self._lock:
            if self._db is None:
                self._path.parent.mkdir(parents=True, exist_ok=True)
                db = await aiosqlite.connect(self._path, timeout=10)
                await db.execute("PRAGMA journal_mode=WAL")
                await db.execute(
                    "CREATE TABLE IF NOT EXISTS charges (payment_id TEXT PRIMARY KEY,"
                    " amount INTEGER, currency TEXT, status TEXT, reason TEXT, token TEXT)"
                )
                await _add_missing_columns(db)
                await db.commit()
                self._db = db
        return self._db


LEDGER_COLUMNS_SINCE_INSTRUCTIONS = {"method": "TEXT", "bank": "TEXT", "expires_at": "REAL"}


async def _add_missing_columns(db: aiosqlite.Connection) -> None:
    """A ledger written before payments carried instructions gains their columns."""
    present = {row[1] for row in await db.execute_fetchall("PRAGMA table_info(charges)")}
    for name, sql_type in LEDGER_COLUMNS_SINCE_INSTRUCTIONS.items():
        if name not in present:
            await db.execute(f"ALTER TABLE charges ADD COLUMN {name} {sql_type}")


def virtual_account_number(company_code: str, payment_id: str) -> str:
    """Sixteen digits: the acquirer's company code, then digits only this payment has."""
    width = 16 - len(company_code)
    digest = int.from_bytes(hashlib.sha256(payment_id.encode()).digest()[:8], "big")
    return f"{company_code}{digest % 10**width:0{width}d}"


def _outcome(method: str, token: str, amount: int) -> tuple[str, str]:
    if method == "qris" and amount > QRIS_MAX_AMOUNT:
        return "declined", "amount_over_limit"
    if method in PENDING_METHODS or token.startswith("tok_pending"):
        return "pending", ""
    if token == "tok_declined":
        return "declined", "card_declined"
    if token == "tok_insufficient_funds":
        return "declined", "insufficient_funds"
    return "captured", ""
