"""Money is integers and a currency; rounding happens in one place."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from domain.money import MAX_AMOUNT, AmountOutOfRange, CurrencyMismatch, Money, round_half_up


def idr(amount: int) -> Money:
    return Money(amount=amount, currency="IDR")


def test_sums_and_differences_stay_in_the_currency() -> None:
    assert idr(150) + idr(50) == idr(200)
    assert idr(150) - idr(50) == idr(100)
    assert idr(25).times(4) == idr(100)


def test_mixing_currencies_is_refused() -> None:
    with pytest.raises(CurrencyMismatch, match="IDR with USD"):
        idr(1) + Money(amount=1, currency="USD")


@pytest.mark.parametrize("amount", [1.5, 1.0, "10", None])
def test_an_amount_that_is_not_an_integer_is_refused(amount: object) -> None:
    with pytest.raises(ValidationError):
        Money(amount=amount, currency="IDR")  # type: ignore[arg-type]


def test_a_share_rounds_half_up_to_a_minor_unit() -> None:
    assert idr(1005).share(1000) == idr(101)  # 100.5 -> 101
    assert idr(1004).share(1000) == idr(100)  # 100.4 -> 100
    assert round_half_up(-15, 10) == -2


@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=0, max_value=10_000))
def test_a_share_is_an_integer_between_zero_and_the_whole(amount: int, bp: int) -> None:
    share = idr(amount).share(bp)
    assert isinstance(share.amount, int)
    assert 0 <= share.amount <= amount


def test_amounts_beyond_what_storage_holds_are_refused_not_wrapped() -> None:
    with pytest.raises(ValidationError):
        idr(2**63)
    with pytest.raises(AmountOutOfRange):
        idr(MAX_AMOUNT).times(2)
    with pytest.raises(AmountOutOfRange):
        idr(-MAX_AMOUNT) - idr(1)
    assert idr(MAX_AMOUNT) - idr(1) == idr(MAX_AMOUNT - 1)
