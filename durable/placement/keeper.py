"""The keeper of the partition map: one named, detached Ray actor per application, its map in
a SQLite file on the home volume, every version kept (an epoch per row), so an operator can
read how placement changed and a restarted keeper serves the last acknowledged map.
"""

import asyncio
import json
import os
import time
from typing import Any

import aiosqlite
import ray

from durable.placement.partition_map import PartitionMap
from durable.placement.policy import stored_dedicated_keys
from durable.placement.volumes import claim_volume, resources_for

KEEPER_NAME = "placement-map"
SCHEMA = """
CREATE TABLE IF NOT EXISTS maps (
    epoch INTEGER PRIMARY KEY,
    map TEXT NOT NULL,
    at REAL NOT NULL
)
"""


class PlacementKeeper:
    """Serves the current map and makes every change durable before answering it.

    Args:
        root: the state root; the map lives on `volume` under it.
        volume: the home volume.
    """

    def __init__(self, root: str, volume: str) -> None:
        self._root = root
        self._volume = volume
        self._lock = asyncio.Lock()
        self._map = PartitionMap()
        self._db: aiosqlite.Connection | None = None
        self._opening = asyncio.get_running_loop().create_task(self._open())

    async def _open(self) -> None:
        folder = claim_volume(self._root, self._volume)
        self._db = await aiosqlite.connect(folder / "placement.sqlite", isolation_level=None)
        await self._db.execute("PRAGMA journal_mode=WAL")
        await self._db.execute("PRAGMA synchronous=FULL")
        await self._db.execute(SCHEMA)
        rows = list(
            await self._db.execute_fetchall("SELECT map FROM maps ORDER BY epoch DESC LIMIT 1")
        )
        if rows:
            self._map = PartitionMap.from_json(json.loads(rows[0][0]))
        else:
            await self._save(self._with_files_already_on_home_volume())

    def _with_files_already_on_home_volume(self) -> PartitionMap:
        """A first map that knows the dedicated objects whose files the home volume already
        holds (state from before the map existed), so listing them finds them."""
        folder = claim_volume(self._root, self._volume)
        found = PartitionMap()
        for kind_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
            if (kind_dir / "layout.json").exists():
                continue  # a partitioned kind: mapped when its collection is first asked for
            for key in stored_dedicated_keys(str(folder), kind_dir.name):
                found = found.with_dedicated(kind_dir.name, key, self._volume)
        return found

    async def _save(self, new: PartitionMap) -> None:
        assert self._db is not None
        await self._db.execute(
            "INSERT INTO maps (epoch, map, at) VALUES (?, ?, ?)",
            (new.epoch, json.dumps(new.to_json()), time.time()),
        )
        self._map = new

    async def ready(self) -> int:
        """Waits until the map is read; returns the process id."""
        await self._opening
        return os.getpid()

    async def current(self) -> dict[str, Any]:
        await self._opening
        return self._map.to_json()

    async def ensure_collection(
        self, collection: str, partitions: int, hosts: int
    ) -> dict[str, Any]:
        """The map, with `collection` in it (its partitions on the home volume if new)."""
        await self._opening
        async with self._lock:
            new = self._map.with_collection(collection, partitions, hosts, self._volume)
            if new is not self._map:
                await self._save(new)
        return self._map.to_json()

    async def ensure_dedicated(self, kind: str, key: str) -> dict[str, Any]:
        """The map, with the dedicated object in it (on the home volume if new)."""
        await self._opening
        async with self._lock:
            new = self._map.with_dedicated(kind, key, self._volume)
            if new is not self._map:
                await self._save(new)
        return self._map.to_json()


def keeper_handle(namespace: str, root: str, volume: str, volumes_advertised: bool) -> Any:
    """The application's keeper, started on first use where the home volume is mounted."""
    return (
        ray.remote(PlacementKeeper)
        .options(
            name=KEEPER_NAME,
            namespace=namespace,
            lifetime="detached",
            get_if_exists=True,
            max_restarts=-1,
            max_task_retries=-1,  # every call is a read or an idempotent change
            num_cpus=0,
            resources=resources_for(volume, volumes_advertised),
        )
        .remote(root, volume)
    )
