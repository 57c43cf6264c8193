"""The shipment object (partitioned, one per parcel from one warehouse): label, tracking,
dispatch, delivery; cancelled when its checkout is compensated."""

from typing import Any

from pydantic import BaseModel, Field

from actors.carrier import Carrier
from actors.groups import SHOP_GROUP
from domain.errors import DomainError
from durable import CallContext, DurableObject, Event, Partitioned, command, query


class ShipmentStateError(DomainError):
    code = "illegal_transition"


class ShipmentState(BaseModel):
    status: str = "new"  # new, labelled, dispatched, delivered, cancelled
    order_id: str | None = None
    warehouse_id: str | None = None
    tracking_number: str | None = None
    label: str | None = None
    tracking: list[dict[str, Any]] = Field(default_factory=list)


class Shipment(DurableObject):
    kind = "shipment"
    collection = "shipments"
    placement = Partitioned(partitions=4, hosts=2, group=SHOP_GROUP)
    state_model = ShipmentState
    state: ShipmentState

    def apply(self, event: Event) -> None:
        state, data = self.state, event.data
        if event.type == "ShipmentLabelled":
            state.order_id, state.warehouse_id = data["order_id"], data["warehouse_id"]
            state.tracking_number, state.label = data["tracking_number"], data["label"]
        state.status = _STATUS_AFTER.get(event.type, state.status)
        state.tracking.append({"status": state.status, "note": data.get("note", event.type)})

    def index(self) -> tuple[str | None, str | None]:
        return self.state.order_id, self.state.status

    @command
    async def create(
        self,
        ctx: CallContext,
        order_id: str,
        warehouse_id: str,
        origin_region: str,
        destination_region: str,
        weight_grams: int,
        service: str = "REG",
    ) -> dict[str, Any]:
        """Buys the label once (a repeat returns it). Raises ShippingUnavailable."""
        if self.state.status == "new":
            label = ctx.adapter(Carrier).create_label(
                self.key, origin_region, destination_region, weight_grams, service
            )
            ctx.emit(
                "ShipmentLabelled",
                {
                    "order_id": order_id,
                    "warehouse_id": warehouse_id,
                    "tracking_number": label.tracking_number,
                    "label": label.document,
                },
            )
        return self.view_state()

    @command
    async def cancel_if_present(self, ctx: CallContext, reason: str) -> dict[str, Any]:
        if self.state.status == "labelled":
            ctx.emit("ShipmentCancelled", {"note": reason})
        return self.view_state()

    @command
    async def dispatch(self, ctx: CallContext) -> dict[str, Any]:
        self._require("labelled", "dispatched")
        if self.state.status == "labelled":
            ctx.emit("ShipmentDispatched", {"note": "handed to the carrier"})
            ctx.publish("ShipmentDispatched", self._as_published())
        return self.view_state()

    @command
    async def deliver(self, ctx: CallContext) -> dict[str, Any]:
        self._require("dispatched", "delivered")
        if self.state.status == "dispatched":
            ctx.emit("ShipmentDelivered", {"note": "delivered"})
            ctx.publish("ShipmentDelivered", self._as_published())
        return self.view_state()

    def _as_published(self) -> dict[str, Any]:
        state = self.state
        return {
            "shipment_id": self.key,
            "order_id": state.order_id,
            "warehouse_id": state.warehouse_id,
            "tracking_number": state.tracking_number,
        }

    @query
    async def track(self, ctx: CallContext) -> dict[str, Any]:
        return {**self.view_state(), "tracking": self.state.tracking}

    def _require(self, *allowed: str) -> None:
        if self.state.status not in allowed:
            raise ShipmentStateError(f"shipment is {self.state.status}", status=self.state.status)

    def view_state(self) -> dict[str, Any]:
        state = self.state
        return {
            "shipment_id": self.key,
            "order_id": state.order_id,
            "warehouse_id": state.warehouse_id,
            "status": state.status,
            "tracking_number": state.tracking_number,
        }


_STATUS_AFTER = {
    "ShipmentLabelled": "labelled",
    "ShipmentCancelled": "cancelled",
    "ShipmentDispatched": "dispatched",
    "ShipmentDelivered": "delivered",
}
