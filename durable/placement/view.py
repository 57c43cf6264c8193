"""A process's cached copy of the partition map: stubs route with it without asking anyone,
and refresh it when a host answers that it does not serve what they asked for."""

import asyncio
from typing import Any

import ray

from durable.placement.keeper import keeper_handle
from durable.placement.partition_map import PartitionMap
from durable.placement.volumes import advertised_volumes

_views: dict[tuple[str, str], "PlacementView"] = {}


class PlacementView:
    def __init__(self, namespace: str, root: str, home_volume: str) -> None:
        self._namespace = namespace
        self._root = root
        self._home = home_volume
        self._advertised: bool | None = None
        self._keeper: Any = None
        self.map = PartitionMap()
        self._loaded = False
        self._refreshing: asyncio.Future[PartitionMap] | None = None

    @classmethod
    def shared(cls, namespace: str, root: str, home_volume: str) -> "PlacementView":
        key = (namespace, root)
        view = _views.get(key)
        if view is None:
            view = _views[key] = cls(namespace, root, home_volume)
        return view

    @property
    def volumes_advertised(self) -> bool:
        """Whether hosts must ask Ray for their volume (asked of Ray once, when first needed:
        a view may be made before `ray.init`)."""
        if self._advertised is None:
            self._advertised = volumes_advertised_by_ray()
        return self._advertised

    def keeper(self) -> Any:
        if self._keeper is None:
            self._keeper = keeper_handle(
                self._namespace, self._root, self._home, self.volumes_advertised
            )
        return self._keeper

    async def current(self) -> PartitionMap:
        """The cached map (read from the keeper the first time)."""
        if not self._loaded:
            await self.refresh()
        return self.map

    async def refresh(self, newer_than: int | None = None) -> PartitionMap:
        """The keeper's map; concurrent refreshes share one read, and a map already newer
        than `newer_than` (if given) is not read again."""
        if newer_than is not None and self._loaded and self.map.epoch > newer_than:
            return self.map
        refreshing, loop = self._refreshing, asyncio.get_running_loop()
        if refreshing is None or refreshing.done() or refreshing.get_loop() is not loop:
            refreshing = asyncio.ensure_future(self._read(self.keeper().current.remote()))
            self._refreshing = refreshing  # a process may run several event loops in turn
        try:
            return await asyncio.shield(refreshing)
        finally:
            if self._refreshing is refreshing and refreshing.done():
                self._refreshing = None

    async def with_collection(self, collection: str, partitions: int, hosts: int) -> PartitionMap:
        """The map, with `collection` mapped (the keeper adds it if it is new)."""
        found = await self.current()
        if collection in found.collections:
            return found
        return await self._read(
            self.keeper().ensure_collection.remote(collection, partitions, hosts)
        )

    async def volume_of(self, kind: str, key: str) -> str:
        """The volume of a dedicated object (the keeper places it if it is new)."""
        found = (await self.current()).volume_of(kind, key)
        if found is None:
            placed = await self._read(self.keeper().ensure_dedicated.remote(kind, key))
            found = placed.volume_of(kind, key)
            assert found is not None
        return found

    async def _read(self, answer: Any) -> PartitionMap:
        read = PartitionMap.from_json(await answer)
        if not self._loaded or read.epoch >= self.map.epoch:
            self.map, self._loaded = read, True
        return self.map


def volumes_advertised_by_ray() -> bool:
    """True where nodes advertise volumes (a cluster); False on a Ray holding them all."""
    if not ray.is_initialized():
        return False
    return bool(advertised_volumes(ray.cluster_resources()))  # type: ignore[no-untyped-call]


def volume_mounts() -> dict[str, str]:
    """Which live node (by address) advertises each volume."""
    mounts = {}
    for node in ray.nodes():  # type: ignore[no-untyped-call]
        if node.get("Alive"):
            for volume in advertised_volumes(node.get("Resources", {})):
                mounts[volume] = node["NodeManagerAddress"]
    return mounts
