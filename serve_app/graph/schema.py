"""The GraphQL schema and its router (`/graphql`, GraphiQL in a browser): reads over the same
objects and authorisation as REST. What another user owns is absent (null or not listed),
as REST's 404 would say nothing of it; a refusal carries REST's code in `extensions`."""

import asyncio
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.fastapi import GraphQLRouter
from strawberry.schema.config import StrawberryConfig

from actors.analytics import ANALYTICS_KEY, Analytics
from actors.cart import Cart as CartObject
from actors.catalog import CATALOG_KEY, Catalog
from actors.order_views import ORDER_VIEWS_KEY, OrderViews
from actors.quote import Quote as QuoteObject
from domain.companies import Permission
from durable import BUS_KEY, EventBus
from durable import Saga as SagaObject
from serve_app.graph.context import GraphContext, absent_if_hidden, answered, get_context
from serve_app.graph.limits import EXTENSIONS
from serve_app.graph.types import (
    Ask,
    Cart,
    Company,
    CurrencyAmount,
    DeadLetter,
    Order,
    Product,
    ProductPage,
    Quote,
    Saga,
    SalesAnalytics,
)
from serve_app.routes.access import cart_key, visible_order
from serve_app.routes.companies import my_company

MAX_PAGE = 100
LONGEST = {"search": 100, "sku": 64, "order_id": 200, "status": 40, "category": 64}
"""The longest each string argument may be, as REST's routes allow."""


def bounded(**arguments: str | None) -> None:
    """Refuses a string argument longer than REST would take, before any object is called."""
    for name, value in arguments.items():
        if value is not None and len(value) > LONGEST[name]:
            raise GraphQLError(
                f"{name} is at most {LONGEST[name]} characters",
                extensions={"code": "invalid_input", "status": 422},
            )


