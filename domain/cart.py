"""The cart (ARCHITECTURE §7): lines with the unit price captured when added, a coupon, an
address and a shipping choice, and a summary recomputed from them on every change.

`CartState` is a fold of the cart's events (`apply`); the checks that decide whether a change
is allowed are methods that raise before anything is emitted.
"""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from domain.coupons import CouponTerms
from domain.errors import DomainError
from domain.geography import region
from domain.money import CurrencyMismatch, Money
from domain.pricing import Market

MAX_QUANTITY_PER_LINE = 9_999
MAX_LINES = 100


class InvalidQuantity(DomainError):
    code = "invalid_quantity"


class LineNotFound(DomainError):
    code = "line_not_found"


class CartFull(DomainError):
    code = "cart_full"


class CartEmpty(DomainError):
    code = "cart_empty"


class CartLocked(DomainError):
    code = "cart_locked"


class CartNotYours(DomainError):
    code = "cart_not_yours"


class CheckoutNotReady(DomainError):
    code = "checkout_not_ready"


class PricesChanged(DomainError):
    """The catalog's prices moved since the cart was shown: the shopper must see the new
    total before paying it (`details["cart"]` is the re-priced cart)."""

    code = "prices_changed"


class CartLine(BaseModel):
    model_config = ConfigDict(frozen=True)

    sku: str
    title: str = ""
    quantity: int
    unit_price: Money

    @property
    def total(self) -> Money:
        return self.unit_price.times(self.quantity)


class Address(BaseModel):
    model_config = ConfigDict(frozen=True)

    recipient: str = Field(min_length=1, max_length=120)
    line1: str = Field(min_length=1, max_length=200)
    line2: str = Field(default="", max_length=200)
    city: str = Field(min_length=1, max_length=100)
    region: str = Field(min_length=2, max_length=10)
    postal_code: str = Field(min_length=3, max_length=12, pattern=r"^[A-Za-z0-9 -]+$")
    phone: str = Field(default="", max_length=30)


