"""Cart lines and the rules on them: a quantity per SKU, bounded, never zero or negative."""

from pydantic import BaseModel, Field

from domain.errors import DomainError

MAX_QUANTITY_PER_LINE = 9_999
MAX_LINES = 100


class InvalidQuantity(DomainError):
    code = "invalid_quantity"


class LineNotFound(DomainError):
    code = "line_not_found"


class CartFull(DomainError):
    code = "cart_full"


class CartState(BaseModel):
    """A cart as a fold of its events: who owns it and how many of each SKU it holds."""

    owner: str | None = None
    lines: dict[str, int] = Field(default_factory=dict)

    def quantity_after_adding(self, sku: str, quantity: int) -> int:
        """The line's new quantity if `quantity` more of `sku` were added; refuses bad adds."""
        check_quantity(quantity)
        if sku not in self.lines and len(self.lines) >= MAX_LINES:
            raise CartFull(f"a cart holds at most {MAX_LINES} lines", limit=MAX_LINES)
        total = self.lines.get(sku, 0) + quantity
        check_quantity(total)
        return total

    def require_line(self, sku: str) -> None:
        if sku not in self.lines:
            raise LineNotFound(f"the cart has no line for {sku!r}", sku=sku)


def check_quantity(quantity: int) -> None:
    if not isinstance(quantity, int) or isinstance(quantity, bool):
        raise InvalidQuantity("a quantity is a whole number", quantity=repr(quantity))
    if not 1 <= quantity <= MAX_QUANTITY_PER_LINE:
        raise InvalidQuantity(
            f"a line's quantity must be between 1 and {MAX_QUANTITY_PER_LINE}", quantity=quantity
        )
