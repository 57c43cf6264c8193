"""The catalog database object (dedicated): products and their dual-market prices.

Checkout re-reads prices here when it locks a cart (ARCHITECTURE §5.6 step 1).
"""

from typing import Any

from pydantic import BaseModel, Field

from actors.context import CallContext
from actors.kind import DurableObject, Event, command, query
from actors.placement import Dedicated
from domain.errors import DomainError, parse
from domain.pricing import Market, ProductPricing

CATALOG_KEY = "catalog"


class UnknownProduct(DomainError):
    code = "unknown_product"


class Product(BaseModel):
    sku: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)
    category: str = Field(default="general", max_length=64)
    seller_id: str | None = None
    weight_grams: int = Field(default=500, ge=1, le=1_000_000)
    pricing: ProductPricing
    active: bool = True


class CatalogState(BaseModel):
    products: dict[str, Product] = Field(default_factory=dict)


class Catalog(DurableObject):
    kind = "catalog"
    collection = "catalogs"
    placement = Dedicated()
    state_model = CatalogState
    state: CatalogState

    def apply(self, event: Event) -> None:
        if event.type == "ProductSaved":
            product = Product.model_validate(event.data)
            self.state.products[product.sku] = product
        elif event.type == "ProductRemoved":
            self.state.products.pop(event.data["sku"], None)

    @command
    async def save_product(self, ctx: CallContext, product: dict[str, Any]) -> dict[str, Any]:
        saved = parse(Product, product)
        if self.state.products.get(saved.sku) != saved:
            ctx.emit("ProductSaved", saved.model_dump(mode="json"))
        return saved.model_dump(mode="json")

    @command
    async def remove_product(self, ctx: CallContext, sku: str) -> None:
        if sku in self.state.products:
            ctx.emit("ProductRemoved", {"sku": sku})

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
                "unit_price": product.pricing.unit_price(chosen, quantity).model_dump(),
                "seller_id": product.seller_id,
                "weight_grams": product.weight_grams,
            }
        return quoted

    def _active(self, sku: str) -> Product:
        product = self.state.products.get(sku)
        if product is None or not product.active:
            raise UnknownProduct(f"no product {sku!r}", sku=sku)
        return product