@strawberry.type
class Query:
    @strawberry.field(description="Active products: by words, category, price; a page.")
    async def products(
        self,
        info: Ask,
        search: str = "",
        category: str | None = None,
        min_price: int | None = None,
        max_price: int | None = None,
        market: str = "retail",
        offset: int = 0,
        limit: int = 20,
    ) -> ProductPage:
        ctx = info.context
        bounded(search=search, category=category)
        criteria = {
            "text": search,
            "category": category,
            "min_price": min_price,
            "max_price": max_price,
            "market": market,
            "offset": offset,
            "limit": limit,
        }
        catalog = ctx.shop(Catalog).get(CATALOG_KEY)
        found = await answered(ctx.call(catalog, Catalog.search, criteria=criteria))
        return ProductPage(
            items=[Product.of(item, item.get("list_price")) for item in found["items"]],
            total=found["total"],
        )

    @strawberry.field
    async def product(self, info: Ask, sku: str) -> Product | None:
        ctx = info.context
        bounded(sku=sku)
        catalog = ctx.shop(Catalog).get(CATALOG_KEY)
        found = await absent_if_hidden(ctx.call(catalog, Catalog.product, sku=sku))
        if found is None:
            return None
        retail = found["pricing"].get("retail_price")
        return Product.of(found, retail["amount"] if retail else None)

    @strawberry.field(description="The caller's cart with its summary.")
    async def cart(self, info: Ask) -> Cart:
        ctx = info.context
        cart = ctx.shop(CartObject).get(cart_key(ctx.signed_in()))
        return Cart.of(await answered(ctx.call(cart, CartObject.view)))

    @strawberry.field(description="The caller's orders, oldest first.")
    async def orders(self, info: Ask, status: str | None = None, limit: int = 20) -> list[Order]:
        ctx = info.context
        principal = ctx.signed_in()
        bounded(status=status)
        views = ctx.shop(OrderViews).get(ORDER_VIEWS_KEY)
        page = await answered(
            ctx.call(
                views,
                OrderViews.list_orders,
                customer_id=principal.user_id,
                status=status,
                limit=max(1, min(limit, MAX_PAGE)),
            )
        )
        ids = [row["order_id"] for row in page["orders"]]
        found = await asyncio.gather(*(_order(ctx, order_id) for order_id in ids))
        return [order for order in found if order is not None]

    @strawberry.field(description="One order, if the caller may see it (else null).")
    async def order(self, info: Ask, order_id: str) -> Order | None:
        ctx = info.context
        ctx.signed_in()
        bounded(order_id=order_id)
        return await _order(ctx, order_id)

    @strawberry.field(description="The caller's company, if they belong to one.")
    async def my_company(self, info: Ask) -> Company | None:
        ctx = info.context
        found = await absent_if_hidden(my_company(ctx.http, ctx.signed_in(), Permission.VIEW))
        return Company.of(found) if found else None

    @strawberry.field(description="The quotes of the caller's company.")
    async def quotes(self, info: Ask, status: str | None = None, limit: int = 20) -> list[Quote]:
        ctx = info.context
        bounded(status=status)
        company = await absent_if_hidden(my_company(ctx.http, ctx.signed_in(), Permission.VIEW))
        if company is None:
            return []
        quotes = ctx.shop(QuoteObject)
        rows = await quotes.list(owner=company["company_id"], status=status, limit=limit)
        views = await asyncio.gather(
            *(ctx.call(quotes.get(row.stream), QuoteObject.view) for row in rows)
        )
        return [Quote.of(view) for view in views]

    @strawberry.field(description="Admins: sagas by status, newest first.")
    async def sagas(self, info: Ask, status: str | None = None, limit: int = 20) -> list[Saga]:
        ctx = info.context
        ctx.admin()
        bounded(status=status)
        rows = await ctx.shop(SagaObject).list(status=status, limit=max(1, min(limit, MAX_PAGE)))
        rows = sorted(rows, key=lambda row: -row.created_at)
        return [
            Saga(
                saga_id=row.stream,
                saga_type=row.owner,
                status=row.status,
                created_at=row.created_at,
            )
            for row in rows
        ]

    @strawberry.field(description="Admins: events a subscriber kept refusing.")
    async def dead_letters(self, info: Ask, limit: int = 20) -> list[DeadLetter]:
        ctx = info.context
        ctx.admin()
        bus = ctx.shop(EventBus).get(BUS_KEY)
        found = await answered(ctx.call(bus, EventBus.dead_letters))
        return [
            DeadLetter(**{k: letter[k] for k in DeadLetter.__annotations__})
            for letter in found[: max(1, min(limit, MAX_PAGE))]
        ]

    @strawberry.field(description="Admins: revenue per currency and how sagas ended.")
    async def analytics(self, info: Ask) -> SalesAnalytics:
        ctx = info.context
        ctx.admin()
        board = ctx.shop(Analytics).get(ANALYTICS_KEY)
        revenue, outcomes = await asyncio.gather(
            ctx.call(board, Analytics.revenue), ctx.call(board, Analytics.saga_outcomes)
        )
        return SalesAnalytics(
            revenue=[CurrencyAmount(currency=c, amount=a) for c, a in sorted(revenue.items())],
            saga_outcomes=outcomes,
        )


async def _order(ctx: GraphContext, order_id: str) -> Order | None:
    """The order as REST shows it to the caller; None where REST answers 404."""

    async def visible() -> dict[str, Any]:
        ctx.object_calls += 1
        return await visible_order(ctx.http, ctx.signed_in(), order_id)

    found = await absent_if_hidden(visible())
    return Order.of(found) if found else None


schema = strawberry.Schema(
    query=Query,
    extensions=EXTENSIONS,
    config=StrawberryConfig(auto_camel_case=True),
)


def graphql_router() -> GraphQLRouter[GraphContext, None]:
    """`/graphql`: queries by POST (and GET), GraphiQL in a browser; no subscriptions. Its
    contract is the GraphQL schema it serves, not OpenAPI's."""
    return GraphQLRouter(
        schema,
        path="/graphql",
        context_getter=get_context,
        subscription_protocols=(),
        include_in_schema=False,
    )
