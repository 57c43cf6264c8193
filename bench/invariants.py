"""The invariants of ARCHITECTURE §11, checked against the live objects.

- per warehouse and SKU: on_hand = available + reserved + allocated, none negative, and the
  committed stock projection agrees with memory;
- money: captured - refunded = the totals of PAID, SHIPPED and DELIVERED orders;
- every saga COMPLETED or COMPENSATED (a stuck one is reported).
"""

import asyncio
from typing import Any

from actors.order import Order
from actors.payment import Payment
from actors.warehouse import Warehouse
from durable import Saga

PAID_STATUSES = ("PAID", "SHIPPED", "DELIVERED")
LIMIT = 1_000_000


async def check_invariants(shop: Any) -> list[str]:
    """Every broken invariant, described; an empty list means all hold."""
    problems: list[str] = []
    problems += await _stock_problems(shop)
    problems += await _money_problems(shop)
    problems += await _saga_problems(shop)
    return problems


async def _stock_problems(shop: Any) -> list[str]:
    problems = []
    keys = [row.stream for row in await shop(Warehouse).list(limit=LIMIT)]
    audits = await asyncio.gather(*(shop(Warehouse).get(k).call(Warehouse.audit) for k in keys))
    for key, audit in zip(keys, audits, strict=True):
        for sku, level in audit["memory"].items():
            parts = (level["available"], level["reserved"], level["allocated"])
            if min(parts) < 0 or sum(parts) != level["on_hand"]:
                problems.append(f"warehouse {key} {sku}: {level}")
            committed = audit["table"].get(sku)
            if committed != {k: level[k] for k in ("available", "reserved", "allocated")}:
                problems.append(f"warehouse {key} {sku}: projection {committed} != memory {level}")
    return problems


async def _money_problems(shop: Any) -> list[str]:
    payments = [row.stream for row in await shop(Payment).list(limit=LIMIT)]
    orders = [row.stream for row in await shop(Order).list(limit=LIMIT)]
    paid = await asyncio.gather(*(shop(Payment).get(k).call(Payment.status) for k in payments))
    placed = await asyncio.gather(*(shop(Order).get(k).call(Order.view) for k in orders))
    captured = sum(p["amount"] for p in paid if p["status"] == "captured")
    owed = sum(o["totals"].get("total", 0) for o in placed if o["status"] in PAID_STATUSES)
    if captured != owed:
        return [f"captured - refunded = {captured}, but paid orders total {owed}"]
    return []


async def _saga_problems(shop: Any) -> list[str]:
    rows = await shop(Saga).list(limit=LIMIT)
    return [
        f"saga {row.stream} is {row.status}"
        for row in rows
        if row.status not in ("completed", "compensated")
    ]
