"""Who listens to which topics (ARCHITECTURE §9). Subscriptions live in the bus's state; these
are the shop's own, added by the bus itself on its first append."""

from pydantic import BaseModel, Field

BUS_KEY = "bus"
"""The key of the shop's event bus object."""


class Subscription(BaseModel):
    """A subscriber: the object (`kind_path`, `key`) whose `consume` gets the events."""

    name: str = Field(min_length=1, max_length=80)
    topics: list[str] = Field(min_length=1)
    kind_path: str
    key: str
    from_start: bool = True


DEFAULT_SUBSCRIPTIONS = [
    Subscription(
        name="order_views",
        topics=["orders"],
        kind_path="actors.order_views:OrderViews",
        key="orders",
    ),
    Subscription(
        name="analytics",
        topics=["orders", "sagas"],
        kind_path="actors.analytics:Analytics",
        key="analytics",
    ),
    Subscription(
        name="notifications",
        topics=["orders", "inventory.low_stock"],
        kind_path="actors.notifications:Notifications",
        key="mail",
    ),
    Subscription(
        name="low_stock_alerts",
        topics=["inventory.low_stock"],
        kind_path="actors.stock_alerts:StockAlerts",
        key="alerts",
    ),
]
