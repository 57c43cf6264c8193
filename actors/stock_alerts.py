"""Low-stock alerts (ARCHITECTURE §9): the latest alert per warehouse and SKU, for the admin
pages that decide what to restock."""

from typing import Any

from domain.events import LowStockDetected, payload_of
from durable import CallContext, Envelope, Subscriber, query

SCHEMA = """
CREATE TABLE IF NOT EXISTS stock_alerts (
    warehouse_id TEXT NOT NULL, sku TEXT NOT NULL, available INTEGER NOT NULL,
    threshold INTEGER NOT NULL, at REAL NOT NULL, PRIMARY KEY (warehouse_id, sku)
) WITHOUT ROWID;
"""
FIELDS = ("warehouse_id", "sku", "available", "threshold", "at")


ALERTS_KEY = "alerts"
"""The key of the one StockAlerts object the bus delivers to."""


class StockAlerts(Subscriber):
    kind = "stock_alerts"
    collection = "stock_alerts"
    owner_schema = SCHEMA

    async def handle(self, ctx: CallContext, events: list[Envelope]) -> None:
        for envelope in events:
            alert = payload_of(envelope.type, envelope.payload)
            if isinstance(alert, LowStockDetected):
                ctx.put_row(
                    "stock_alerts",
                    {"warehouse_id": alert.warehouse_id, "sku": alert.sku},
                    {"available": alert.available, "threshold": alert.threshold, "at": envelope.at},
                )

    @query
    async def alerts(
        self, ctx: CallContext, warehouse_id: str | None = None
    ) -> list[dict[str, Any]]:
        rows = await ctx.read(
            f"SELECT {', '.join(FIELDS)} FROM stock_alerts"
            " WHERE (? IS NULL OR warehouse_id = ?) ORDER BY at DESC",
            (warehouse_id, warehouse_id),
        )
        return [dict(zip(FIELDS, row, strict=True)) for row in rows]
