"""The entry point for callers: `shop = connect()`, then `shop.carts.get(key)`."""

from collections.abc import Iterable
from typing import Any

import ray

from actors.config import NAMESPACE, RuntimeConfig
from actors.kind import DurableObject
from actors.placement import Partitioned
from actors.stub import KindClient


class Shop:
    """One client per kind, reachable by the kind's collection name (`shop.carts`)."""

    def __init__(
        self, kinds: Iterable[type[DurableObject]], config: RuntimeConfig | None = None
    ) -> None:
        self.config = config or RuntimeConfig.from_env()
        self._clients: dict[str, KindClient[Any]] = {}
        for kind in kinds:
            self._clients[kind.collection] = KindClient(kind, self.config)

    def __getattr__(self, collection: str) -> KindClient[Any]:
        try:
            return self._clients[collection]
        except KeyError:
            raise AttributeError(f"no object kind is collected as {collection!r}") from None

    def kind(self, kind: type[DurableObject]) -> KindClient[Any]:
        return self._clients[kind.collection]

    def ensure_hosts(self) -> dict[str, list[int]]:
        """Starts the hosts of every partitioned kind; returns their pids by collection."""
        return {
            name: client.ensure_hosts()
            for name, client in self._clients.items()
            if isinstance(client.placement, Partitioned)
        }


def connect(
    address: str = "auto",
    *,
    kinds: Iterable[type[DurableObject]] | None = None,
    config: RuntimeConfig | None = None,
) -> Shop:
    """Joins a running rayshop cluster (or this process's Ray) and returns its objects."""
    if not ray.is_initialized():
        ray.init(address=address, namespace=NAMESPACE, log_to_driver=False)
    if kinds is None:
        from actors.registry import APP_KINDS

        kinds = APP_KINDS
    return Shop(kinds, config)
