"""Dual-market prices (ARCHITECTURE §7): retail customers pay the retail price; wholesale
buyers pay the wholesale base price or the best quantity tier, above a minimum order quantity."""

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain.errors import DomainError
from domain.money import MAX_UNIT_PRICE, Money


class Market(StrEnum):
    RETAIL = "retail"
    WHOLESALE = "wholesale"


class NotSoldInMarket(DomainError):
    code = "not_sold_in_market"


class BelowMinimumOrderQuantity(DomainError):
    code = "below_minimum_order_quantity"


class PriceTier(BaseModel):
    """From `min_quantity` units on, each unit costs `unit_price` (wholesale)."""

    model_config = ConfigDict(frozen=True)

    min_quantity: int = Field(ge=1)
    unit_price: Money


class ProductPricing(BaseModel):
    model_config = ConfigDict(frozen=True)

    retail_price: Money | None = None
    wholesale_price: Money
    tiers: tuple[PriceTier, ...] = ()
    wholesale_min_quantity: int = Field(default=1, ge=1)
    sold_retail: bool = True
    sold_wholesale: bool = True

    @model_validator(mode="after")
    def _consistent(self) -> "ProductPricing":
        currency = self.wholesale_price.currency
        prices = [t.unit_price for t in self.tiers]
        if self.retail_price is not None:
            prices.append(self.retail_price)
        if any(p.currency != currency for p in prices):
            raise ValueError("all prices of a product share one currency")
        if any(p.amount < 0 for p in [*prices, self.wholesale_price]):
            raise ValueError("prices are never negative")
        if any(p.amount > MAX_UNIT_PRICE for p in [*prices, self.wholesale_price]):
            raise ValueError(f"a unit price is at most {MAX_UNIT_PRICE} minor units")
        if self.sold_retail and self.retail_price is None:
            raise ValueError("a product sold retail needs a retail price")
        return self

    @property
    def currency(self) -> str:
        return self.wholesale_price.currency

    def unit_price(self, market: Market, quantity: int) -> Money:
        """What one unit costs in `market` when buying `quantity` of them."""
        if market is Market.RETAIL:
            if not self.sold_retail or self.retail_price is None:
                raise NotSoldInMarket(
                    "this product is sold to wholesale buyers only", market=market
                )
            return self.retail_price
        if not self.sold_wholesale:
            raise NotSoldInMarket("this product is not sold wholesale", market=market)
        if quantity < self.wholesale_min_quantity:
            raise BelowMinimumOrderQuantity(
                f"wholesale orders take at least {self.wholesale_min_quantity} units",
                minimum=self.wholesale_min_quantity,
                quantity=quantity,
            )
        best = self.wholesale_price
        for tier in sorted(self.tiers, key=lambda t: t.min_quantity):
            if quantity >= tier.min_quantity:
                best = tier.unit_price
        return best
