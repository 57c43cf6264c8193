"""The cart object (partitioned): one shopper's cart, durable between visits (ARCHITECTURE §6).

Each line is priced by the catalog for the quantity it holds, when added and when changed;
shipping is priced by the carrier for the service the shopper names, and again whenever the
lines or the address change. Checkout re-reads the prices and refuses any that moved since
the cart was shown, so the total shown is the total charged. A locked cart refuses changes
until its checkout completes or is abandoned. A cart idle for 7 days is deleted by its alarm.

Over 300 lines: one small command per thing a shopper does to a cart; the rules they apply
live in `domain.cart`, and the carrier's prices in `actors.shipping`.
"""

from typing import Any

from actors.catalog import CATALOG_KEY, Catalog
from actors.coupons import COUPONS_KEY, Coupons
from actors.groups import SHOP_GROUP
from actors.shipping import carrier_offers, carrier_price
from domain.cart import (
    Address,
    CartLine,
    CartNotYours,
    CartState,
    PricesChanged,
    ShippingChoice,
    check_quantity,
)
from domain.coupons import CouponTerms
from domain.errors import DomainError, InvalidInput, parse
from domain.geography import region
from domain.money import Money
from domain.pricing import Market
from durable import CallContext, DurableObject, Event, Partitioned, command, query

CART_TTL_S = 7 * 24 * 3600
LOCKED_RECHECK_S = 24 * 3600
EXPIRY_ALARM = "expire"


def cart_key_of(user_id: str) -> str:
    """A signed-in shopper's cart: one per user (guests' carts have ids of their own)."""
    return f"cart-{user_id}"


