"""The fake carrier quotes like a real one: whole minor units, farther and heavier costs more,
express costs more than regular, and some destinations are not served."""

import pytest

from actors.carrier import FakeCarrier, ShippingUnavailable
from domain.geography import UnknownRegion

CARRIER = FakeCarrier()


def regular_price(origin: str, destination: str, grams: int) -> int:
    quotes = {q.service: q for q in CARRIER.rates(origin, destination, grams, "IDR")}
    assert quotes["EXP"].price > quotes["REG"].price
    assert quotes["EXP"].eta_days <= quotes["REG"].eta_days
    return quotes["REG"].price


def test_farther_and_heavier_parcels_cost_more_in_whole_units() -> None:
    near = regular_price("ID-JK", "ID-JB", 500)
    assert isinstance(near, int)
    assert regular_price("ID-JK", "ID-JI", 500) > near
    assert regular_price("ID-JK", "ID-JB", 5_000) > near


def test_an_unserved_destination_is_refused_for_rates_and_labels() -> None:
    with pytest.raises(ShippingUnavailable, match="ID-PA"):
        CARRIER.rates("ID-JK", "ID-PA", 500, "IDR")
    with pytest.raises(ShippingUnavailable):
        CARRIER.create_label("shp-1", "ID-JK", "ID-PA", 500, "REG")
    with pytest.raises(UnknownRegion):
        CARRIER.rates("ID-JK", "XX-00", 500, "IDR")


def test_a_label_for_the_same_shipment_has_the_same_tracking_number() -> None:
    first = CARRIER.create_label("shp-7", "ID-JK", "ID-JB", 500, "REG")
    again = CARRIER.create_label("shp-7", "ID-JK", "ID-JB", 500, "REG")
    assert first.tracking_number == again.tracking_number
    assert first.tracking_number in first.document
