"""The quote_to_order saga (ARCHITECTURE §5.6, §7): an accepted quote's order, made by the
checkout's own steps at the quoted prices and quantities.

`lock_quote` reads the accepted offer and the buyer's terms from the quote, and prices the
shipping as a cart would (the carrier, from the warehouse nearest the address; tax by the
destination). Its compensation, the last to run when a later step fails, tells the quote
that this try failed and why; the confirming step tells it the order. Each try is a saga and
checkout of its own (`conversion_id`): a failed try's order ends FAILED with nothing charged
or held, and the quote converts at most once.
"""

import time
from typing import Any

from actors.catalog import CATALOG_KEY, Catalog
from actors.quote import Quote
from actors.shipping import carrier_price
from domain.cart import CartLine, CartState
from domain.money import Money
from domain.pricing import Market
from domain.quote_terms import OrderTerms
from durable import Objects, SagaContext
from sagas.checkout.models import (
    LockedCart,
    LockedLine,
    LockedQuote,
    QuoteConversion,
    SaleInput,
)
from sagas.checkout.saga import failure_reason, sell


async def quote_to_order(ctx: SagaContext, raw: dict[str, Any]) -> dict[str, Any]:
    conversion = QuoteConversion.model_validate(raw)
    shop = ctx.objects
    taken = await ctx.step(
        "lock_quote",
        lambda key: lock_quote(shop, conversion, ctx.saga_id),
        returns=LockedQuote,
        compensate=lambda _: order_failed(
            shop, conversion, failure_reason(ctx), ctx.key("quote_order_failed")
        ),
    )
    sale = taken.sale
    return await sell(
        ctx, sale, taken.locked, then=lambda key: converted(shop, conversion, sale, key)
    )


async def lock_quote(shop: Objects, conversion: QuoteConversion, checkout_id: str) -> LockedQuote:
    """The accepted offer as an order takes it (refused if this try is no longer current)."""
    quote = shop(Quote).get(conversion.quote_id)
    taken = await quote.call(Quote.order_terms, attempt=conversion.attempt)
    terms = OrderTerms.model_validate(taken["terms"])
    currency = taken["currency"]
    skus = [line["sku"] for line in taken["lines"]]
    facts = await shop(Catalog).get(CATALOG_KEY).call(Catalog.facts, skus=skus)
    cart = CartState(
        market=Market.WHOLESALE,
        address=terms.address,
        lines={
            line["sku"]: CartLine(
                sku=line["sku"],
                title=facts[line["sku"]]["title"],
                quantity=line["quantity"],
                unit_price=Money(amount=line["unit_price"], currency=currency),
            )
            for line in taken["lines"]
        },
    )
    cart.shipping = await carrier_price(shop, cart, facts, terms.shipping_service)
    locked = LockedCart(
        lines=[
            LockedLine(
                **line.model_dump(),
                seller_id=facts[sku]["seller_id"],
                weight_grams=facts[sku]["weight_grams"],
            )
            for sku, line in cart.lines.items()
        ],
        summary=cart.summary(time.time()),
        address=terms.address,
        shipping=cart.shipping,
        market=Market.WHOLESALE.value,
    )
    sale = SaleInput(
        checkout_id=checkout_id,
        customer_id=taken["buyer_id"],
        company_id=taken["company_id"],
        payment_method=terms.payment_method,
        payment_token=terms.payment_token,
        payment_bank=terms.bank,
    )
    return LockedQuote(locked=locked, sale=sale)


async def order_failed(shop: Objects, conversion: QuoteConversion, reason: str, key: str) -> None:
    quote = shop(Quote).get(conversion.quote_id).once(key)
    await quote.call(Quote.order_failed, attempt=conversion.attempt, reason=reason)


async def converted(shop: Objects, conversion: QuoteConversion, sale: SaleInput, key: str) -> None:
    quote = shop(Quote).get(conversion.quote_id).once(f"{key}:quote")
    await quote.call(Quote.converted, attempt=conversion.attempt, order_id=sale.order_id)
