"""Where the shop ships from and what shipping a cart may choose: one service for the routes
that show the choices and the checkout that ships. Prices come from the carrier, from the
warehouse nearest to the address, for the weight of the lines; clients only name a service."""

import asyncio
import time
from typing import Any

from actors.carrier import Carrier
from actors.catalog import CATALOG_KEY, Catalog
from actors.warehouse import Warehouse
from domain.allocation import WarehouseSite, nearest
from domain.cart import Address, CartEmpty, ShippingChoice
from domain.errors import DomainError
from domain.geography import region
from domain.money import Money
from durable import Objects

SITE_CACHE_S = 5.0
_sites: tuple[float, list[WarehouseSite]] = (0.0, [])


class UnknownShippingService(DomainError):
    code = "unknown_shipping_service"


async def warehouse_sites(objects: Objects) -> list[WarehouseSite]:
    """Where the warehouses are; locations change rarely, so they are cached briefly."""
    global _sites
    fetched_at, sites = _sites
    if time.monotonic() - fetched_at > SITE_CACHE_S or not sites:
        warehouses = objects(Warehouse)
        keys = [row.stream for row in await warehouses.list(limit=10_000)]
        infos = await asyncio.gather(*(warehouses.get(k).call(Warehouse.info) for k in keys))
        sites = [
            WarehouseSite(
                warehouse_id=k, latitude=i["latitude"], longitude=i["longitude"], region=i["region"]
            )
            for k, i in zip(keys, infos, strict=True)
            if "latitude" in i
        ]
        _sites = (time.monotonic(), sites)
    return sites


async def shipping_options(
    objects: Objects, cart: dict[str, Any], address: Address
) -> list[ShippingChoice]:
    """Every service the carrier offers for this cart to `address` (cheapest first)."""
    lines = cart["lines"]
    if not lines:
        raise CartEmpty("the cart is empty")
    destination = region(address.region)
    catalog = objects(Catalog).get(CATALOG_KEY)
    products = await catalog.call(Catalog.products, skus=[line["sku"] for line in lines])
    grams = sum(products[line["sku"]]["weight_grams"] * line["quantity"] for line in lines)
    origin = nearest(await warehouse_sites(objects), (destination.latitude, destination.longitude))
    currency = cart["summary"]["currency"]
    rates = objects.adapter(Carrier).rates(origin.region, destination.code, grams, currency)
    return [
        ShippingChoice(
            code=rate.service,
            label=rate.label,
            price=Money(amount=rate.price, currency=currency),
            eta_days=rate.eta_days,
        )
        for rate in sorted(rates, key=lambda r: r.price)
    ]


async def priced_choice(
    objects: Objects, cart: dict[str, Any], address: Address, service: str
) -> ShippingChoice:
    """The carrier's price of `service` for this cart to `address`.

    Raises:
        UnknownShippingService: the carrier offers no such service there.
    """
    options = await shipping_options(objects, cart, address)
    for option in options:
        if option.code == service:
            return option
    raise UnknownShippingService(
        f"no shipping service {service!r} here", offered=[o.code for o in options]
    )
