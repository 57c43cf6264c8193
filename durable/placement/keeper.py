"""The keeper of the partition map: one named, detached Ray actor per application, its map in
a SQLite file on the home volume, every version kept (an epoch per row), so an operator can
read how placement changed and a restarted keeper serves the last acknowledged map.

The keeper also drives moves (ARCHITECTURE §13.3), one at a time, recording each phase in the
map before going on: a keeper that dies mid-move finds the move when it starts again and
ends it: forward if the map already names the target, else back to the source.
"""

import asyncio
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiosqlite
import ray

from durable.errors import RuntimeFault
from durable.observe import faults
from durable.placement import metrics as placement_metrics
from durable.placement.partition_map import Move, PartitionMap, Slot
from durable.placement.policy import move_host_name, stored_dedicated_keys
from durable.placement.volumes import check_volume_name, claim_volume, resources_for
from durable.retry import RetryPolicy

log = logging.getLogger(__name__)

KEEPER_NAME = "placement-map"
END_MOVE_RETRY = RetryPolicy(first_backoff_s=0.2, max_backoff_s=5.0)


class MoveFailed(RuntimeFault):
    """A move was called off before its commit: the partition stays where it was."""

    code = "move_failed"


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
        namespace: where the application's hosts are named.
    """

    def __init__(self, root: str, volume: str, namespace: str) -> None:
        self._root = root
        self._namespace = namespace
        self._volume = volume
        self._lock = asyncio.Lock()
        self._moving = asyncio.Lock()
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
            await self._save(_dedicated_files_already_in(folder, self._volume))
        if self._map.move is not None:  # this keeper died mid-move: end the move first
            asyncio.get_running_loop().create_task(self._end_left_move())

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

    # moves

    async def move(self, collection: str, partition: int, volume: str, host: int) -> dict[str, Any]:
        """Moves the partition to host `host` of `volume` under load: its calls wait while it
        moves, then go to the target; returns the map after the move.

        Raises:
            MoveFailed: the move was called off (a host failed before the commit); the
                partition is served by its source again, as before.
        """
        target = Slot(check_volume_name(volume), host)
        return await self._move(
            lambda now: Move(collection, partition, now.slot(collection, partition), target)
        )

    async def move_object(self, kind: str, key: str, volume: str) -> dict[str, Any]:
        """Moves a dedicated object to `volume`, as `move` moves a partition; its host on
        the old volume is stopped once the move is done."""

        def planned(now: PartitionMap) -> Move:
            source = now.volume_of(kind, key)
            if source is None:
                raise MoveFailed(f"{kind} {key!r} is not in the partition map")
            return Move(
                kind, key, Slot(source, 0), Slot(check_volume_name(volume), 0), dedicated=True
            )

        return await self._move(planned)

    async def _move(self, plan: Callable[[PartitionMap], Move]) -> dict[str, Any]:
        await self._opening
        async with self._moving:
            if self._map.move is not None:
                await self._end_move(self._map.move)
            move = plan(self._map)
            if move.source == move.target:
                return self._map.to_json()
            await self._record(move)
            try:
                await self._move_until_committed()
            except Exception as exc:
                left = self._map.move
                if left is None or left.phase != "committed":
                    await self._end_move(self._map.move)
                    raise MoveFailed(f"{move.collection} {move.partition!r}: {exc!r}") from exc
            await self._end_move(self._map.move)
        return self._map.to_json()

    async def _move_until_committed(self) -> None:
        move = self._map.move
        assert move is not None
        source, target = self._host(move, move.source), self._host(move, move.target)
        await target.expect_partition.remote(move.partition)
        files = await source.release_partition.remote(move.partition)
        await self._record(replace(move, phase="released", files=tuple(files)))
        if move.copies:
            digests = await source.file_digests.remote(files)
            source_name = move_host_name(move, move.source)
            await target.receive_files.remote(source_name, files, digests)
            await self._record(replace(self._current_move(), phase="copied"))
        await self._record(replace(self._current_move(), phase="committed"))

    async def _end_move(self, move: Move | None) -> None:
        """Ends a recorded move whatever happens meanwhile: forward once committed, else back;
        tried again until its hosts answer (a host killed mid-move is restarted by Ray)."""
        attempt = 0
        while move is not None:
            try:
                if move.phase == "committed":
                    await self._finish(move)
                else:
                    await self._call_off(move)
                await self._record(None)
                placement_metrics.move_ended(move.collection, moved=move.phase == "committed")
                return
            except Exception as exc:
                attempt += 1
                where = f"{move.collection} {move.partition!r}"
                log.warning("ending the move of %s failed, trying again: %r", where, exc)
                await asyncio.sleep(END_MOVE_RETRY.backoff(attempt))

    async def _finish(self, move: Move) -> None:
        target = self._host(move, move.target)
        await target.adopt_partition.remote(move.partition)
        await target.end_handoff.remote(move.partition, False)
        source = self._host_if_any(move, move.source)
        if source is None:
            return  # a dedicated object's old host, stopped by an earlier try of this
        await source.end_handoff.remote(move.partition, True)
        if move.copies:
            await source.set_files_aside.remote(list(move.files), self._map.epoch)
        if move.dedicated:  # it serves nothing else
            ray.kill(source, no_restart=True)

    async def _call_off(self, move: Move) -> None:
        target = self._host_if_any(move, move.target)
        if target is not None:
            if move.copies and move.files:
                await target.discard_files.remote(list(move.files))
            await target.end_handoff.remote(move.partition, True)
        source = self._host(move, move.source)
        await source.adopt_partition.remote(move.partition)
        await source.end_handoff.remote(move.partition, False)

    async def _end_left_move(self) -> None:
        async with self._moving:
            await self._end_move(self._map.move)

    def _current_move(self) -> Move:
        assert self._map.move is not None
        return self._map.move

    async def _record(self, move: Move | None) -> None:
        """Makes the move's next phase durable; a fault armed for it strikes right after."""
        async with self._lock:
            await self._save(self._map.with_move(move))
        await faults.strike(f"move:{move.phase if move else 'ended'}")

    async def arm_fault(self, point: str, action: str = "kill") -> None:
        """Test switch: at `point` ("move:released", ...) die, or kill a host, once."""
        faults.arm(point, action, self._namespace)

    def _host(self, move: Move, slot: Slot) -> Any:
        """The host at one end of a move, looked up anew (it may have restarted)."""
        return ray.get_actor(move_host_name(move, slot), namespace=self._namespace)

    def _host_if_any(self, move: Move, slot: Slot) -> Any:
        try:
            return self._host(move, slot)
        except ValueError:  # no such actor: never made, or stopped for good
            return None


def _dedicated_files_already_in(folder: Path, volume: str) -> PartitionMap:
    """A first map that knows the dedicated objects whose files the home volume already
    holds (state from before the map existed), so listing them finds them."""
    found = PartitionMap()
    for kind_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
        if _is_partitioned(kind_dir):
            continue  # mapped when its collection is first asked for
        for key in stored_dedicated_keys(str(folder), kind_dir.name):
            found = found.with_dedicated(kind_dir.name, key, volume)
    return found


def _is_partitioned(kind_dir: Path) -> bool:
    """A partitioned kind's directory: its layout record, or partition files from before
    layouts were recorded."""
    return (kind_dir / "layout.json").exists() or any(kind_dir.glob("p[0-9][0-9][0-9].sqlite"))


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
        .remote(root, volume, namespace)
    )
