"""Cart rules and the summary: subtotal - discount + shipping + tax = total."""

import pytest

from domain.cart import (
    MAX_LINES,
    Address,
    CartFull,
    CartLine,
    CartLocked,
    CartState,
    CheckoutNotReady,
    InvalidQuantity,
    LineNotFound,
    ShippingChoice,
)
from domain.coupons import CouponExpired, CouponKind, CouponMinimumNotMet, CouponTerms
from domain.money import CurrencyMismatch, Money

NOW = 1_000_000.0


def idr(amount: int) -> Money:
    return Money(amount=amount, currency="IDR")


def cart_with(*lines: tuple[str, int, int]) -> CartState:
    cart = CartState()
    for sku, quantity, price in lines:
        line = CartLine(sku=sku, quantity=quantity, unit_price=idr(price))
        cart.apply("ItemAdded", {"line": line.model_dump(mode="json")})
    return cart


JAKARTA = Address(
    recipient="Ani", line1="Jl. Sudirman 1", city="Jakarta", region="ID-JK", postal_code="10220"
)


def test_adding_to_an_existing_line_sums_the_quantities() -> None:
    assert cart_with(("A", 2, 100)).quantity_after_adding("A", 3, idr(100)) == 5


@pytest.mark.parametrize("quantity", [0, -1, 10_000, 2.5, True, "3"])
def test_a_quantity_outside_1_to_9999_or_not_whole_is_refused(quantity: object) -> None:
    with pytest.raises(InvalidQuantity, match="quantity"):
        CartState().quantity_after_adding("A", quantity, idr(1))  # type: ignore[arg-type]


def test_a_line_may_not_grow_past_the_limit() -> None:
    with pytest.raises(InvalidQuantity):
        cart_with(("A", 9_000, 1)).quantity_after_adding("A", 1_000, idr(1))


def test_a_full_cart_refuses_a_new_line_but_not_more_of_an_existing_one() -> None:
    cart = cart_with(*((f"S{n}", 1, 10) for n in range(MAX_LINES)))
    with pytest.raises(CartFull):
        cart.quantity_after_adding("NEW", 1, idr(10))
    assert cart.quantity_after_adding("S0", 1, idr(10)) == 2


def test_a_line_in_another_currency_is_refused() -> None:
    with pytest.raises(CurrencyMismatch):
        cart_with(("A", 1, 100)).quantity_after_adding("B", 1, Money(amount=1, currency="USD"))


def test_changing_a_missing_line_is_refused_with_its_sku() -> None:
    with pytest.raises(LineNotFound) as refused:
        CartState().require_line("X")
    assert refused.value.details == {"sku": "X"} and refused.value.code == "line_not_found"


def test_the_summary_adds_up_with_coupon_shipping_and_regional_tax() -> None:
    cart = cart_with(("A", 2, 50_000), ("B", 1, 25_000))
    cart.apply("AddressSet", {"address": JAKARTA.model_dump()})
    cart.apply("ShippingChosen", {"shipping": {"code": "REG", "price": idr(15_000).model_dump()}})
    coupon = CouponTerms(code="TENOFF", kind=CouponKind.PERCENT, percent_basis_points=1000)
    cart.apply("CouponApplied", {"coupon": coupon.model_dump(mode="json")})
    summary = cart.summary(NOW)
    assert (summary.subtotal, summary.discount, summary.shipping) == (125_000, 12_500, 15_000)
    assert summary.tax == 12_375  # 11% of 112,500 in Jakarta
    assert summary.total == 125_000 - 12_500 + 15_000 + 12_375
    assert summary.item_count == 3


def test_a_fixed_coupon_never_discounts_more_than_the_subtotal() -> None:
    coupon = CouponTerms(code="BIG", kind=CouponKind.FIXED, amount_off=idr(1_000_000))
    assert coupon.discount(idr(30_000)) == idr(30_000)


def test_an_expired_or_unmet_coupon_is_refused_and_gives_no_discount() -> None:
    expired = CouponTerms(
        code="OLD", kind=CouponKind.PERCENT, percent_basis_points=500, expires_at=NOW - 1
    )
    with pytest.raises(CouponExpired):
        expired.check_usable(idr(100), NOW)
    needs_more = CouponTerms(
        code="MIN", kind=CouponKind.PERCENT, percent_basis_points=500, minimum_subtotal=idr(200)
    )
    with pytest.raises(CouponMinimumNotMet):
        needs_more.check_usable(idr(100), NOW)
    cart = cart_with(("A", 1, 100))
    cart.apply("CouponApplied", {"coupon": needs_more.model_dump(mode="json")})
    summary = cart.summary(NOW)
    assert summary.discount == 0 and summary.coupon_note and "at least 200" in summary.coupon_note


def test_changing_lines_or_address_voids_the_shipping_price_but_keeps_the_service() -> None:
    cart = cart_with(("A", 1, 100))
    cart.apply(
        "ShippingChosen",
        {"shipping": ShippingChoice(code="REG", price=idr(5)).model_dump(mode="json")},
    )
    cart.apply("AddressSet", {"address": JAKARTA.model_dump()})
    assert cart.shipping is None and cart.shipping_service == "REG"
    assert cart.missing_for_checkout() == ["shipping"]
    cart.apply("ItemRemoved", {"sku": "A"})
    assert cart.missing_for_checkout() == ["lines", "shipping"]
    cart.apply("CheckoutCompleted", {"checkout_id": "none"})
    assert cart.shipping_service is None


def test_repricing_names_only_the_lines_whose_price_moved() -> None:
    cart = cart_with(("A", 1, 100), ("B", 2, 50))
    assert cart.repriced({"A": idr(100), "B": idr(55)}) == {"B": idr(55)}
    cart.apply("LinesRepriced", {"prices": {"B": idr(55).model_dump()}})
    assert cart.summary(NOW).subtotal == 210


def test_a_locked_cart_refuses_changes_until_checkout_ends() -> None:
    cart = cart_with(("A", 1, 100))
    cart.apply("CheckoutStarted", {"checkout_id": "co-1", "prices": {"A": idr(120).model_dump()}})
    assert cart.lines["A"].unit_price == idr(120)
    with pytest.raises(CartLocked):
        cart.quantity_after_adding("A", 1, idr(120))
    cart.apply("CheckoutCompleted", {"checkout_id": "co-1"})
    assert cart.lines == {} and cart.checkout_id is None


def test_checkout_needs_lines_an_address_and_a_shipping_choice() -> None:
    cart = cart_with(("A", 1, 100))
    with pytest.raises(CheckoutNotReady, match="address"):
        cart.require_ready_for_checkout()
    cart.apply("AddressSet", {"address": JAKARTA.model_dump()})
    with pytest.raises(CheckoutNotReady, match="shipping"):
        cart.require_ready_for_checkout()
