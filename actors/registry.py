"""The object kinds of this layer, in one place (`sagas.registry.SHOP_KINDS` adds the saga kind)."""

from actors.cart import Cart
from actors.catalog import Catalog
from actors.kind import DurableObject
from actors.order import Order
from actors.payment import Payment
from actors.shipment import Shipment
from actors.warehouse import Warehouse

APP_KINDS: list[type[DurableObject]] = [Cart, Order, Warehouse, Catalog, Payment, Shipment]
