"""The composition root: the shop's kinds, sagas, event subscriptions, payload check and
adapters, declared once and handed to the runtime (ARCHITECTURE §2). Hosts receive `SHOP`
when they are created; the gateway, the CLI, tests and benches start from here.
"""

import json
from pathlib import Path

from actors.analytics import ANALYTICS_KEY, Analytics
from actors.carrier import Carrier, FakeCarrier
from actors.cart import Cart
from actors.catalog import Catalog
from actors.company import Company
from actors.coupons import Coupons
from actors.groups import SHOP_GROUP
from actors.mailer import Mailer, mailer_from_env
from actors.notifications import MAILBOX_KEY, Notifications
from actors.order import Order
from actors.order_views import ORDER_VIEWS_KEY, OrderViews
from actors.payment import Payment, webhook_secret
from actors.payment_provider import FakeProvider, PaymentProvider
from actors.quote import QUOTE_TO_ORDER, Quote
from actors.shipment import Shipment
from actors.stock_alerts import ALERTS_KEY, StockAlerts
from actors.users import Users
from actors.warehouse import Warehouse
from domain.errors import DomainError
from domain.events import Topic, checked_payload
from durable import (
    Admission,
    Application,
    EventBus,
    Objects,
    Partitioned,
    RuntimeConfig,
    Saga,
    SagaFunction,
    Subscription,
    TerminalError,
    connect,
)
from sagas.cancel_order import cancel_order
from sagas.checkout.admission import ready_cart
from sagas.checkout.saga import checkout
from sagas.fulfilment import deliver_order, fulfil_order
from sagas.quote_to_order import quote_to_order

TerminalError.register(DomainError)  # the pure domain's refusals are never retried


class ShopSaga(Saga):
    """The saga kind, in the shop's host group: a checkout's saga runs in the process of the
    cart, order, payment and shipments it calls."""

    placement = Partitioned(partitions=4, hosts=2, group=SHOP_GROUP)


SAGAS: dict[str, SagaFunction] = {
    "checkout": checkout,
    "cancel_order": cancel_order,
    "fulfil_order": fulfil_order,
    "deliver_order": deliver_order,
    QUOTE_TO_ORDER: quote_to_order,
}
ADMISSIONS: dict[str, Admission] = {"checkout": ready_cart}

SUBSCRIPTIONS = (
    Subscription(
        name="order_views", topics=[Topic.ORDERS.value], kind=OrderViews.kind, key=ORDER_VIEWS_KEY
    ),
    Subscription(
        name="analytics",
        topics=[Topic.ORDERS.value, Topic.SAGAS.value, Topic.PAYMENTS.value],
        kind=Analytics.kind,
        key=ANALYTICS_KEY,
    ),
    Subscription(
        name="notifications",
        topics=[
            Topic.ORDERS.value,
            Topic.LOW_STOCK.value,
            Topic.COMPANIES.value,
            Topic.QUOTES.value,
        ],
        kind=Notifications.kind,
        key=MAILBOX_KEY,
    ),
    Subscription(
        name="low_stock_alerts",
        topics=[Topic.LOW_STOCK.value],
        kind=StockAlerts.kind,
        key=ALERTS_KEY,
    ),
)


def payment_provider(objects: Objects) -> PaymentProvider:
    """The fake provider, standing in for a real one: its ledger in the state directory, its
    webhooks delivered to the payment objects."""
    payments = objects(Payment)

    async def deliver(body: str, signature: str) -> None:
        payment = payments.get(json.loads(body)["payment_id"])
        await payment.call(Payment.webhook, body=body, signature=signature)

    ledger = Path(objects.config.state_dir) / "provider" / "ledger.sqlite"
    return FakeProvider(ledger, webhook_secret(objects.config), deliver)


def carrier(objects: Objects) -> Carrier:
    return FakeCarrier()


def mailer(objects: Objects) -> Mailer:
    return mailer_from_env()


SHOP = Application(
    name="rayshop",
    kinds=(
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
        Company,
        Quote,
        ShopSaga,
    ),
    sagas=SAGAS,
    admissions=ADMISSIONS,
    subscriptions=SUBSCRIPTIONS,
    check_payload=checked_payload,
    adapters={PaymentProvider: payment_provider, Carrier: carrier, Mailer: mailer},
    namespace="rayshop",
)


def connect_shop(address: str | None = None, *, config: RuntimeConfig | None = None) -> Objects:
    """Joins a running shop (see `durable.connect`) and returns all its objects."""
    return connect(SHOP, address, config=config)


def shop_objects(config: RuntimeConfig) -> Objects:
    """This process's clients of every kind of the shop for `config`."""
    return Objects.shared(SHOP, config)
