"""Warehouse stock (ARCHITECTURE §7): per SKU, on_hand = available + reserved + allocated.

Reserve takes from available, release gives back, confirm turns reserved into allocated, ship
takes allocated out of the building, restock adds. No quantity is ever negative. Every change
is decided by a `decide_*` method (which raises or returns events) and folded by `apply`.
"""

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from domain.errors import DomainError

Events = list[tuple[str, dict[str, Any]]]
DEFAULT_RESERVATION_TTL_S = 30 * 60


class InsufficientStock(DomainError):
    """Names every SKU that is short and by how much (`details["short"]`)."""

    code = "insufficient_stock"


class ReservationNotFound(DomainError):
    code = "reservation_not_found"


class InvalidStockChange(DomainError):
    code = "invalid_stock_change"


class ReservationStatus(StrEnum):
    HELD = "held"
    CONFIRMED = "confirmed"


class StockLevel(BaseModel):
    available: int = 0
    reserved: int = 0
    allocated: int = 0

    @property
    def on_hand(self) -> int:
        return self.available + self.reserved + self.allocated


class Reservation(BaseModel):
    reservation_id: str
    lines: dict[str, int]
    expires_at: float
    status: ReservationStatus = ReservationStatus.HELD


class WarehouseStock(BaseModel):
    """Stock levels and the open (held or confirmed) reservations of one warehouse."""

    levels: dict[str, StockLevel] = Field(default_factory=dict)
    reservations: dict[str, Reservation] = Field(default_factory=dict)
    low_stock_threshold: int = Field(default=5, ge=0)

    def level(self, sku: str) -> StockLevel:
        return self.levels.get(sku) or StockLevel()

    # decisions

    def decide_reserve(
        self, reservation_id: str, lines: dict[str, int], expires_at: float
    ) -> Events:
        """All lines or none. Reserving an id that is already open changes nothing."""
        if not lines:
            raise InvalidStockChange("a reservation needs at least one line")
        for quantity in lines.values():
            _check_positive(quantity)
        if reservation_id in self.reservations:
            return []
        short = {
            sku: quantity - self.level(sku).available
            for sku, quantity in lines.items()
            if self.level(sku).available < quantity
        }
        if short:
            raise InsufficientStock("not enough stock for " + ", ".join(sorted(short)), short=short)
        reserved = {"reservation_id": reservation_id, "lines": lines, "expires_at": expires_at}
        return [("StockReserved", reserved), *self._low_stock_after(lines)]

    def decide_release(self, reservation_id: str, reason: str) -> Events:
        """Gives a held or confirmed reservation back to available; a no-op if it is gone."""
        reservation = self.reservations.get(reservation_id)
        if reservation is None:
            return []
        return [("ReservationReleased", _closing(reservation, reason))]

    def decide_expire(self, reservation_id: str, now: float) -> Events:
        reservation = self.reservations.get(reservation_id)
        if reservation is None or reservation.status is not ReservationStatus.HELD:
            return []
        if reservation.expires_at > now:
            return []
        return [("ReservationExpired", _closing(reservation, "expired"))]

    def decide_confirm(self, reservation_id: str) -> Events:
        reservation = self._open(reservation_id)
        if reservation.status is ReservationStatus.CONFIRMED:
            return []
        return [
            ("ReservationConfirmed", {"reservation_id": reservation_id, "lines": reservation.lines})
        ]

    def decide_ship(self, reservation_id: str) -> Events:
        reservation = self._open(reservation_id)
        if reservation.status is not ReservationStatus.CONFIRMED:
            raise InvalidStockChange(
                "only confirmed reservations can ship", reservation_id=reservation_id
            )
        return [
            ("ReservationShipped", {"reservation_id": reservation_id, "lines": reservation.lines})
        ]

    def decide_restock(self, sku: str, quantity: int) -> Events:
        _check_positive(quantity)
        return [("StockRestocked", {"sku": sku, "quantity": quantity})]

    def decide_adjust(self, sku: str, counted_on_hand: int, reason: str) -> Events:
        """Sets on_hand to a counted figure; the difference comes out of (or into) available."""
        if not isinstance(counted_on_hand, int) or counted_on_hand < 0:
            raise InvalidStockChange("a counted quantity is a whole number, 0 or more")
        level = self.level(sku)
        delta = counted_on_hand - level.on_hand
        if level.available + delta < 0:
            raise InvalidStockChange(
                f"{sku}: {level.reserved + level.allocated} units are reserved or allocated",
                sku=sku,
                minimum=level.reserved + level.allocated,
            )
        if delta == 0:
            return []
        events: Events = [("StockAdjusted", {"sku": sku, "delta": delta, "reason": reason})]
        if delta < 0:
            events += self._low_stock_after({sku: -delta})
        return events

    def _open(self, reservation_id: str) -> Reservation:
        reservation = self.reservations.get(reservation_id)
        if reservation is None:
            raise ReservationNotFound(
                f"no open reservation {reservation_id!r} (released or expired?)",
                reservation_id=reservation_id,
            )
        return reservation

    def _low_stock_after(self, taken: dict[str, int]) -> Events:
        """LowStockDetected for each SKU that this change takes to or below the threshold."""
        events: Events = []
        for sku, quantity in taken.items():
            before = self.level(sku).available
            after = before - quantity
            if after <= self.low_stock_threshold < before:
                events.append(
                    (
                        "LowStockDetected",
                        {"sku": sku, "available": after, "threshold": self.low_stock_threshold},
                    )
                )
        return events

    # folding

    def apply(self, event_type: str, data: dict[str, Any]) -> None:
        match event_type:
            case "StockReserved":
                for sku, quantity in data["lines"].items():
                    self._move(sku, quantity, "available", "reserved")
                self.reservations[data["reservation_id"]] = Reservation.model_validate(data)
            case "ReservationReleased" | "ReservationExpired":
                held = data["status"] == ReservationStatus.HELD
                for sku, quantity in data["lines"].items():
                    self._move(sku, quantity, "reserved" if held else "allocated", "available")
                self.reservations.pop(data["reservation_id"], None)
            case "ReservationConfirmed":
                for sku, quantity in data["lines"].items():
                    self._move(sku, quantity, "reserved", "allocated")
                self.reservations[data["reservation_id"]].status = ReservationStatus.CONFIRMED
            case "ReservationShipped":
                for sku, quantity in data["lines"].items():
                    self._move(sku, quantity, "allocated", None)
                self.reservations.pop(data["reservation_id"], None)
            case "StockRestocked":
                self._move(data["sku"], data["quantity"], None, "available")
            case "StockAdjusted":
                delta = data["delta"]
                self._move(
                    data["sku"],
                    abs(delta),
                    *((None, "available") if delta > 0 else ("available", None)),
                )
            case "ThresholdSet":
                self.low_stock_threshold = data["threshold"]

    def _move(self, sku: str, quantity: int, source: str | None, target: str | None) -> None:
        level = self.levels.setdefault(sku, StockLevel())
        if source is not None:
            left = getattr(level, source) - quantity
            if left < 0:
                raise AssertionError(f"{sku}.{source} would go negative: a decision was skipped")
            setattr(level, source, left)
        if target is not None:
            setattr(level, target, getattr(level, target) + quantity)


def _describe(reservation: Reservation) -> dict[str, Any]:
    return {
        "reservation_id": reservation.reservation_id,
        "lines": reservation.lines,
        "expires_at": reservation.expires_at,
    }


def _closing(reservation: Reservation, reason: str) -> dict[str, Any]:
    return {**_describe(reservation), "status": reservation.status.value, "reason": reason}


def _check_positive(quantity: int) -> None:
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
        raise InvalidStockChange(
            "a quantity is a whole number of at least 1", quantity=repr(quantity)
        )