class Cart(DurableObject):
    kind = "cart"
    collection = "carts"
    placement = Partitioned(partitions=4, hosts=2, group=SHOP_GROUP)
    state_model = CartState
    state: CartState
    ttl_s: float = CART_TTL_S

    def apply(self, event: Event) -> None:
        self.state.apply(event.type, event.data)

    def index(self) -> tuple[str | None, str | None]:
        return self.state.owner, "checking_out" if self.state.checkout_id else "open"

    async def on_alarm(self, ctx: CallContext, name: str) -> None:
        if name != EXPIRY_ALARM:
            return
        if self.state.checkout_id is not None:
            ctx.set_alarm(EXPIRY_ALARM, ctx.now() + LOCKED_RECHECK_S)
        else:
            ctx.destroy()

    # changes

    @command
    async def add_product(
        self,
        ctx: CallContext,
        sku: str,
        quantity: int,
        owner: str | None = None,
        market: str | None = None,
    ) -> dict[str, Any]:
        """Adds `quantity` of a catalog product at the catalog's price for the shopper's
        `market` (tiers and MOQ by the line's new quantity), claiming the cart for `owner` on
        first use: what a shopper's "add to cart" is, in one call and one write.

        Lines added before a change of market keep their price until checkout re-prices them."""
        self.state.require_unlocked()
        check_quantity(quantity)
        chosen = _market(market) if market is not None else self.state.market
        if owner is not None and self.state.owner not in (None, owner):
            raise CartNotYours("this cart belongs to someone else")
        if owner is not None and (self.state.owner, self.state.market) != (owner, chosen):
            ctx.emit("OwnerAssigned", {"owner": owner, "market": chosen.value})
        current = self.state.lines.get(sku)
        wanted = quantity + (current.quantity if current else 0)
        facts = (await self._quote(ctx, {sku: wanted}))[sku]
        self._add_line(ctx, sku, quantity, parse(Money, facts["unit_price"]), facts["title"])
        return await self._changed(ctx)

    async def _quote(self, ctx: CallContext, quantities: dict[str, int]) -> dict[str, Any]:
        """The catalog's facts and unit prices for these quantities in the cart's market
        (a quantity may reach another price tier, or fall below the minimum)."""
        return (
            await ctx.objects(Catalog)
            .get(CATALOG_KEY)
            .call(Catalog.quote, quantities=quantities, market=self.state.market.value)
        )

    def _add_line(
        self, ctx: CallContext, sku: str, quantity: int, price: Money, title: str
    ) -> None:
        total = self.state.quantity_after_adding(sku, quantity, price)
        line = CartLine(sku=sku, title=title, quantity=total, unit_price=price)
        ctx.emit("ItemAdded", {"line": line.model_dump(mode="json")})

    @command
    async def merge_lines(self, ctx: CallContext, lines: list[dict[str, Any]]) -> dict[str, Any]:
        """Adds the lines of another cart (a guest cart joining its shopper's on login).

        All lines or none: a line this cart cannot take refuses the whole merge.
        """
        incoming = [parse(CartLine, line) for line in lines]
        merged = self.state.model_copy(deep=True)
        events = []
        for line in incoming:
            total = merged.quantity_after_adding(line.sku, line.quantity, line.unit_price)
            added = line.model_copy(update={"quantity": total})
            event = {"line": added.model_dump(mode="json")}
            merged.apply("ItemAdded", event)
            events.append(("ItemAdded", event))
        ctx.emit_all(events)
        return await self._changed(ctx)

    @command
    async def change_quantity(self, ctx: CallContext, sku: str, quantity: int) -> dict[str, Any]:
        """Sets a line's quantity, priced at what the catalog asks for that quantity (the tier
        it reaches), so the cart shows what checkout will charge."""
        line = self.state.require_line(sku)
        check_quantity(quantity)
        price = parse(Money, (await self._quote(ctx, {sku: quantity}))[sku]["unit_price"])
        changed = line.model_copy(update={"quantity": quantity, "unit_price": price})
        ctx.emit("QuantityChanged", {"line": changed.model_dump(mode="json")})
        return await self._changed(ctx)

    @command
    async def remove_item(self, ctx: CallContext, sku: str) -> dict[str, Any]:
        self.state.require_line(sku)
        ctx.emit("ItemRemoved", {"sku": sku})
        return await self._changed(ctx)

    @command
    async def clear(self, ctx: CallContext) -> dict[str, Any]:
        self.state.require_unlocked()
        if self.state.lines:
            ctx.emit("CartCleared", {})
        return self._touched(ctx)

    @command
    async def set_address(self, ctx: CallContext, address: dict[str, Any]) -> dict[str, Any]:
        self.state.require_unlocked()
        self._set_address(ctx, address)
        return await self._changed(ctx)

    @command
    async def choose_shipping(self, ctx: CallContext, service: str) -> dict[str, Any]:
        """Chooses the carrier's `service`, at the carrier's price for this cart to its
        address (clients name a service, never its price).

        Raises:
            UnknownShippingService, CheckoutNotReady, CartEmpty: nothing is changed.
        """
        self.state.require_unlocked()
        facts = await self._quote(ctx, self._quantities())
        self._choose_shipping(ctx, await carrier_price(ctx.objects, self.state, facts, service))
        return self._touched(ctx)

    async def _changed(self, ctx: CallContext) -> dict[str, Any]:
        """A change of lines or address voids the shipping price, not the shopper's choice
        of service: the carrier prices that service again for the changed cart, in the same
        write. Where it no longer serves the cart, the view says shipping must be chosen
        again (`missing`)."""
        state = self.state
        if state.shipping is None and state.shipping_service and state.lines and state.address:
            try:
                facts = await self._quote(ctx, self._quantities())
                choice = await carrier_price(ctx.objects, state, facts, state.shipping_service)
            except DomainError:
                return self._touched(ctx)
            self._choose_shipping(ctx, choice)
        return self._touched(ctx)

    @staticmethod
    def _set_address(ctx: CallContext, address: dict[str, Any]) -> None:
        parsed = parse(Address, address)
        region(parsed.region)
        ctx.emit("AddressSet", {"address": parsed.model_dump(mode="json")})

    @staticmethod
    def _choose_shipping(ctx: CallContext, choice: ShippingChoice) -> None:
        ctx.emit("ShippingChosen", {"shipping": choice.model_dump(mode="json")})

    @command
    async def apply_coupon(self, ctx: CallContext, code: str) -> dict[str, Any]:
        """Applies an issued coupon: its terms come from the coupons object, never the client."""
        self.state.require_unlocked()
        coupons = ctx.objects(Coupons).get(COUPONS_KEY)
        terms = await coupons.call(Coupons.terms, code=code)
        coupon = parse(CouponTerms, terms)
        subtotal = self.state.subtotal()
        if subtotal is not None:
            coupon.check_usable(subtotal, ctx.now())
        ctx.emit("CouponApplied", {"coupon": coupon.model_dump(mode="json")})
        return self._touched(ctx)

    @command
    async def remove_coupon(self, ctx: CallContext) -> dict[str, Any]:
        self.state.require_unlocked()
        if self.state.coupon is not None:
            ctx.emit("CouponRemoved", {})
        return self._touched(ctx)

    # checkout

    @command
    async def begin_checkout(
        self,
        ctx: CallContext,
        checkout_id: str,
        address: dict[str, Any] | None = None,
        shipping: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Locks the cart at fresh catalog prices; returns what the checkout buys, with each
        product's seller and weight (`facts`).

        A one-step checkout may bring its `address` and `shipping` choice along: they are set
        as by `set_address` and `choose_shipping`, in the same write as the lock."""
        facts = await self._quote(ctx, self._quantities())
        prices = {sku: fact["unit_price"] for sku, fact in facts.items()}
        if self.state.checkout_id != checkout_id:
            self._ready_with(ctx, address, shipping)
            fresh = {
                sku: parse(Money, prices.get(sku, line.unit_price.model_dump()))
                for sku, line in self.state.lines.items()
            }
            if self.state.repriced(fresh):
                raise PricesChanged(
                    "prices changed since the cart was shown; review the cart and check out again"
                )
            ctx.emit(
                "CheckoutStarted",
                {
                    "checkout_id": checkout_id,
                    "prices": {s: p.model_dump() for s, p in fresh.items()},
                },
            )
        return {**self._checkout_view(ctx), "facts": facts}

    @command
    async def prepare_checkout(
        self,
        ctx: CallContext,
        address: dict[str, Any] | None = None,
        shipping_service: str | None = None,
    ) -> dict[str, Any]:
        """What a checkout request does before any saga starts, in one call: takes a one-step
        checkout's `address` and carrier `shipping_service` (priced by the carrier; a service
        chosen earlier is priced again if a change voided its price), refuses a cart that
        cannot be checked out (saying what is missing), and re-prices lines whose catalog
        price moved since the cart was shown.

        Returns the cart, with `prices_changed` naming the re-priced SKUs (checkout must not
        go on if any: the shopper has not seen those prices).

        Raises:
            CheckoutNotReady, CartEmpty, CartLocked, UnknownShippingService: nothing is
            changed.
        """
        state = self.state
        state.require_unlocked()
        if address is not None:
            self._set_address(ctx, address)
        if not state.lines:
            state.require_ready_for_checkout()  # says what is missing, without a catalog call
        facts = await self._quote(ctx, self._quantities())
        service = shipping_service or (None if state.shipping else state.shipping_service)
        if service is not None and state.address is not None and state.lines:
            self._choose_shipping(ctx, await carrier_price(ctx.objects, state, facts, service))
        state.require_ready_for_checkout()
        fresh = {sku: parse(Money, fact["unit_price"]) for sku, fact in facts.items()}
        changed = state.repriced(fresh)
        if changed:
            prices = {sku: price.model_dump() for sku, price in changed.items()}
            ctx.emit("LinesRepriced", {"prices": prices})
        return {**self._touched(ctx), "prices_changed": sorted(changed)}

    @query
    async def shipping_options(self, ctx: CallContext) -> list[dict[str, Any]]:
        """Every service the carrier offers for this cart to its address, priced, cheapest
        first."""
        facts = await self._quote(ctx, self._quantities())
        offers = await carrier_offers(ctx.objects, self.state, facts)
        return [offer.model_dump(mode="json") for offer in offers]

    def _ready_with(
        self, ctx: CallContext, address: dict[str, Any] | None, shipping: dict[str, Any] | None
    ) -> None:
        """Sets a one-step checkout's `address` and `shipping` (as `set_address` and
        `choose_shipping` would, in the same write), then requires a cart ready to check out."""
        self.state.require_unlocked()
        if address is not None:
            self._set_address(ctx, address)
        if shipping is not None:
            self._choose_shipping(ctx, parse(ShippingChoice, shipping))
        self.state.require_ready_for_checkout()

    def _quantities(self) -> dict[str, int]:
        return {sku: line.quantity for sku, line in self.state.lines.items()}

    @command
    async def abandon_checkout(self, ctx: CallContext, checkout_id: str) -> dict[str, Any]:
        """Unlocks the cart if `checkout_id` holds it (safe to repeat)."""
        if self.state.checkout_id == checkout_id:
            ctx.emit("CheckoutAbandoned", {"checkout_id": checkout_id})
        return self._touched(ctx)

    @command
    async def complete_checkout(self, ctx: CallContext, checkout_id: str) -> dict[str, Any]:
        """Empties the cart once its checkout succeeded (safe to repeat)."""
        if self.state.checkout_id == checkout_id:
            ctx.emit("CheckoutCompleted", {"checkout_id": checkout_id})
        return self._touched(ctx)

    # reading

    @query
    async def view(self, ctx: CallContext) -> dict[str, Any]:
        return self._view(ctx.now())

    def _touched(self, ctx: CallContext) -> dict[str, Any]:
        ctx.set_alarm(EXPIRY_ALARM, ctx.now() + self.ttl_s)
        return self._view(ctx.now())

    def _checkout_view(self, ctx: CallContext) -> dict[str, Any]:
        view = self._touched(ctx)
        view["checkout_id"] = self.state.checkout_id
        return view

    def _view(self, now: float) -> dict[str, Any]:
        state = self.state
        return {
            "cart_id": self.key,
            "owner": state.owner,
            "market": state.market.value,
            "lines": [line.model_dump(mode="json") for line in state.lines.values()],
            "address": state.address.model_dump(mode="json") if state.address else None,
            "shipping": state.shipping.model_dump(mode="json") if state.shipping else None,
            "shipping_service": state.shipping_service,
            "missing": state.missing_for_checkout(),
            "coupon": state.coupon.code if state.coupon else None,
            "locked": state.checkout_id is not None,
            "summary": state.summary(now).model_dump(mode="json"),
        }


def _market(name: str) -> Market:
    try:
        return Market(name)
    except ValueError:
        raise InvalidInput(f"unknown market {name!r}", market=name) from None
