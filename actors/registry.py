"""The object kinds of the shop, in one place: what `connect()` and `rayshop up` know about."""

from actors.cart import Cart
from actors.kind import DurableObject

APP_KINDS: list[type[DurableObject]] = [Cart]
