"""Shop data for tests and load tests: a catalog, three warehouses in Java, and carts
ready to check out."""

import itertools
from typing import Any

from actors.cart import Cart
from actors.catalog import CATALOG_KEY, Catalog
from actors.warehouse import Warehouse

_numbers = itertools.count()

WAREHOUSES = {
    "jkt": ("Jakarta DC", "ID-JK", -6.2, 106.85),
    "bdg": ("Bandung DC", "ID-JB", -6.9, 107.6),
    "sby": ("Surabaya DC", "ID-JI", -7.25, 112.75),
}
PRODUCTS = {"TEA": 25_000, "MUG": 40_000, "BAG": 120_000}


def idr(amount: int) -> dict[str, Any]:
    return {"amount": amount, "currency": "IDR"}


def address(region: str = "ID-JK") -> dict[str, Any]:
    return {
        "recipient": "Ani",
        "line1": "Jl. Sudirman 1",
        "city": "Kota",
        "region": region,
        "postal_code": "10220",
    }


async def stock_shop(shop: Any, units: int = 1_000) -> None:
    catalog = shop(Catalog).get(CATALOG_KEY)
    for sku, price in PRODUCTS.items():
        await catalog.call(
            Catalog.save_product,
            product={
                "sku": sku,
                "title": sku.title(),
                "seller_id": "seller-1",
                "weight_grams": 400,
                "pricing": {"retail_price": idr(price), "wholesale_price": idr(price * 8 // 10)},
            },
        )
    for key, (name, region, lat, lon) in WAREHOUSES.items():
        warehouse = shop(Warehouse).get(key)
        await warehouse.call(
            Warehouse.configure,
            name=name,
            region_code=region,
            latitude=lat,
            longitude=lon,
            low_stock_threshold=0,
        )
        for sku in PRODUCTS:
            await warehouse.once(f"seed:{key}:{sku}").call(
                Warehouse.restock, sku=sku, quantity=units
            )


async def ready_cart(
    shop: Any,
    *,
    lines: dict[str, int] | None = None,
) -> str:
    """A cart of customer-1's with catalog products (saved by `stock_shop`, or by the caller),
    an address and the carrier's regular service: ready to check out."""
    cart_id = f"cart-{next(_numbers)}"
    cart = shop(Cart).get(cart_id)
    for sku, quantity in (lines or {"TEA": 2, "MUG": 1}).items():
        await cart.call(Cart.add_product, sku=sku, quantity=quantity, owner="customer-1")
    await cart.call(Cart.set_address, address=address())
    await cart.call(Cart.choose_shipping, service="REG")
    return cart_id


def to_unserved_region() -> dict[str, Any]:
    """A one-step checkout's address and shipping for a region the carrier priced once and
    no longer serves: the carrier refuses when the checkout creates the shipment."""
    return {
        "address": address("ID-PA"),
        "shipping": {"code": "REG", "label": "Regular", "price": idr(15_000)},
    }


def checkout_input(
    cart_id: str, token: str = "tok_success", method: str = "card", **extra: Any
) -> dict[str, Any]:
    return {
        "checkout_id": f"co-{cart_id}",
        "cart_id": cart_id,
        "customer_id": "customer-1",
        "payment_method": method,
        "payment_token": token,
        **extra,
    }
