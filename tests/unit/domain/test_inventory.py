"""Warehouse stock: reserve, release, confirm, ship, restock, adjust; never negative."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.errors import DomainError
from domain.inventory import (
    InsufficientStock,
    InvalidStockChange,
    ReservationNotFound,
    ReservationStatus,
    WarehouseStock,
)

NOW = 1_000.0


def stocked(**available: int) -> WarehouseStock:
    stock = WarehouseStock(low_stock_threshold=2)
    for sku, quantity in available.items():
        run(stock, stock.decide_restock(sku, quantity))
    return stock


def run(stock: WarehouseStock, events: list) -> list[str]:
    for event_type, data in events:
        stock.apply(event_type, data)
    return [event_type for event_type, _ in events]


def test_reserving_moves_units_from_available_to_reserved() -> None:
    stock = stocked(A=10)
    run(stock, stock.decide_reserve("r1", {"A": 3}, NOW + 60))
    level = stock.level("A")
    assert (level.available, level.reserved, level.allocated, level.on_hand) == (7, 3, 0, 10)


def test_a_short_reservation_names_every_short_sku_and_takes_nothing() -> None:
    stock = stocked(A=1, B=5)
    with pytest.raises(InsufficientStock) as refused:
        stock.decide_reserve("r1", {"A": 2, "B": 5, "C": 1}, NOW + 60)
    assert refused.value.details["short"] == {"A": 1, "C": 1}
    assert stock.level("B").available == 5


def test_reserving_an_open_reservation_again_changes_nothing() -> None:
    stock = stocked(A=10)
    run(stock, stock.decide_reserve("r1", {"A": 3}, NOW + 60))
    assert stock.decide_reserve("r1", {"A": 3}, NOW + 60) == []


def test_confirm_then_ship_takes_units_out_of_the_building() -> None:
    stock = stocked(A=10)
    run(stock, stock.decide_reserve("r1", {"A": 4}, NOW + 60))
    run(stock, stock.decide_confirm("r1"))
    assert stock.level("A").allocated == 4
    run(stock, stock.decide_ship("r1"))
    assert (stock.level("A").available, stock.level("A").on_hand) == (6, 6)


def test_releasing_gives_held_or_confirmed_units_back_and_is_safe_to_repeat() -> None:
    stock = stocked(A=10)
    run(stock, stock.decide_reserve("r1", {"A": 4}, NOW + 60))
    run(stock, stock.decide_confirm("r1"))
    run(stock, stock.decide_release("r1", "payment declined"))
    assert stock.level("A").available == 10
    assert stock.decide_release("r1", "again") == []


def test_a_reservation_expires_only_when_due_and_only_while_held() -> None:
    stock = stocked(A=10)
    run(stock, stock.decide_reserve("r1", {"A": 4}, NOW + 60))
    assert stock.decide_expire("r1", NOW) == []
    assert run(stock, stock.decide_expire("r1", NOW + 60)) == ["ReservationExpired"]
    assert stock.level("A").available == 10
    with pytest.raises(ReservationNotFound):
        stock.decide_confirm("r1")


def test_low_stock_is_detected_when_available_crosses_the_threshold() -> None:
    stock = stocked(A=5)
    assert run(stock, stock.decide_reserve("r1", {"A": 2}, NOW + 60)) == ["StockReserved"]
    assert run(stock, stock.decide_reserve("r2", {"A": 1}, NOW + 60)) == [
        "StockReserved",
        "LowStockDetected",
    ]
    assert run(stock, stock.decide_reserve("r3", {"A": 1}, NOW + 60)) == ["StockReserved"]


def test_a_count_cannot_go_below_what_is_reserved_or_allocated() -> None:
    stock = stocked(A=10)
    run(stock, stock.decide_reserve("r1", {"A": 6}, NOW + 60))
    with pytest.raises(InvalidStockChange, match="6 units are reserved"):
        stock.decide_adjust("A", 5, "count")
    run(stock, stock.decide_adjust("A", 7, "count"))
    assert (stock.level("A").available, stock.level("A").on_hand) == (1, 7)


SKUS = st.sampled_from(["A", "B", "C"])
IDS = st.sampled_from([f"r{n}" for n in range(6)])
OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("restock"), SKUS, st.integers(-2, 20)),
        st.tuples(st.just("reserve"), IDS, st.dictionaries(SKUS, st.integers(-1, 8), max_size=3)),
        st.tuples(st.just("release"), IDS),
        st.tuples(st.just("confirm"), IDS),
        st.tuples(st.just("ship"), IDS),
        st.tuples(st.just("expire"), IDS, st.integers(0, 200)),
        st.tuples(st.just("adjust"), SKUS, st.integers(-3, 30)),
    ),
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(OPERATIONS)
def test_any_sequence_of_stock_operations_conserves_units_and_never_goes_negative(
    ops: list,
) -> None:
    stock = WarehouseStock(low_stock_threshold=3)
    expected_on_hand = {"A": 0, "B": 0, "C": 0}
    for op in ops:
        decide = {
            "restock": lambda sku, q: stock.decide_restock(sku, q),
            "reserve": lambda rid, lines: stock.decide_reserve(rid, lines, NOW + 100),
            "release": lambda rid: stock.decide_release(rid, "test"),
            "confirm": lambda rid: stock.decide_confirm(rid),
            "ship": lambda rid: stock.decide_ship(rid),
            "expire": lambda rid, dt: stock.decide_expire(rid, NOW + dt),
            "adjust": lambda sku, n: stock.decide_adjust(sku, n, "count"),
        }[op[0]]
        try:
            events = decide(*op[1:])
        except DomainError:
            continue
        for event_type, data in events:
            if event_type == "StockRestocked":
                expected_on_hand[data["sku"]] += data["quantity"]
            elif event_type == "StockAdjusted":
                expected_on_hand[data["sku"]] += data["delta"]
            elif event_type == "ReservationShipped":
                for sku, quantity in data["lines"].items():
                    expected_on_hand[sku] -= quantity
            stock.apply(event_type, data)
    for sku, on_hand in expected_on_hand.items():
        level = stock.level(sku)
        assert level.on_hand == on_hand
        assert min(level.available, level.reserved, level.allocated) >= 0
        held = ReservationStatus.HELD
        assert level.reserved == sum(
            r.lines.get(sku, 0) for r in stock.reservations.values() if r.status is held
        )
        assert level.allocated == sum(
            r.lines.get(sku, 0) for r in stock.reservations.values() if r.status is not held
        )
