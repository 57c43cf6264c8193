"""The object kinds of this layer, in one place (`sagas.registry.SHOP_KINDS` adds the saga kind)."""

from actors.analytics import Analytics
from actors.cart import Cart
from actors.catalog import Catalog
from actors.coupons import Coupons
from actors.event_bus import EventBus
from actors.kind import DurableObject
from actors.notifications import Notifications
from actors.order import Order
from actors.order_views import OrderViews
from actors.payment import Payment
from actors.shipment import Shipment
from actors.stock_alerts import StockAlerts
from actors.users import Users
from actors.warehouse import Warehouse

APP_KINDS: list[type[DurableObject]] = [
    Cart,
    Order,
    Warehouse,
    Catalog,
    Payment,
    Shipment,
    EventBus,
    OrderViews,
    Analytics,
    Notifications,
    StockAlerts,
    Users,
    Coupons,
]
