"""Where the shop ships from and what shipping a cart may choose: the cart object prices the
choices it shows and keeps, and the checkout ships from the same sites. Prices come from the
carrier, from the warehouse nearest to the address, for the weight of the lines; clients only
name a service."""

import asyncio
import time
from typing import Any

from actors.carrier import Carrier
from actors.warehouse import Warehouse
from domain.allocation import WarehouseSite, nearest
from domain.cart import CartEmpty, CartState, CheckoutNotReady, ShippingChoice
from domain.errors import DomainError
from domain.geography import region
from domain.money import Money
from durable import Objects

Facts = dict[str, dict[str, Any]]
"""The catalog's `quote` of a cart's lines, by SKU."""
SITE_CACHE_S = 5.0
_sites: tuple[float, list[WarehouseSite]] = (0.0, [])


class UnknownShippingService(DomainError):
    code = "unknown_shipping_service"


async def warehouse_sites(objects: Objects) -> list[WarehouseSite]:
    """Where the active warehouses are; this changes rarely, so it is cached briefly (a
    warehouse deactivated in the last seconds refuses new reservations itself)."""
    global _sites
    fetched_at, sites = _sites
    if time.monotonic() - fetched_at > SITE_CACHE_S or not sites:
        sites = [
            WarehouseSite(
                warehouse_id=info["warehouse_id"],
                latitude=info["latitude"],
                longitude=info["longitude"],
                region=info["region"],
            )
            for info in await configured_warehouses(objects)
            if info["active"]
        ]
        _sites = (time.monotonic(), sites)
    return sites


async def configured_warehouses(objects: Objects) -> list[dict[str, Any]]:
    """Every warehouse given a location, active or not, in key order (never cached)."""
    warehouses = objects(Warehouse)
    keys = [row.stream for row in await warehouses.list(limit=10_000)]
    infos = await asyncio.gather(*(warehouses.get(k).call(Warehouse.info) for k in keys))
    return [info for info in infos if "latitude" in info]


async def carrier_offers(objects: Objects, cart: CartState, facts: Facts) -> list[ShippingChoice]:
    """Every service the carrier offers for `cart`'s lines to its address, cheapest first,
    from the warehouse nearest to it. `facts` are the catalog's, with each line's weight.

    Raises:
        CartEmpty, CheckoutNotReady: no lines, or no address to ship to.
    """
    if not cart.lines:
        raise CartEmpty("the cart is empty")
    if cart.address is None or cart.currency is None:
        raise CheckoutNotReady("choose a shipping address first", missing=["address"])
    destination = region(cart.address.region)
    grams = sum(facts[sku]["weight_grams"] * line.quantity for sku, line in cart.lines.items())
    origin = nearest(await warehouse_sites(objects), (destination.latitude, destination.longitude))
    currency = cart.currency
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


async def carrier_price(
    objects: Objects, cart: CartState, facts: Facts, service: str
) -> ShippingChoice:
    """The carrier's price of `service` for `cart` to its address.

    Raises:
        UnknownShippingService: the carrier offers no such service there.
    """
    offers = await carrier_offers(objects, cart, facts)
    for offer in offers:
        if offer.code == service:
            return offer
    raise UnknownShippingService(
        f"no shipping service {service!r} here", offered=[o.code for o in offers]
    )