class ShippingChoice(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str = Field(min_length=1, max_length=40)
    label: str = ""
    price: Money
    eta_days: int = Field(default=3, ge=0)


class CartSummary(BaseModel):
    currency: str | None
    item_count: int
    subtotal: int
    discount: int
    shipping: int
    tax: int
    total: int
    coupon_note: str | None = None


class CartState(BaseModel):
    owner: str | None = None
    market: Market = Market.RETAIL
    lines: dict[str, CartLine] = Field(default_factory=dict)
    coupon: CouponTerms | None = None
    address: Address | None = None
    shipping: ShippingChoice | None = None
    shipping_service: str | None = None
    """The service the shopper chose, kept when a change to the cart voids its price, so the
    choice can be priced again rather than silently dropped."""
    checkout_id: str | None = None

    # checks

    def require_unlocked(self) -> None:
        if self.checkout_id is not None:
            raise CartLocked(
                "the cart is being checked out and cannot change", checkout_id=self.checkout_id
            )

    def quantity_after_adding(self, sku: str, quantity: int, unit_price: Money) -> int:
        """The line's new quantity if `quantity` more of `sku` were added; refuses bad adds."""
        self.require_unlocked()
        check_quantity(quantity)
        if self.currency is not None and unit_price.currency != self.currency:
            raise CurrencyMismatch(
                f"this cart is in {self.currency}", left=self.currency, right=unit_price.currency
            )
        if sku not in self.lines and len(self.lines) >= MAX_LINES:
            raise CartFull(f"a cart holds at most {MAX_LINES} lines", limit=MAX_LINES)
        total = (self.lines[sku].quantity if sku in self.lines else 0) + quantity
        check_quantity(total)
        return total

    def require_line(self, sku: str) -> CartLine:
        self.require_unlocked()
        if sku not in self.lines:
            raise LineNotFound(f"the cart has no line for {sku!r}", sku=sku)
        return self.lines[sku]

    def require_ready_for_checkout(self) -> None:
        if not self.lines:
            raise CartEmpty("the cart is empty")
        missing = self.missing_for_checkout()
        if "address" in missing:
            raise CheckoutNotReady("choose a shipping address first", missing=missing)
        if "shipping" in missing:
            raise CheckoutNotReady("choose a shipping method first", missing=missing)

    def missing_for_checkout(self) -> list[str]:
        """What the shopper must still choose before checking out."""
        missing = ["lines"] if not self.lines else []
        if self.address is None:
            missing.append("address")
        if self.shipping is None:
            missing.append("shipping")
        return missing

    def repriced(self, prices: dict[str, Money]) -> dict[str, Money]:
        """The lines whose price differs from `prices` (fresh from the catalog), new prices."""
        return {
            sku: prices[sku]
            for sku, line in self.lines.items()
            if sku in prices and prices[sku] != line.unit_price
        }

    # reading

    @property
    def currency(self) -> str | None:
        first = next(iter(self.lines.values()), None)
        return first.unit_price.currency if first else None

    def subtotal(self) -> Money | None:
        if self.currency is None:
            return None
        total = Money.zero(self.currency)
        for line in self.lines.values():
            total = total + line.total
        return total

    def summary(self, now: float) -> CartSummary:
        """subtotal - discount + shipping + tax = total; tax on goods after discount."""
        subtotal = self.subtotal()
        if subtotal is None:
            return CartSummary(
                currency=None, item_count=0, subtotal=0, discount=0, shipping=0, tax=0, total=0
            )
        discount, note = self._discount(subtotal, now)
        shipping = self.shipping.price if self.shipping else Money.zero(subtotal.currency)
        taxed = subtotal - discount
        tax = taxed.share(region(self.address.region).tax_basis_points) if self.address else None
        tax = tax or Money.zero(subtotal.currency)
        return CartSummary(
            currency=subtotal.currency,
            item_count=sum(line.quantity for line in self.lines.values()),
            subtotal=subtotal.amount,
            discount=discount.amount,
            shipping=shipping.amount,
            tax=tax.amount,
            total=(taxed + shipping + tax).amount,
            coupon_note=note,
        )

    def _discount(self, subtotal: Money, now: float) -> tuple[Money, str | None]:
        if self.coupon is None:
            return Money.zero(subtotal.currency), None
        try:
            self.coupon.check_usable(subtotal, now)
        except DomainError as refused:
            return Money.zero(subtotal.currency), refused.message
        return self.coupon.discount(subtotal), None

    # folding

    def apply(self, event_type: str, data: dict[str, Any]) -> None:
        match event_type:
            case "OwnerAssigned":
                self.owner = data["owner"]
                self.market = Market(data.get("market", Market.RETAIL))
            case "ItemAdded" | "QuantityChanged":
                self.lines[data["line"]["sku"]] = CartLine.model_validate(data["line"])
                self._void_shipping_price()
            case "ItemRemoved":
                self.lines.pop(data["sku"], None)
                self._void_shipping_price()
            case "CartCleared":
                self.lines.clear()
                self._void_shipping_price()
            case "AddressSet":
                self.address = Address.model_validate(data["address"])
                self._void_shipping_price()
            case "LinesRepriced":
                for sku, price in data["prices"].items():
                    line = self.lines[sku]
                    self.lines[sku] = line.model_copy(update={"unit_price": Money(**price)})
            case "ShippingChosen":
                self.shipping = ShippingChoice.model_validate(data["shipping"])
                self.shipping_service = self.shipping.code
            case "CouponApplied":
                self.coupon = CouponTerms.model_validate(data["coupon"])
            case "CouponRemoved":
                self.coupon = None
            case "CheckoutStarted":
                self.checkout_id = data["checkout_id"]
                for sku, price in data["prices"].items():
                    line = self.lines[sku]
                    self.lines[sku] = line.model_copy(update={"unit_price": Money(**price)})
            case "CheckoutAbandoned":
                self.checkout_id = None
            case "CheckoutCompleted":
                self.checkout_id = None
                self.lines.clear()
                self.coupon = None
                self.shipping = self.shipping_service = None

    def _void_shipping_price(self) -> None:
        """Weight, origin or destination changed: the price no longer holds, the choice does."""
        if self.shipping is not None:
            self.shipping_service = self.shipping.code
        self.shipping = None


def check_quantity(quantity: int) -> None:
    if not isinstance(quantity, int) or isinstance(quantity, bool):
        raise InvalidQuantity("a quantity is a whole number", quantity=repr(quantity))
    if not 1 <= quantity <= MAX_QUANTITY_PER_LINE:
        raise InvalidQuantity(
            f"a line's quantity must be between 1 and {MAX_QUANTITY_PER_LINE}", quantity=quantity
        )
