"""Coupon terms and the discount they give (ARCHITECTURE §7: percent or fixed, expiry,
minimum cart, redemption limit). The limit is counted by the coupons object that issues them."""

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain.errors import DomainError
from domain.money import BASIS_POINTS, Money


class CouponKind(StrEnum):
    PERCENT = "percent"
    FIXED = "fixed"


class CouponExpired(DomainError):
    code = "coupon_expired"


class CouponMinimumNotMet(DomainError):
    code = "coupon_minimum_not_met"


class CouponTerms(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str = Field(min_length=1, max_length=40)
    kind: CouponKind
    percent_basis_points: int | None = Field(default=None, ge=1, le=BASIS_POINTS)
    amount_off: Money | None = None
    expires_at: float | None = Field(default=None, allow_inf_nan=False)
    minimum_subtotal: Money | None = None
    max_redemptions: int | None = Field(default=None, ge=1)
    """How many checkouts may use the code in all; None for no limit."""

    @model_validator(mode="after")
    def _one_value(self) -> "CouponTerms":
        if self.kind is CouponKind.PERCENT and self.percent_basis_points is None:
            raise ValueError("a percent coupon needs percent_basis_points")
        if self.kind is CouponKind.FIXED and (
            self.amount_off is None or self.amount_off.amount < 1
        ):
            raise ValueError("a fixed coupon needs a positive amount_off")
        return self

    def check_usable(self, subtotal: Money, now: float) -> None:
        """Raises why this coupon cannot apply to a cart of `subtotal` at `now`."""
        if self.expires_at is not None and now >= self.expires_at:
            raise CouponExpired(f"coupon {self.code} has expired", code=self.code)
        if self.minimum_subtotal is not None and subtotal.amount < self.minimum_subtotal.amount:
            raise CouponMinimumNotMet(
                f"coupon {self.code} needs a subtotal of at least {self.minimum_subtotal.amount}",
                code=self.code,
                minimum=self.minimum_subtotal.amount,
            )

    def discount(self, subtotal: Money) -> Money:
        """Never more than the subtotal: a coupon does not pay the customer."""
        if self.kind is CouponKind.PERCENT:
            assert self.percent_basis_points is not None
            off = subtotal.share(self.percent_basis_points)
        else:
            assert self.amount_off is not None
            off = self.amount_off
        return off.min(subtotal)
