"""Dual-market pricing: retail, wholesale tiers and the minimum order quantity."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from domain.money import Money
from domain.pricing import (
    BelowMinimumOrderQuantity,
    Market,
    NotSoldInMarket,
    PriceTier,
    ProductPricing,
)


def idr(amount: int) -> Money:
    return Money(amount=amount, currency="IDR")


TEA = ProductPricing(
    retail_price=idr(25_000),
    wholesale_price=idr(20_000),
    tiers=(
        PriceTier(min_quantity=100, unit_price=idr(17_000)),
        PriceTier(min_quantity=50, unit_price=idr(18_500)),
    ),
    wholesale_min_quantity=10,
)


def test_retail_customers_pay_the_retail_price_whatever_the_quantity() -> None:
    assert TEA.unit_price(Market.RETAIL, 1) == idr(25_000)
    assert TEA.unit_price(Market.RETAIL, 500) == idr(25_000)


@pytest.mark.parametrize(
    ("quantity", "price"), [(10, 20_000), (49, 20_000), (50, 18_500), (100, 17_000), (999, 17_000)]
)
def test_wholesale_buyers_get_the_best_tier_they_reach(quantity: int, price: int) -> None:
    assert TEA.unit_price(Market.WHOLESALE, quantity) == idr(price)


def test_wholesale_below_the_minimum_order_quantity_is_refused() -> None:
    with pytest.raises(BelowMinimumOrderQuantity, match="at least 10") as refused:
        TEA.unit_price(Market.WHOLESALE, 9)
    assert refused.value.details == {"minimum": 10, "quantity": 9}


def test_a_wholesale_only_product_is_not_sold_retail() -> None:
    bulk = ProductPricing(wholesale_price=idr(9_000), sold_retail=False)
    with pytest.raises(NotSoldInMarket):
        bulk.unit_price(Market.RETAIL, 1)


def test_prices_in_two_currencies_are_refused() -> None:
    with pytest.raises(ValidationError, match="one currency"):
        ProductPricing(retail_price=Money(amount=1, currency="USD"), wholesale_price=idr(1))


@given(st.sampled_from(list(Market)), st.integers(min_value=10, max_value=100_000))
def test_a_unit_price_is_always_integer_money(market: Market, quantity: int) -> None:
    price = TEA.unit_price(market, quantity)
    assert type(price.amount) is int
    assert type(price.times(quantity).amount) is int
