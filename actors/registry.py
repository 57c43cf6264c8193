"""The object kinds of the shop, in one place: what `connect()` and `rayshop up` know about."""

from actors.cart import Cart
from actors.kind import DurableObject
from actors.order import Order
from actors.warehouse import Warehouse

APP_KINDS: list[type[DurableObject]] = [Cart, Order, Warehouse]
