"""Cart line rules (pure)."""

import pytest

from domain.cart import MAX_LINES, CartFull, CartState, InvalidQuantity, LineNotFound


def test_adding_to_an_existing_line_sums_the_quantities() -> None:
    cart = CartState(lines={"A": 2})
    assert cart.quantity_after_adding("A", 3) == 5


@pytest.mark.parametrize("quantity", [0, -1, 10_000, 2.5, True, "3"])
def test_a_quantity_outside_1_to_9999_or_not_whole_is_refused(quantity: object) -> None:
    with pytest.raises(InvalidQuantity, match="quantity"):
        CartState().quantity_after_adding("A", quantity)  # type: ignore[arg-type]


def test_a_line_may_not_grow_past_the_limit() -> None:
    with pytest.raises(InvalidQuantity):
        CartState(lines={"A": 9_000}).quantity_after_adding("A", 1_000)


def test_a_full_cart_refuses_a_new_line_but_not_more_of_an_existing_one() -> None:
    cart = CartState(lines={f"S{n}": 1 for n in range(MAX_LINES)})
    with pytest.raises(CartFull):
        cart.quantity_after_adding("NEW", 1)
    assert cart.quantity_after_adding("S0", 1) == 2


def test_changing_a_missing_line_is_refused_with_its_sku() -> None:
    with pytest.raises(LineNotFound) as refused:
        CartState().require_line("X")
    assert refused.value.details == {"sku": "X"}
    assert refused.value.code == "line_not_found"
