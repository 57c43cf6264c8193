"""The order read model (ARCHITECTURE §9): orders by customer, by seller and by status, with
totals, for listing pages. Fed by the `orders` topic; every order event carries the order as
it now is, so each event simply replaces the order's row."""

import json
from typing import Any

from domain.events import OrderChanged, payload_of
from durable import CallContext, Envelope, Subscriber, query

SCHEMA = """
CREATE TABLE IF NOT EXISTS order_view (
    order_id TEXT PRIMARY KEY, customer_id TEXT, status TEXT NOT NULL, currency TEXT,
    total INTEGER NOT NULL, lines TEXT NOT NULL, reason TEXT, placed_at REAL,
    updated_at REAL NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS order_view_by_customer ON order_view (customer_id, order_id);
CREATE INDEX IF NOT EXISTS order_view_by_status ON order_view (status, order_id);
CREATE TABLE IF NOT EXISTS order_sellers (
    seller_id TEXT NOT NULL, order_id TEXT NOT NULL, PRIMARY KEY (seller_id, order_id)
) WITHOUT ROWID;
"""

COLUMNS = ("order_id", "customer_id", "status", "currency", "total", "lines", "reason")
MAX_PAGE = 500


ORDER_VIEWS_KEY = "orders"
"""The key of the one OrderViews object the bus delivers to."""


class OrderViews(Subscriber):
    kind = "order_views"
    collection = "order_views"
    owner_schema = SCHEMA

    async def handle(self, ctx: CallContext, events: list[Envelope]) -> None:
        for envelope in events:
            order = payload_of(envelope.type, envelope.payload)
            assert isinstance(order, OrderChanged)
            lines = [line.model_dump() for line in order.lines]
            row = {
                "customer_id": order.customer_id,
                "status": order.status,
                "currency": order.currency,
                "total": order.total,
                "lines": json.dumps(lines, separators=(",", ":")),
                "reason": order.reason,
                "updated_at": envelope.at,
            }
            if envelope.type == "OrderPlaced":
                row["placed_at"] = envelope.at  # later events leave it as it is
            ctx.put_row("order_view", {"order_id": order.order_id}, row)
            for seller in {line.seller_id for line in order.lines if line.seller_id}:
                ctx.put_row("order_sellers", {"seller_id": seller, "order_id": order.order_id}, {})

    @query
    async def list_orders(
        self,
        ctx: CallContext,
        customer_id: str | None = None,
        seller_id: str | None = None,
        status: str | None = None,
        after: str = "",
        limit: int = 50,
    ) -> dict[str, Any]:
        """A page of orders in id order, filtered; `next` is the `after` of the next page."""
        limit = max(1, min(limit, MAX_PAGE))
        columns = ", ".join(f"v.{c}" for c in (*COLUMNS, "placed_at", "updated_at"))
        sql = f"SELECT {columns} FROM order_view v"
        conditions, params = ["v.order_id > ?"], [after]
        if seller_id is not None:
            sql += " JOIN order_sellers s ON s.order_id = v.order_id AND s.seller_id = ?"
            params.insert(0, seller_id)
        if customer_id is not None:
            conditions.append("v.customer_id = ?")
            params.append(customer_id)
        if status is not None:
            conditions.append("v.status = ?")
            params.append(status)
        sql += " WHERE " + " AND ".join(conditions) + " ORDER BY v.order_id LIMIT ?"
        rows = await ctx.read(sql, (*params, limit + 1))
        names = (*COLUMNS, "placed_at", "updated_at")
        orders = [dict(zip(names, row, strict=True)) for row in rows[:limit]]
        for order in orders:
            order["lines"] = json.loads(order["lines"])
        return {"orders": orders, "next": orders[-1]["order_id"] if len(rows) > limit else None}

    @query
    async def totals(
        self, ctx: CallContext, customer_id: str | None = None
    ) -> dict[str, dict[str, int]]:
        """Count and sum of totals per status (for one customer, or for everyone)."""
        rows = await ctx.read(
            "SELECT status, count(*), coalesce(sum(total), 0) FROM order_view"
            " WHERE (? IS NULL OR customer_id = ?) GROUP BY status",
            (customer_id, customer_id),
        )
        return {status: {"orders": count, "total": total} for status, count, total in rows}
