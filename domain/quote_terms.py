"""What the sides of a quote send (ARCHITECTURE §7): the buyer's lines (a request or a
counter), the seller's offer, and the buyer's terms for the accepted offer's order. Each is
checked where it enters; `domain.quotes` decides what it may change."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain.cart import Address
from domain.money import MAX_UNIT_PRICE
from domain.payment_instructions import Bank

MAX_LINES = 50
MAX_QUANTITY = 100_000
SKU = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
NOTE = Field(default="", max_length=1000)


class WantedLine(BaseModel):
    """A line the buyer asks a price for (and, countering, what they would pay)."""

    model_config = ConfigDict(extra="forbid")

    sku: str = SKU
    quantity: int = Field(ge=1, le=MAX_QUANTITY)
    target_unit_price: int | None = Field(default=None, ge=1, le=MAX_UNIT_PRICE)
    note: str = Field(default="", max_length=500)


class OfferedLine(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: str = SKU
    quantity: int = Field(ge=1, le=MAX_QUANTITY)
    unit_price: int = Field(ge=1, le=MAX_UNIT_PRICE)


class Wanted(BaseModel):
    """A request's or a counter's lines: one per SKU."""

    model_config = ConfigDict(extra="forbid")

    lines: list[WantedLine] = Field(min_length=1, max_length=MAX_LINES)
    note: str = NOTE

    @model_validator(mode="after")
    def one_line_per_sku(self) -> "Wanted":
        _require_distinct([line.sku for line in self.lines])
        return self


class OfferTerms(BaseModel):
    """An offer as the seller or admin makes it: a unit price per line, valid for a while."""

    model_config = ConfigDict(extra="forbid")

    lines: list[OfferedLine] = Field(min_length=1, max_length=MAX_LINES)
    valid_for_s: float = Field(default=7 * 86_400, gt=0, le=90 * 86_400)
    note: str = NOTE

    @model_validator(mode="after")
    def one_line_per_sku(self) -> "OfferTerms":
        _require_distinct([line.sku for line in self.lines])
        return self


class OrderTerms(BaseModel):
    """How the buyer wants the accepted offer's order: shipped where, by which carrier
    service, paid how."""

    model_config = ConfigDict(extra="forbid")

    address: Address
    shipping_service: str = Field(default="REG", min_length=1, max_length=40)
    payment_method: Literal["card", "qris", "virtual_account"] = "card"
    payment_token: str = Field(default="tok_success", min_length=1, max_length=64)
    bank: Bank | None = None

    @model_validator(mode="after")
    def bank_only_for_virtual_accounts(self) -> "OrderTerms":
        if self.bank is not None and self.payment_method != "virtual_account":
            raise ValueError("a bank is chosen only for payment_method virtual_account")
        return self


def _require_distinct(skus: list[str]) -> None:
    repeated = sorted({sku for sku in skus if skus.count(sku) > 1})
    if repeated:
        raise ValueError(f"one line per SKU; repeated: {', '.join(repeated)}")
