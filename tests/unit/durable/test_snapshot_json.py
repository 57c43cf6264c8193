"""What a host stores as an object's snapshot: the same state whichever way it is written."""

import json
from typing import Any

from pydantic import BaseModel, Field

from actors.warehouse import Warehouse
from durable.kind import DurableObject, Event


class Line(BaseModel):
    title: str
    quantity: int
    weight_kg: float


class Basket(BaseModel):
    lines: dict[str, Line] = Field(default_factory=dict)
    note: str | None = None


class BasketObject(DurableObject):
    kind = "basket"
    collection = "baskets"
    state_model = Basket
    state: Basket

    def apply(self, event: Event) -> None:
        self.state.lines[event.data["sku"]] = Line.model_validate(event.data["line"])


class Tally(DurableObject):
    kind = "tally"
    collection = "tallies"

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.total = 0

    def snapshot(self) -> dict[str, Any]:
        return {"total": self.total, "kind": "tally"}

    def restore(self, snapshot: dict[str, Any]) -> None:
        self.total = snapshot["total"]


def test_a_state_model_is_stored_as_its_snapshot_would_be() -> None:
    basket = BasketObject("b-1")
    line = {"title": "Teh Celup Melati — 25 kantong", "quantity": 3, "weight_kg": 0.075}
    basket.apply(Event("LineAdded", {"sku": "TEA", "line": line}))
    basket.state.note = "kirim pagi ☀"

    stored = basket.snapshot_json()

    assert json.loads(stored) == basket.snapshot()
    restored = BasketObject("b-1")
    restored.restore(json.loads(stored))
    assert restored.state == basket.state


def test_a_kind_with_its_own_snapshot_is_stored_from_it() -> None:
    tally = Tally("t-1")
    tally.total = 41

    assert json.loads(tally.snapshot_json()) == {"total": 41, "kind": "tally"}


def test_a_warehouse_with_reservations_round_trips() -> None:
    warehouse = Warehouse("jkt")
    stock = warehouse.state.stock
    stock.apply("StockRestocked", {"sku": "TEA", "quantity": 10})
    stock.apply("StockReserved", {"reservation_id": "r-1", "lines": {"TEA": 2}, "expires_at": 1.5})
    stock.apply("ReservationConfirmed", {"reservation_id": "r-1", "lines": {"TEA": 2}})

    restored = Warehouse("jkt")
    restored.restore(json.loads(warehouse.snapshot_json()))

    assert restored.state == warehouse.state
    assert json.loads(warehouse.snapshot_json()) == warehouse.snapshot()
