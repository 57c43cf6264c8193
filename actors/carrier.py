"""The carrier port, and a fake adapter that behaves like a real carrier: rates by distance
and weight, labels with tracking numbers, and destinations it does not serve."""

import hashlib
from abc import ABC, abstractmethod

from pydantic import BaseModel

from domain.errors import DomainError
from domain.geography import great_circle_km, region

UNSERVED_REGIONS = frozenset({"ID-PA"})


class ShippingUnavailable(DomainError):
    code = "shipping_unavailable"


class RateQuote(BaseModel):
    service: str
    label: str
    price: int
    currency: str
    eta_days: int


class Label(BaseModel):
    tracking_number: str
    document: str


class Carrier(ABC):
    @abstractmethod
    def rates(
        self, origin: str, destination: str, weight_grams: int, currency: str
    ) -> list[RateQuote]: ...

    @abstractmethod
    def create_label(
        self, shipment_id: str, origin: str, destination: str, weight_grams: int, service: str
    ) -> Label: ...


class FakeCarrier(Carrier):
    """Prices in whole minor units: a base fee plus distance and weight steps."""

    def __init__(self, unserved: frozenset[str] = UNSERVED_REGIONS) -> None:
        self._unserved = unserved

    def rates(
        self, origin: str, destination: str, weight_grams: int, currency: str
    ) -> list[RateQuote]:
        self._check_served(destination)
        src, dst = region(origin), region(destination)
        km = int(great_circle_km(src.latitude, src.longitude, dst.latitude, dst.longitude))
        kilos = max(1, -(-weight_grams // 1000))
        regular = 9_000 + 10 * km + 4_000 * kilos
        return [
            RateQuote(
                service="REG",
                label="Regular",
                price=regular,
                currency=currency,
                eta_days=2 + km // 500,
            ),
            RateQuote(
                service="EXP",
                label="Express",
                price=regular * 2,
                currency=currency,
                eta_days=1 + km // 1000,
            ),
        ]

    def create_label(
        self, shipment_id: str, origin: str, destination: str, weight_grams: int, service: str
    ) -> Label:
        self._check_served(destination)
        tracking = "FK" + hashlib.sha256(shipment_id.encode()).hexdigest()[:12].upper()
        route = f"{service} {origin} -> {destination}"
        document = f"FAKE CARRIER LABEL\n{tracking}\n{route}\n{weight_grams} g\n"
        return Label(tracking_number=tracking, document=document)

    def _check_served(self, destination: str) -> None:
        region(destination)
        if destination in self._unserved:
            raise ShippingUnavailable(f"no carrier serves {destination}", region=destination)
