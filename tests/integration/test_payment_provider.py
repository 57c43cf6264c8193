"""The fake provider's ledger is shared by every shop host, as a real provider's records are
by all its clients: one bad request must never leave the file locked for the others."""

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
