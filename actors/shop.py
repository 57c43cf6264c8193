"""Every kind's client in one place: `shop.carts.get(key)`; `sagas.registry.connect()` makes
one for a running shop."""

import asyncio
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from actors.config import RuntimeConfig
from actors.kind import DurableObject
from actors.placement import Partitioned
from actors.stub import KindClient


class Shop:
    """One client per kind, reachable by the kind's collection name (`shop.carts`)."""

    def __init__(
        self, kinds: Iterable[type[DurableObject]], config: RuntimeConfig | None = None
    ) -> None:
        kinds = list(kinds)
        self.config = with_groups(config or RuntimeConfig.from_env(), kinds)
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
        clients = list(self._clients.items())
        pids = await asyncio.gather(*(client.ensure_hosts() for _, client in clients))
        return {name: found for (name, _), found in zip(clients, pids, strict=True)}


def with_groups(config: RuntimeConfig, kinds: list[type[DurableObject]]) -> RuntimeConfig:
    """`config` knowing the members of every host group among `kinds`."""
    groups = {name: list(paths) for name, paths in config.groups.items()}
    for kind in kinds:
        placement = kind.placement
        if isinstance(placement, Partitioned) and placement.group is not None:
            members = groups.setdefault(placement.group, [])
            if kind.path() not in members:
                members.append(kind.path())
    return replace(config, groups={name: tuple(paths) for name, paths in groups.items()})
