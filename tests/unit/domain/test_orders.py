"""The order state machine refuses illegal transitions; its state is a fold of its events."""

import pytest

from domain.orders import SHOP_SELLER, IllegalTransition, OrderState, OrderStatus

PLACED = {
    "customer_id": "u1",
    "currency": "IDR",
    "lines": [{"sku": "A", "quantity": 2, "unit_price": 100}],
    "totals": {"total": 200},
}


def run(order: OrderState, events: list) -> OrderState:
    for event_type, data in events:
        order.apply(event_type, data)
    return order


def paid_order() -> OrderState:
    order = run(OrderState(), OrderState().decide_place(PLACED))
    run(order, order.decide_attach_shipment("s1", "jkt", "TRK1"))
    run(order, order.decide_attach_shipment("s2", "bdg", "TRK2"))
    run(order, order.decide_await_payment("p1"))
    return run(order, order.decide_pay("p1", 200))


def test_an_order_goes_from_pending_to_delivered() -> None:
    order = paid_order()
    assert order.status is OrderStatus.PAID
    run(order, order.decide_fulfil([SHOP_SELLER]))
    run(order, order.decide_dispatch("s1"))
    assert order.status is OrderStatus.PAID  # one of two shipments left
    run(order, order.decide_dispatch("s2"))
    assert order.status is OrderStatus.SHIPPED
    run(order, order.decide_deliver())
    assert order.status is OrderStatus.DELIVERED


@pytest.mark.parametrize(
    ("setup", "action"),
    [
        ("new", lambda o: o.decide_pay("p", 1)),
        ("new", lambda o: o.decide_deliver()),
        ("paid", lambda o: o.decide_fail("late")),
        ("paid", lambda o: o.decide_place(PLACED)),
        ("paid", lambda o: o.decide_deliver()),
        ("failed", lambda o: o.decide_pay("p", 1)),
        ("failed", lambda o: o.decide_cancel("x")),
    ],
)
def test_illegal_transitions_are_refused(setup: str, action) -> None:
    order = {
        "new": OrderState(),
        "paid": paid_order(),
        "failed": run(OrderState(), [("OrderFailed", {"reason": "x"})]),
    }[setup]
    with pytest.raises(IllegalTransition, match="cannot"):
        action(order)


def test_a_paid_order_can_be_cancelled_until_something_is_dispatched() -> None:
    order = paid_order()
    run(order, order.decide_fulfil([SHOP_SELLER]))
    run(order, order.decide_dispatch("s1"))
    with pytest.raises(IllegalTransition, match="shipped already"):
        order.decide_cancel("changed my mind")
    fresh = paid_order()
    run(fresh, fresh.decide_cancel("changed my mind"))
    assert fresh.status is OrderStatus.CANCELLED


def test_repeating_a_transition_that_already_happened_changes_nothing() -> None:
    order = paid_order()
    assert order.decide_pay("p1", 200) == []
    assert order.decide_attach_shipment("s1", "jkt", "TRK1") == []


def test_every_seller_packs_their_own_lines_before_the_parcels_go() -> None:
    lines = [
        {"sku": "A", "quantity": 1, "unit_price": 100, "seller_id": "ani"},
        {"sku": "B", "quantity": 1, "unit_price": 100, "seller_id": "budi"},
    ]
    order = run(OrderState(), OrderState().decide_place({**PLACED, "lines": lines}))
    run(order, order.decide_attach_shipment("s1", "jkt", "TRK1"))
    with pytest.raises(IllegalTransition, match="cannot fulfil an order that is PENDING"):
        order.decide_fulfil(["ani"])
    run(order, order.decide_pay("p1", 200))
    with pytest.raises(IllegalTransition, match="no lines of these sellers"):
        order.decide_fulfil(["cici"])
    run(order, order.decide_fulfil(["ani"]))
    assert order.awaiting_sellers == ["budi"]
    assert order.decide_fulfil(["ani"]) == [], "packing twice changes nothing"
    with pytest.raises(IllegalTransition, match="not all packed"):
        order.decide_dispatch("s1")
    run(order, order.decide_fulfil(["budi"]))
    run(order, order.decide_dispatch("s1"))
    assert order.status is OrderStatus.SHIPPED
