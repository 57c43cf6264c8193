"""Money: integer minor units and a currency, never a float (ARCHITECTURE §7).

All rounding happens here, half up, on whole minor units.
"""

from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from domain.errors import DomainError

CurrencyCode = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
BASIS_POINTS = 10_000


class CurrencyMismatch(DomainError):
    code = "currency_mismatch"


class Money(BaseModel):
    """An amount in minor units (cents, sen) of one currency."""

    model_config = ConfigDict(frozen=True)

    amount: StrictInt
    currency: CurrencyCode

    @classmethod
    def zero(cls, currency: str) -> Self:
        return cls(amount=0, currency=currency)

    def __add__(self, other: "Money") -> "Money":
        return Money(amount=self.amount + self._same(other).amount, currency=self.currency)

    def __sub__(self, other: "Money") -> "Money":
        return Money(amount=self.amount - self._same(other).amount, currency=self.currency)

    def times(self, quantity: int) -> "Money":
        return Money(amount=self.amount * quantity, currency=self.currency)

    def share(self, basis_points: int) -> "Money":
        """`basis_points`/10,000 of this amount, rounded half up to a minor unit."""
        return Money(
            amount=round_half_up(self.amount * basis_points, BASIS_POINTS), currency=self.currency
        )

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
