"""What shipping a cart may choose, priced by the carrier from the warehouse nearest to the
address and the weight of the lines. Clients name a service; the price never comes from them."""

from typing import Any

from actors.catalog import CATALOG_KEY
from actors.shipment import CARRIER
from domain.allocation import nearest
from domain.cart import Address, CartEmpty, ShippingChoice
from domain.errors import DomainError
from domain.geography import region
from domain.money import Money
from sagas.checkout_steps import warehouse_sites

SERVICE_NAME: dict[str, Any] = {"min_length": 1, "max_length": 40, "pattern": r"^[A-Z0-9_]+$"}
"""How a client names a carrier service (a field's constraints)."""


class UnknownShippingService(DomainError):
    code = "unknown_shipping_service"


async def shipping_options(
    shop: Any, cart: dict[str, Any], address: Address
) -> list[ShippingChoice]:
    """Every service the carrier offers for this cart to `address` (cheapest first)."""
    lines = cart["lines"]
    if not lines:
        raise CartEmpty("the cart is empty")
    destination = region(address.region)
    products = await shop.catalogs.get(CATALOG_KEY).products(skus=[line["sku"] for line in lines])
    grams = sum(products[line["sku"]]["weight_grams"] * line["quantity"] for line in lines)
    origin = nearest(await warehouse_sites(shop), (destination.latitude, destination.longitude))
    currency = cart["summary"]["currency"]
    rates = CARRIER.rates(origin.region, destination.code, grams, currency)
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
    shop: Any, cart: dict[str, Any], address: Address, service: str
) -> ShippingChoice:
    options = await shipping_options(shop, cart, address)
    for option in options:
        if option.code == service:
            return option
    raise UnknownShippingService(
        f"no shipping service {service!r} here", offered=[o.code for o in options]
    )
