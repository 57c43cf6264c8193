"""What a failed step tells the client: a business refusal as it is; anything else as a
stable code and a sentence, never the exception's text (it stays in logs and timeline)."""

import sqlite3

import pytest

from domain.inventory import InsufficientStock
from durable.saga.errors import UNAVAILABLE, public_failure


@pytest.mark.parametrize(
    "error",
    [
        OverflowError("Python int too large to convert to SQLite INTEGER"),
        sqlite3.OperationalError("database is locked"),
        IndexError("list index out of range"),
    ],
)
def test_an_internal_error_leaves_a_stable_code_and_no_internals(error: Exception) -> None:
    code, message = public_failure("charge_payment", error)
    assert code == UNAVAILABLE
    assert message == "charge payment did not go through; please try again later"
    assert str(error) not in message and type(error).__name__ not in message


def test_a_business_refusal_keeps_its_code_and_sentence() -> None:
    refusal = InsufficientStock("not enough TEA in stock", short={"TEA": 2})
    assert public_failure("reserve_inventory", refusal) == (
        "insufficient_stock",
        "not enough TEA in stock",
    )
