"""The warehouse object (dedicated: one host and one file per warehouse, ARCHITECTURE §6).

Every checkout touches it, so it answers from memory; its `stock` and `reservations` tables
are projections written in the same transaction as its events, for queries from outside.
Each held reservation has an alarm that expires it.
"""

import json
from typing import Any

from pydantic import BaseModel, Field

from domain.errors import parse
from domain.geography import region
from domain.inventory import (
    DEFAULT_RESERVATION_TTL_S,
    Events,
    InsufficientStock,
    WarehouseStock,
)
from durable import CallContext, Dedicated, DurableObject, Event, command, query

EXPIRY_PREFIX = "expire:"

SCHEMA = """
CREATE TABLE IF NOT EXISTS stock (
    sku TEXT PRIMARY KEY, available INTEGER NOT NULL, reserved INTEGER NOT NULL,
    allocated INTEGER NOT NULL, updated_at REAL NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS reservations (
    reservation_id TEXT PRIMARY KEY, status TEXT NOT NULL, lines TEXT NOT NULL,
    expires_at REAL NOT NULL, updated_at REAL NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS reservations_by_status ON reservations (status, expires_at);
"""


class WarehouseSiteInfo(BaseModel):
    name: str = Field(min_length=1, max_length=120)
    region: str
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)


class WarehouseState(BaseModel):
    site: WarehouseSiteInfo | None = None
    stock: WarehouseStock = Field(default_factory=WarehouseStock)
    active: bool = True
    """A deactivated warehouse takes no new reservations; what it holds still ships."""


