"""The catalog database object (dedicated): products and their dual-market prices.

Checkout re-reads prices here when it locks a cart (ARCHITECTURE §5.6 step 1). The shop
hosts read it from leased copies (`replica_queries`), which every change reaches before it is
acknowledged, so a price read anywhere after a change is the new one.
"""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.errors import DomainError, parse
from domain.pricing import Market, ProductPricing
from durable import CallContext, Dedicated, DurableObject, Event, command, query

CATALOG_KEY = "catalog"


class UnknownProduct(DomainError):
    code = "unknown_product"


class ProductExists(DomainError):
    code = "product_exists"


class Product(BaseModel):
    sku: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)
    category: str = Field(default="general", max_length=64)
    seller_id: str | None = None
    weight_grams: int = Field(default=500, ge=1, le=1_000_000)
    pricing: ProductPricing
    active: bool = True
    image: str | None = Field(default=None, max_length=80)
    """The image's file name under the state directory's `images/` (set by an upload)."""


class ProductSearch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(default="", max_length=100)
    category: str | None = Field(default=None, max_length=64)
    min_price: int | None = Field(default=None, ge=0)
    max_price: int | None = Field(default=None, ge=0)
    market: Market = Market.RETAIL
    sort: Literal["title", "price", "-price"] = "title"
    offset: int = Field(default=0, ge=0, le=100_000)
    limit: int = Field(default=20, ge=1, le=100)


def _list_price(product: Product, market: Market) -> int | None:
    """The price a shopper of `market` sees for one unit; None if not sold there."""
    pricing = product.pricing
    if market is Market.RETAIL:
        return pricing.retail_price.amount if pricing.sold_retail and pricing.retail_price else None
    return pricing.wholesale_price.amount if pricing.sold_wholesale else None


class CatalogState(BaseModel):
    products: dict[str, Product] = Field(default_factory=dict)


