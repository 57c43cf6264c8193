"""Browsing the catalog (ARCHITECTURE §8): search by text, category, price range and market,
sorted and paginated; one product; the categories. Open to everyone."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel

from actors.catalog import CATALOG_KEY, Catalog, Product
from durable import ObjectStub
from serve_app.routes.deps import services
from serve_app.schemas import ProductListing
from serve_app.strict_json import StrictJsonRoute

router = APIRouter(route_class=StrictJsonRoute, prefix="/api", tags=["catalog"])


class ProductPage(BaseModel):
    items: list[ProductListing]
    total: int
    offset: int
    limit: int


class Categories(BaseModel):
    categories: dict[str, int]


def _catalog(request: Request) -> ObjectStub[Catalog]:
    return services(request).shop(Catalog).get(CATALOG_KEY)


@router.get("/products", response_model=ProductPage)
async def search_products(
    request: Request,
    q: Annotated[str, Query(max_length=100, description="words in title or description")] = "",
    category: Annotated[str | None, Query(max_length=64)] = None,
    min_price: Annotated[int | None, Query(ge=0)] = None,
    max_price: Annotated[int | None, Query(ge=0)] = None,
    market: Literal["retail", "wholesale"] = "retail",
    sort: Literal["title", "price", "-price"] = "title",
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict[str, Any]:
    criteria = {
        "text": q,
        "category": category,
        "min_price": min_price,
        "max_price": max_price,
        "market": market,
        "sort": sort,
        "offset": offset,
        "limit": limit,
    }
    found = await _catalog(request).call(Catalog.search, criteria=criteria)
    return {**found, "offset": offset, "limit": limit}


@router.get(
    "/products/{sku}",
    response_model=Product,
    responses={404: {"description": "no such product"}},
)
async def product(
    request: Request, sku: Annotated[str, Path(max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]
) -> dict[str, Any]:
    return await _catalog(request).call(Catalog.product, sku=sku)


@router.get("/categories", response_model=Categories)
async def categories(request: Request) -> Categories:
    return Categories(categories=await _catalog(request).call(Catalog.categories))