class Warehouse(DurableObject):
    kind = "warehouse"
    collection = "warehouses"
    placement = Dedicated()
    state_model = WarehouseState
    owner_schema = SCHEMA
    state: WarehouseState

    def apply(self, event: Event) -> None:
        if event.type == "WarehouseConfigured":
            self.state.site = WarehouseSiteInfo.model_validate(event.data)
        elif event.type in ("WarehouseDeactivated", "WarehouseActivated"):
            self.state.active = event.type == "WarehouseActivated"
        else:
            self.state.stock.apply(event.type, event.data)

    def index(self) -> tuple[str | None, str | None]:
        return None, self.state.site.region if self.state.site else None

    async def on_alarm(self, ctx: CallContext, name: str) -> None:
        if name.startswith(EXPIRY_PREFIX):
            reservation_id = name.removeprefix(EXPIRY_PREFIX)
            self._record(ctx, self.state.stock.decide_expire(reservation_id, ctx.now()))

    # changes

    @command
    async def configure(
        self,
        ctx: CallContext,
        name: str,
        region_code: str,
        latitude: float,
        longitude: float,
        low_stock_threshold: int = 5,
    ) -> dict[str, Any]:
        region(region_code)
        site = parse(
            WarehouseSiteInfo,
            {"name": name, "region": region_code, "latitude": latitude, "longitude": longitude},
        )
        if site != self.state.site:
            ctx.emit("WarehouseConfigured", site.model_dump())
        self._set_threshold(ctx, low_stock_threshold)
        return self.info_state()

    @command
    async def set_threshold(self, ctx: CallContext, threshold: int) -> dict[str, Any]:
        """The available level at or under which a SKU raises `LowStockDetected`."""
        self._set_threshold(ctx, threshold)
        return self.info_state()

    @command
    async def set_active(self, ctx: CallContext, active: bool) -> dict[str, Any]:
        """Deactivated, a warehouse takes no new reservations (checkouts plan without it);
        activated again, it does."""
        if active != self.state.active:
            ctx.emit("WarehouseActivated" if active else "WarehouseDeactivated", {})
        return self.info_state()

    @command
    async def reserve(
        self,
        ctx: CallContext,
        reservation_id: str,
        lines: dict[str, int],
        ttl_s: float = DEFAULT_RESERVATION_TTL_S,
    ) -> dict[str, Any]:
        """Holds `lines` until confirmed, released or expired (all lines or none).

        Raises:
            InsufficientStock: naming each SKU that is short (every one, at a warehouse
            that was deactivated).
        """
        if not self.state.active and reservation_id not in self.state.stock.reservations:
            raise InsufficientStock(
                "the warehouse takes no new reservations", short=dict(lines), inactive=True
            )
        expires_at = ctx.now() + max(float(ttl_s), 1.0)
        events = self.state.stock.decide_reserve(reservation_id, lines, expires_at)
        self._record(ctx, events)
        if events:
            ctx.set_alarm(EXPIRY_PREFIX + reservation_id, expires_at)
        return self._reservation_view(reservation_id)

    @command
    async def release(
        self, ctx: CallContext, reservation_id: str, reason: str = "released"
    ) -> dict[str, Any]:
        """Returns a held or confirmed reservation to available; safe to repeat."""
        self._record(ctx, self.state.stock.decide_release(reservation_id, reason))
        ctx.cancel_alarm(EXPIRY_PREFIX + reservation_id)
        return {"reservation_id": reservation_id, "status": "released"}

    @command
    async def confirm(self, ctx: CallContext, reservation_id: str) -> dict[str, Any]:
        self._record(ctx, self.state.stock.decide_confirm(reservation_id))
        ctx.cancel_alarm(EXPIRY_PREFIX + reservation_id)
        return self._reservation_view(reservation_id)

    @command
    async def ship(self, ctx: CallContext, reservation_id: str) -> dict[str, Any]:
        self._record(ctx, self.state.stock.decide_ship(reservation_id))
        return {"reservation_id": reservation_id, "status": "shipped"}

    @command
    async def restock(self, ctx: CallContext, sku: str, quantity: int) -> dict[str, Any]:
        self._record(ctx, self.state.stock.decide_restock(sku, quantity))
        return self._level_view(sku)

    @command
    async def adjust(
        self, ctx: CallContext, sku: str, counted_on_hand: int, reason: str = "count"
    ) -> dict[str, Any]:
        self._record(ctx, self.state.stock.decide_adjust(sku, counted_on_hand, reason))
        return self._level_view(sku)

    # reading

    @query
    async def info(self, ctx: CallContext) -> dict[str, Any]:
        return self.info_state()

    @query
    async def levels(
        self, ctx: CallContext, skus: list[str] | None = None
    ) -> dict[str, dict[str, int]]:
        wanted = skus if skus is not None else sorted(self.state.stock.levels)
        return {sku: self._level_view(sku) for sku in wanted}

    @query
    async def reservation(self, ctx: CallContext, reservation_id: str) -> dict[str, Any]:
        return self._reservation_view(reservation_id)

    @query
    async def reservations(
        self, ctx: CallContext, status: str | None = None, limit: int = 100
    ) -> list[dict[str, Any]]:
        """Reservations newest first, optionally of one status (held, confirmed, released,
        expired, shipped)."""
        rows = await ctx.read(
            "SELECT reservation_id, status, lines, expires_at, updated_at FROM reservations"
            " WHERE ? IS NULL OR status = ? ORDER BY updated_at DESC LIMIT ?",
            (status, status, max(1, min(int(limit), 1000))),
        )
        return [
            {
                "reservation_id": reservation_id,
                "status": found,
                "lines": json.loads(lines),
                "expires_at": expires_at,
                "updated_at": updated_at,
            }
            for reservation_id, found, lines, expires_at, updated_at in rows
        ]

    @query
    async def audit(self, ctx: CallContext) -> dict[str, Any]:
        """Levels in memory beside the committed `stock` projection, for invariant checks."""
        rows = await ctx.read("SELECT sku, available, reserved, allocated FROM stock")
        return {
            "memory": {sku: self._level_view(sku) for sku in self.state.stock.levels},
            "table": {
                sku: {"available": a, "reserved": r, "allocated": al} for sku, a, r, al in rows
            },
        }

    def info_state(self) -> dict[str, Any]:
        site = self.state.site
        return {
            "warehouse_id": self.key,
            **(site.model_dump() if site else {}),
            "low_stock_threshold": self.state.stock.low_stock_threshold,
            "active": self.state.active,
        }

    # helpers

    def _set_threshold(self, ctx: CallContext, threshold: int) -> None:
        checked = parse(_Threshold, {"threshold": threshold}).threshold
        if checked != self.state.stock.low_stock_threshold:
            ctx.emit("ThresholdSet", {"threshold": checked})

    def _record(self, ctx: CallContext, events: Events) -> None:
        """Emits, keeps the projections in step, and sends low-stock alerts out."""
        ctx.emit_all(events)
        now = ctx.now()
        for event_type, data in events:
            if event_type == "LowStockDetected":
                ctx.publish("LowStockDetected", {"warehouse_id": self.key, **data})
                continue
            if event_type in PUBLISHED_AS:
                ctx.publish(PUBLISHED_AS[event_type], self._moved(data))
            for sku in data["lines"] if "lines" in data else [data["sku"]]:
                level = self.state.stock.level(sku)
                ctx.put_row("stock", {"sku": sku}, {**level.model_dump(), "updated_at": now})
            if "reservation_id" in data:
                ctx.put_row(
                    "reservations",
                    {"reservation_id": data["reservation_id"]},
                    {
                        "status": _STATUS_AFTER[event_type],
                        "lines": json.dumps(data["lines"]),
                        "expires_at": data.get("expires_at", 0.0),
                        "updated_at": now,
                    },
                )

    def _level_view(self, sku: str) -> dict[str, int]:
        level = self.state.stock.level(sku)
        return {**level.model_dump(), "on_hand": level.on_hand}

    def _moved(self, data: dict[str, Any]) -> dict[str, Any]:
        lines = data["lines"] if "lines" in data else {data["sku"]: data["quantity"]}
        return {
            "warehouse_id": self.key,
            "lines": lines,
            "reservation_id": data.get("reservation_id"),
            "reason": data.get("reason"),
        }

    def _reservation_view(self, reservation_id: str) -> dict[str, Any]:
        held = self.state.stock.reservations.get(reservation_id)
        if held is None:
            return {"reservation_id": reservation_id, "status": "closed"}
        return {"warehouse_id": self.key, **held.model_dump(mode="json")}


class _Threshold(BaseModel):
    threshold: int = Field(ge=0)


PUBLISHED_AS = {
    "StockReserved": "StockReserved",
    "ReservationReleased": "StockReleased",
    "ReservationExpired": "StockReleased",
    "ReservationConfirmed": "StockConfirmed",
    "StockRestocked": "StockRestocked",
}
"""The integration event the rest of the shop hears for each stock event."""

_STATUS_AFTER = {
    "StockReserved": "held",
    "ReservationConfirmed": "confirmed",
    "ReservationReleased": "released",
    "ReservationExpired": "expired",
    "ReservationShipped": "shipped",
}
