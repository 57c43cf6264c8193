"""Money: integer minor units and a currency, never a float (ARCHITECTURE §7).

All rounding happens here, half up, on whole minor units. Every amount is bounded, so that
any total the shop computes fits the 64-bit integers storage keeps (SQLite's INTEGER): one
unit's price at most `MAX_UNIT_PRICE`, any amount at most `MAX_AMOUNT` either way.
"""

from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from domain.errors import DomainError

CurrencyCode = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
BASIS_POINTS = 10_000
MAX_UNIT_PRICE = 10**12
"""One unit's price: a line of 9,999 units, a cart of 100 lines, tax and shipping on top all
stay far below `MAX_AMOUNT`."""
MAX_AMOUNT = 4 * 10**18
"""Below 2**63 - 1, the largest integer SQLite stores."""


class CurrencyMismatch(DomainError):
    code = "currency_mismatch"


class AmountOutOfRange(DomainError):
    code = "amount_out_of_range"


class Money(BaseModel):
    """An amount in minor units (cents, sen) of one currency."""

    model_config = ConfigDict(frozen=True)

    amount: Annotated[StrictInt, Field(ge=-MAX_AMOUNT, le=MAX_AMOUNT)]
    currency: CurrencyCode

    @classmethod
    def zero(cls, currency: str) -> Self:
        return cls(amount=0, currency=currency)

    def __add__(self, other: "Money") -> "Money":
        return self._with(self.amount + self._same(other).amount)

    def __sub__(self, other: "Money") -> "Money":
        return self._with(self.amount - self._same(other).amount)

    def times(self, quantity: int) -> "Money":
        return self._with(self.amount * quantity)

    def share(self, basis_points: int) -> "Money":
        """`basis_points`/10,000 of this amount, rounded half up to a minor unit."""
        return self._with(round_half_up(self.amount * basis_points, BASIS_POINTS))

    def _with(self, amount: int) -> "Money":
        """A result in this currency; refused, not wrapped or stored wrong, if out of range."""
        if not -MAX_AMOUNT <= amount <= MAX_AMOUNT:
            raise AmountOutOfRange(
                f"an amount is at most {MAX_AMOUNT} minor units", limit=MAX_AMOUNT
            )
        return Money(amount=amount, currency=self.currency)

    def min(self, other: "Money") -> "Money":
        return self if self.amount <= self._same(other).amount else other

    def _same(self, other: "Money") -> "Money":
        if other.currency != self.currency:
            raise CurrencyMismatch(
                f"cannot combine {self.currency} with {other.currency}",
                left=self.currency,
                right=other.currency,
            )
        return other


def round_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half away from zero, in integers only."""
    quotient, remainder = divmod(abs(numerator), denominator)
    if remainder * 2 >= denominator:
        quotient += 1
    return quotient if numerator >= 0 else -quotient
