"""The fake provider's ledger is shared by every shop host, as a real provider's records are
by all its clients: one bad request must never leave the file locked for the others."""

import sqlite3
from pathlib import Path

import pytest

from actors.payment_provider import FakeProvider, ProviderUnavailable


async def never_called(body: str, signature: str) -> None:
    raise AssertionError("no webhook for card payments")


def provider(ledger: Path) -> FakeProvider:
    return FakeProvider(ledger, b"secret", never_called)


async def test_a_charge_the_ledger_refuses_leaves_it_open_to_every_other_host(
    tmp_path: Path,
) -> None:
    """Had the refused write left its transaction open, the next read on that connection
    would pin an old snapshot, and once another host wrote, every later charge on it would
    fail with "database is locked" until a restart."""
    ledger = tmp_path / "ledger.sqlite"
    poisoned, other = provider(ledger), provider(ledger)
    try:
        await other.charge("pay-a", 10_000, "IDR", "card", "tok_success")
        with pytest.raises(ProviderUnavailable):
            await poisoned.charge("pay-huge", 2**63, "IDR", "card", "tok_success")
        repeated = await poisoned.charge("pay-a", 10_000, "IDR", "card", "tok_success")
        await other.charge("pay-b", 20_000, "IDR", "card", "tok_success")
        answer = await poisoned.charge("pay-c", 30_000, "IDR", "card", "tok_success")
        assert (repeated.status, answer.status) == ("captured", "captured")
    finally:
        await poisoned.close()
        await other.close()


async def test_a_pending_payment_answers_with_the_same_instructions_every_time(
    tmp_path: Path,
) -> None:
    """A charge repeated after a crash must not show the shopper a second code or account."""
    fake = provider(tmp_path / "ledger.sqlite")
    try:
        qris = await fake.charge(
            "pay-q", 150_000, "IDR", "qris", "tok_pending_never", expires_at=1000.0
        )
        again = await fake.charge(
            "pay-q", 999, "IDR", "qris", "tok_pending_never", expires_at=2000.0
        )
        assert qris.status == "pending" and qris.instructions is not None
        assert again.instructions == qris.instructions, "the first request's terms stand"
        assert (qris.instructions.amount, qris.instructions.expires_at) == (150_000, 1000.0)
        assert qris.instructions.qris_payload is not None
        assert "5406150000" in qris.instructions.qris_payload  # field 54: the amount

        account = await fake.charge(
            "pay-v", 80_000, "IDR", "virtual_account", "tok_pending_never", bank="BNI"
        )
        other = await fake.charge("pay-w", 80_000, "IDR", "virtual_account", "tok_pending_never")
        assert account.instructions is not None and other.instructions is not None
        assert account.instructions.bank == "BNI" and other.instructions.bank == "BCA"
        number = account.instructions.account_number
        assert number is not None and len(number) == 16 and number.startswith("8808")
        assert number != other.instructions.account_number
    finally:
        await fake.close()


async def test_qris_over_the_rupiah_limit_is_declined(tmp_path: Path) -> None:
    fake = provider(tmp_path / "ledger.sqlite")
    try:
        answer = await fake.charge("pay-big", 10_000_001, "IDR", "qris", "tok_pending_never")
        assert (answer.status, answer.reason, answer.instructions) == (
            "declined",
            "amount_over_limit",
            None,
        )
    finally:
        await fake.close()


async def test_a_ledger_from_before_instructions_gains_their_columns(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.sqlite"
    with sqlite3.connect(ledger) as old:
        old.execute(
            "CREATE TABLE charges (payment_id TEXT PRIMARY KEY, amount INTEGER,"
            " currency TEXT, status TEXT, reason TEXT, token TEXT)"
        )
        old.execute("INSERT INTO charges VALUES ('pay-old', 5, 'IDR', 'captured', '', 'tok')")
    fake = provider(ledger)
    try:
        earlier = await fake.charge("pay-old", 5, "IDR", "card", "tok_success")
        fresh = await fake.charge("pay-new", 5, "IDR", "qris", "tok_pending_never")
        assert earlier.status == "captured" and fresh.instructions is not None
    finally:
        await fake.close()
