"""Per-request loaders: every key asked for while a query resolves is loaded once, all of them
together (the object runtime then batches calls to one host into few Ray calls). Stock is
read once per warehouse for all the products a query asks about."""

import asyncio
from typing import Any

from strawberry.dataloader import DataLoader

from actors.order import Order
from actors.payment import Payment
from actors.shipping import warehouse_sites
from actors.warehouse import Warehouse
from durable import Saga
from serve_app.graph.context import GraphContext


async def payment_of(ctx: GraphContext, payment_id: str) -> dict[str, Any]:
    loader = ctx.loader("payments", lambda: _each(ctx, Payment, Payment.status))
    found: dict[str, Any] = await loader.load(payment_id)
    return found


async def history_of(ctx: GraphContext, order_id: str) -> list[dict[str, Any]]:
    loader = ctx.loader("histories", lambda: _each(ctx, Order, Order.history))
    found: list[dict[str, Any]] = await loader.load(order_id)
    return found


async def timeline_of(ctx: GraphContext, saga_id: str) -> Any:
    loader = ctx.loader("timelines", lambda: _each(ctx, Saga, Saga.timeline))
    return await loader.load(saga_id)


async def availability_of(ctx: GraphContext, sku: str) -> dict[str, int]:
    """Units of `sku` each active warehouse can still sell."""

    async def load(skus: list[str]) -> list[dict[str, int]]:
        sites = await warehouse_sites(ctx.shop)
        warehouses = ctx.shop(Warehouse)
        levels = await asyncio.gather(
            *(
                ctx.call(warehouses.get(site.warehouse_id), Warehouse.levels, skus=skus)
                for site in sites
            )
        )
        return [
            {
                site.warehouse_id: found[sku]["available"]
                for site, found in zip(sites, levels, strict=True)
            }
            for sku in skus
        ]

    loader: DataLoader[str, dict[str, int]] = ctx.loader(
        "availability", lambda: DataLoader(load_fn=load)
    )
    return await loader.load(sku)


def _each(ctx: GraphContext, kind: Any, method: Any) -> DataLoader[str, Any]:
    """A loader calling `method` once on each object of `kind` asked for."""

    async def load(keys: list[str]) -> list[Any]:
        objects = ctx.shop(kind)
        return list(await asyncio.gather(*(ctx.call(objects.get(k), method) for k in keys)))

    return DataLoader(load_fn=load)
