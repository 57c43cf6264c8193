"""Every object kind of the shop and every saga, in one place (wiring for hosts and callers)."""

from pathlib import Path
from typing import Any

import ray

from actors.config import NAMESPACE, RuntimeConfig
from actors.kind import DurableObject
from actors.local_ray import LocalRay
from actors.registry import APP_KINDS
from actors.shop import Shop
from sagas.cancel_order import cancel_order
from sagas.checkout import checkout
from sagas.fulfilment import deliver_order, fulfil_order
from sagas.runner import SagaFunction
from sagas.saga_object import Saga

SHOP_KINDS: list[type[DurableObject]] = [*APP_KINDS, Saga]
SAGAS: dict[str, SagaFunction] = {
    "checkout": checkout,
    "cancel_order": cancel_order,
    "fulfil_order": fulfil_order,
    "deliver_order": deliver_order,
}

_shops: dict[str, Shop] = {}


def connect(address: str | None = None, *, config: RuntimeConfig | None = None) -> Any:
    """Joins a running rayshop and returns all its objects: the Ray at `address`, else the one
    `rayshop up` started for this state directory, else Ray's own choice ("auto": a cluster)."""
    config = config or RuntimeConfig.from_env()
    if not ray.is_initialized():
        address = address or LocalRay(Path(config.state_dir)).address() or "auto"
        ray.init(address=address, namespace=NAMESPACE, log_to_driver=False)
    return Shop(SHOP_KINDS, config)


def shop_for(config: RuntimeConfig) -> Any:
    """The process's client of every kind, for sagas running in this process."""
    shop = _shops.get(config.state_dir)
    if shop is None:
        shop = _shops[config.state_dir] = Shop(SHOP_KINDS, config)
    return shop
