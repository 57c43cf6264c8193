"""Sales analytics (ARCHITECTURE §9): units and revenue per product per day from confirmed
orders, money refunded per day from the payments' `PaymentRefunded`, and saga outcomes with
the compensation rate."""

import time
from collections import defaultdict
from typing import Any

from domain.events import OrderChanged, PaymentSettled, SagaEnded, payload_of
from durable import CallContext, Envelope, Subscriber, query

SCHEMA = """
CREATE TABLE IF NOT EXISTS sales_daily (
    day TEXT NOT NULL, sku TEXT NOT NULL, currency TEXT NOT NULL, units INTEGER NOT NULL,
    revenue INTEGER NOT NULL, PRIMARY KEY (day, sku, currency)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS refunds_daily (
    day TEXT NOT NULL, currency TEXT NOT NULL, amount INTEGER NOT NULL, count INTEGER NOT NULL,
    PRIMARY KEY (day, currency)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS saga_outcomes (
    saga_type TEXT NOT NULL, outcome TEXT NOT NULL, count INTEGER NOT NULL,
    PRIMARY KEY (saga_type, outcome)
) WITHOUT ROWID;
"""


def day_of(at: float) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(at))


ANALYTICS_KEY = "analytics"
"""The key of the one Analytics object the bus delivers to."""


class Analytics(Subscriber):
    kind = "analytics"
    collection = "analytics"
    owner_schema = SCHEMA

    async def handle(self, ctx: CallContext, events: list[Envelope]) -> None:
        sales: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0])
        outcomes: dict[tuple[str, str], int] = defaultdict(int)
        refunds: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
        for envelope in events:
            payload = payload_of(envelope.type, envelope.payload)
            if isinstance(payload, OrderChanged) and envelope.type == "OrderConfirmed":
                for line in payload.lines:
                    added = sales[(day_of(envelope.at), line.sku, payload.currency or "")]
                    added[0] += line.quantity
                    added[1] += line.quantity * line.unit_price
            elif isinstance(payload, SagaEnded):
                outcomes[(payload.saga_type, payload.outcome)] += 1
            elif isinstance(payload, PaymentSettled) and envelope.type == "PaymentRefunded":
                refunded = refunds[(day_of(envelope.at), payload.currency or "")]
                refunded[0] += payload.amount
                refunded[1] += 1
        for (day, currency), (amount, count) in refunds.items():
            key = {"day": day, "currency": currency}
            await _add_to(ctx, "refunds_daily", key, {"amount": amount, "count": count})
        for (day, sku, currency), (units, revenue) in sales.items():
            key = {"day": day, "sku": sku, "currency": currency}
            await _add_to(ctx, "sales_daily", key, {"units": units, "revenue": revenue})
        for (saga_type, outcome), count in outcomes.items():
            key = {"saga_type": saga_type, "outcome": outcome}
            await _add_to(ctx, "saga_outcomes", key, {"count": count})

    @query
    async def sales(
        self, ctx: CallContext, since: str = "0000-00-00", until: str = "9999-99-99"
    ) -> list[dict[str, Any]]:
        """Units and revenue per product and day, days between `since` and `until`."""
        rows = await ctx.read(
            "SELECT day, sku, currency, units, revenue FROM sales_daily"
            " WHERE day BETWEEN ? AND ? ORDER BY day, sku",
            (since, until),
        )
        names = ("day", "sku", "currency", "units", "revenue")
        return [dict(zip(names, row, strict=True)) for row in rows]

    @query
    async def revenue(
        self, ctx: CallContext, since: str = "0000-00-00", until: str = "9999-99-99"
    ) -> dict[str, int]:
        """Revenue of confirmed orders per currency, days between `since` and `until`."""
        rows = await ctx.read(
            "SELECT currency, sum(revenue) FROM sales_daily WHERE day BETWEEN ? AND ?"
            " GROUP BY currency",
            (since, until),
        )
        return dict(rows)

    @query
    async def refunds(
        self, ctx: CallContext, since: str = "0000-00-00", until: str = "9999-99-99"
    ) -> dict[str, int]:
        """Money refunded per currency, days between `since` and `until`."""
        rows = await ctx.read(
            "SELECT currency, sum(amount) FROM refunds_daily WHERE day BETWEEN ? AND ?"
            " GROUP BY currency",
            (since, until),
        )
        return dict(rows)

    @query
    async def saga_outcomes(self, ctx: CallContext) -> dict[str, Any]:
        """Outcomes per saga type, with the share of ended sagas that compensated."""
        rows = await ctx.read("SELECT saga_type, outcome, count FROM saga_outcomes", ())
        by_type: dict[str, dict[str, Any]] = defaultdict(dict)
        for saga_type, outcome, count in rows:
            by_type[saga_type][outcome] = count
        for counts in by_type.values():
            ended = sum(counts.values())
            counts["compensation_rate"] = counts.get("compensated", 0) / ended if ended else 0.0
        return dict(by_type)


async def _add_to(ctx: CallContext, table: str, key: dict[str, str], added: dict[str, int]) -> None:
    """Adds `added` to the counters of `table`'s row at `key` (a new row starts at 0)."""
    where = " AND ".join(f"{column} = ?" for column in key)
    rows = await ctx.read(
        f"SELECT {', '.join(added)} FROM {table} WHERE {where}", tuple(key.values())
    )
    before = rows[0] if rows else (0,) * len(added)
    ctx.put_row(table, key, {c: b + n for (c, n), b in zip(added.items(), before, strict=True)})
