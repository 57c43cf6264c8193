"""Allocation across warehouses: nearest to the destination first, then fewest shipments."""

import pytest

from domain.allocation import WarehouseSite, plan_allocation
from domain.geography import REGIONS
from domain.inventory import InsufficientStock

JAKARTA = WarehouseSite(warehouse_id="jkt", latitude=-6.2, longitude=106.85)
BANDUNG = WarehouseSite(warehouse_id="bdg", latitude=-6.9, longitude=107.6)
SURABAYA = WarehouseSite(warehouse_id="sby", latitude=-7.25, longitude=112.75)
SITES = [SURABAYA, BANDUNG, JAKARTA]
IN_JAKARTA = (REGIONS["ID-JK"].latitude, REGIONS["ID-JK"].longitude)
IN_SURABAYA = (REGIONS["ID-JI"].latitude, REGIONS["ID-JI"].longitude)


def test_the_nearest_warehouse_ships_everything_it_can() -> None:
    available = {"jkt": {"A": 5, "B": 5}, "bdg": {"A": 5, "B": 5}, "sby": {"A": 5, "B": 5}}
    assert plan_allocation({"A": 2, "B": 1}, IN_SURABAYA, SITES, available).shipments == {
        "sby": {"A": 2, "B": 1}
    }
    assert plan_allocation({"A": 2}, IN_JAKARTA, SITES, available).shipments == {"jkt": {"A": 2}}


def test_one_shipment_from_a_near_warehouse_beats_splitting_a_line() -> None:
    available = {"jkt": {"A": 3}, "bdg": {"A": 10}, "sby": {"A": 10}}
    assert plan_allocation({"A": 5}, IN_JAKARTA, SITES, available).shipments == {"bdg": {"A": 5}}


def test_a_line_no_single_warehouse_holds_is_split_nearest_first() -> None:
    available = {"jkt": {"A": 3}, "bdg": {"A": 4}, "sby": {"A": 10}}
    assert plan_allocation({"A": 6}, IN_JAKARTA, SITES, available).shipments == {
        "jkt": {"A": 3},
        "bdg": {"A": 3},
    }


def test_fewer_shipments_win_among_the_nearest_warehouses_needed() -> None:
    # Jakarta has only A; Bandung has A and B: one shipment from Bandung beats two.
    available = {"jkt": {"A": 5}, "bdg": {"A": 5, "B": 5}, "sby": {"B": 5}}
    assert plan_allocation({"A": 1, "B": 1}, IN_JAKARTA, SITES, available).shipments == {
        "bdg": {"A": 1, "B": 1}
    }


def test_a_farther_warehouse_is_used_only_when_the_nearer_ones_cannot_cover() -> None:
    available = {"jkt": {"A": 5}, "bdg": {"B": 5}, "sby": {"A": 5, "B": 5}}
    assert plan_allocation({"A": 1, "B": 1}, IN_JAKARTA, SITES, available).shipments == {
        "jkt": {"A": 1},
        "bdg": {"B": 1},
    }


def test_what_no_combination_of_warehouses_holds_is_named() -> None:
    available = {"jkt": {"A": 2}, "bdg": {"A": 1}, "sby": {}}
    with pytest.raises(InsufficientStock) as refused:
        plan_allocation({"A": 5, "B": 1}, IN_JAKARTA, SITES, available)
    assert refused.value.details["short"] == {"A": 2, "B": 1}