class Catalog(DurableObject):
    kind = "catalog"
    collection = "catalogs"
    placement = Dedicated()
    state_model = CatalogState
    state: CatalogState
    replica_queries = frozenset(
        {
            "quote",
            "facts",
            "prices",
            "search",
            "categories",
            "product",
            "product_record",
            "products",
        }
    )
    """Every cart add and checkout quotes the catalog: the shop hosts answer from their own
    copies, and a product's change is acknowledged once every copy has it."""

    def apply(self, event: Event) -> None:
        if event.type == "ProductSaved":
            product = Product.model_validate(event.data)
            self.state.products[product.sku] = product
        elif event.type == "ProductRemoved":
            self.state.products.pop(event.data["sku"], None)

    @command
    async def save_product(self, ctx: CallContext, product: dict[str, Any]) -> dict[str, Any]:
        saved = parse(Product, product)
        before = self.state.products.get(saved.sku)
        if before != saved:
            ctx.emit("ProductSaved", saved.model_dump(mode="json"))
            _publish_change(ctx, before, saved)
        return saved.model_dump(mode="json")

    @command
    async def create_product(self, ctx: CallContext, product: dict[str, Any]) -> dict[str, Any]:
        """A new product; refused if its SKU is taken."""
        created = parse(Product, product)
        if created.sku in self.state.products:
            raise ProductExists(f"SKU {created.sku} is taken", sku=created.sku)
        ctx.emit("ProductSaved", created.model_dump(mode="json"))
        _publish_change(ctx, None, created)
        return created.model_dump(mode="json")

    @command
    async def remove_product(self, ctx: CallContext, sku: str) -> None:
        removed = self.state.products.get(sku)
        if removed is not None:
            ctx.emit("ProductRemoved", {"sku": sku})
            ctx.publish("ProductRemoved", _published(removed.model_copy(update={"active": False})))

    @query
    async def product_record(self, ctx: CallContext, sku: str) -> dict[str, Any]:
        """A product whether on sale or not (for its seller and admins)."""
        product = self.state.products.get(sku)
        if product is None:
            raise UnknownProduct(f"no product {sku!r}", sku=sku)
        return product.model_dump(mode="json")

    @query
    async def product(self, ctx: CallContext, sku: str) -> dict[str, Any]:
        return self._active(sku).model_dump(mode="json")

    @query
    async def products(self, ctx: CallContext, skus: list[str]) -> dict[str, dict[str, Any]]:
        return {sku: self._active(sku).model_dump(mode="json") for sku in skus}

    @query
    async def prices(
        self, ctx: CallContext, quantities: dict[str, int], market: str = "retail"
    ) -> dict[str, Any]:
        """The unit price of each SKU for `market` at the given quantity (MOQ and tiers apply)."""
        chosen = Market(market)
        return {
            sku: self._active(sku).pricing.unit_price(chosen, quantity).model_dump()
            for sku, quantity in quantities.items()
        }

    @query
    async def quote(
        self, ctx: CallContext, quantities: dict[str, int], market: str = "retail"
    ) -> dict[str, Any]:
        """Prices for `market` at these quantities, with what shipping needs to know."""
        chosen = Market(market)
        quoted = {}
        for sku, quantity in quantities.items():
            product = self._active(sku)
            quoted[sku] = {
                "title": product.title,
                "unit_price": product.pricing.unit_price(chosen, quantity).model_dump(),
                "seller_id": product.seller_id,
                "weight_grams": product.weight_grams,
            }
        return quoted

    @query
    async def facts(self, ctx: CallContext, skus: list[str]) -> dict[str, Any]:
        """What a quote for these products needs, whatever their price: title, seller,
        weight and currency (UnknownProduct for any not on sale)."""
        found = {}
        for sku in skus:
            product = self._active(sku)
            found[sku] = {
                "title": product.title,
                "seller_id": product.seller_id,
                "weight_grams": product.weight_grams,
                "currency": product.pricing.currency,
            }
        return found

    @query
    async def search(self, ctx: CallContext, criteria: dict[str, Any]) -> dict[str, Any]:
        """A page of active products matching `criteria` (see `ProductSearch`), with the
        number of all matches."""
        wanted = parse(ProductSearch, criteria)
        text = wanted.text.lower()
        found = []
        for product in self.state.products.values():
            price = _list_price(product, wanted.market)
            if not product.active or price is None:
                continue
            if text and text not in f"{product.title} {product.description}".lower():
                continue
            if wanted.category and product.category != wanted.category:
                continue
            if wanted.min_price is not None and price < wanted.min_price:
                continue
            if wanted.max_price is not None and price > wanted.max_price:
                continue
            found.append((product, price))
        order = {
            "title": lambda pair: (pair[0].title, pair[0].sku),
            "price": lambda pair: (pair[1], pair[0].sku),
            "-price": lambda pair: (-pair[1], pair[0].sku),
        }[wanted.sort]
        found.sort(key=order)
        page = found[wanted.offset : wanted.offset + wanted.limit]
        return {
            "items": [
                {**product.model_dump(mode="json"), "list_price": price} for product, price in page
            ],
            "total": len(found),
        }

    @query
    async def categories(self, ctx: CallContext) -> dict[str, int]:
        """Active products per category."""
        counts: dict[str, int] = {}
        for product in self.state.products.values():
            if product.active:
                counts[product.category] = counts.get(product.category, 0) + 1
        return dict(sorted(counts.items()))

    def _active(self, sku: str) -> Product:
        product = self.state.products.get(sku)
        if product is None or not product.active:
            raise UnknownProduct(f"no product {sku!r}", sku=sku)
        return product


def _publish_change(ctx: CallContext, before: Product | None, after: Product) -> None:
    """`ProductCreated` or `ProductUpdated` for the rest of the shop; `PriceChanged` too when
    a price moved."""
    ctx.publish("ProductCreated" if before is None else "ProductUpdated", _published(after))
    if before is None:
        return
    was, now = before.pricing, after.pricing
    if (was.retail_price, was.wholesale_price) != (now.retail_price, now.wholesale_price):
        ctx.publish(
            "PriceChanged",
            {
                "sku": after.sku,
                "currency": now.currency,
                "retail_price": now.retail_price.amount if now.retail_price else None,
                "wholesale_price": now.wholesale_price.amount,
                "previous_retail_price": was.retail_price.amount if was.retail_price else None,
                "previous_wholesale_price": was.wholesale_price.amount,
            },
        )


def _published(product: Product) -> dict[str, Any]:
    pricing = product.pricing
    return {
        "sku": product.sku,
        "title": product.title,
        "category": product.category,
        "seller_id": product.seller_id,
        "active": product.active,
        "currency": pricing.currency,
        "retail_price": pricing.retail_price.amount if pricing.retail_price else None,
        "wholesale_price": pricing.wholesale_price.amount,
    }
