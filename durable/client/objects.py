"""Every kind's client of one application in one place: `objects(Cart).get(key)`.

`durable.connect(app)` makes one for a running application; hosts and sagas share one per
process (`Objects.shared`), with its handles and channels.
"""

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from durable.app import Application
from durable.client.stub import Callback, KindClient
from durable.config import RuntimeConfig
from durable.kind import DurableObject
from durable.placement.view import PlacementView

K = TypeVar("K", bound=DurableObject)
T = TypeVar("T")

_shared: dict[tuple[int, str], "Objects"] = {}


class Objects:
    """One client per kind of `app`: `objects(Kind)`."""

    def __init__(self, app: Application, config: RuntimeConfig | None = None) -> None:
        self.app = app
        self.config = config or RuntimeConfig.from_env()
        self.placement = PlacementView.shared(
            app.namespace, self.config.state_dir, self.config.home_volume
        )
        self._clients: dict[str, KindClient[Any]] = {
            kind.kind: KindClient(kind, app, self.config) for kind in app.kinds
        }
        self._adapters: dict[Any, Any] = {}

    @classmethod
    def shared(cls, app: Application, config: RuntimeConfig) -> "Objects":
        """This process's clients of `app` for `config`: objects calling other objects reuse
        one client per kind (and its handles and channels) instead of making one per call."""
        key = (id(app), config.state_dir)
        objects = _shared.get(key)
        if objects is None or objects.app is not app:
            objects = _shared[key] = cls(app, config)
        return objects

    def __call__(self, kind: type[K]) -> KindClient[K]:
        client = self._clients.get(kind.kind)
        if client is None or not issubclass(client.kind, kind):
            raise KeyError(f"{self.app.name} does not host {kind.__name__}")
        return client

    def forget_host(self, name: str) -> None:
        """Every client drops its handle of the host `name` (stopped by a scale-down)."""
        for client in self._clients.values():
            client.forget(name)

    def named(self, kind: str) -> KindClient[Any]:
        """The client of the kind called `kind` (for calls stored as data)."""
        return self._clients[self.app.kind_named(kind).kind]

    def adapter(self, port: Callable[..., T]) -> T:
        """This process's adapter for `port`, built on first use by the application's factory.

        `port` is the port's class (abstract, usually); typed as a callable so that the type
        checker accepts an abstract class and answers an instance of it.

        Raises:
            KeyError: the application declares no adapter for `port`.
        """
        found = self._adapters.get(port)
        if found is None:
            factory = self.app.adapters.get(port)
            if factory is None:
                raise KeyError(f"{self.app.name} declares no adapter for {port!r}")
            found = self._adapters[port] = factory(self)
        return found  # type: ignore[no-any-return]

    async def run_callback(self, callback: Callback, **extra: Any) -> Any:
        """Makes the call `callback` describes, adding `extra` keyword arguments."""
        client = self.named(callback.kind)
        kwargs = {**callback.kwargs, **extra}
        return await client.invoke(callback.key, callback.method, (), kwargs, None)

    async def story(self, correlation_id: str) -> list[dict[str, Any]]:
        """One request's whole story: the events every object wrote under its correlation id,
        in the order they happened (steps of a saga run one after another, so their times
        order them causally)."""
        clients = list(self._clients.values())
        found = await asyncio.gather(*(c.events_by_correlation(correlation_id) for c in clients))
        story = [
            {
                "kind": client.kind.kind,
                "key": event.stream,
                "seq": event.seq,
                "type": event.type,
                "at": event.at,
                "data": event.data,
            }
            for client, events in zip(clients, found, strict=True)
            for event in events
        ]
        return sorted(story, key=lambda e: (e["at"], e["kind"], e["key"], e["seq"]))

    def ensure_hosts(self) -> dict[str, list[int]]:
        """Starts every host the stored state needs (each partitioned kind's, and one per
        stored dedicated object), so alarms fire and outboxes drain after a restart before
        anyone calls; returns their pids by collection."""
        return asyncio.run(self._start_hosts())

    async def _start_hosts(self) -> dict[str, list[int]]:
        clients = list(self._clients.values())
        pids = await asyncio.gather(*(client.ensure_hosts() for client in clients))
        return {client.kind.collection: found for client, found in zip(clients, pids, strict=True)}
