"""The host: a named, detached Ray actor running many objects of one kind, or of every kind
of a host group (ARCHITECTURE §3).

Ray re-runs the constructor after a crash (`max_restarts=-1`): the host reopens its files,
re-arms alarms and fires the overdue ones, so restarting is the same as starting.
"""

import asyncio
import os
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ray

from durable.client import in_process
from durable.client.calls import Call, Reply
from durable.config import RuntimeConfig
from durable.errors import WrongHost
from durable.gc_policy import PAUSES, collect_garbage_less_often, keep_startup_objects
from durable.host.runtime import HostRuntime
from durable.host.transfer import discard, file_digest, read_chunk, receive, set_aside
from durable.kind import DurableObject
from durable.observe import faults
from durable.observe.host_metrics import RayHostMetrics
from durable.observe.logs import log_json
from durable.placement import metrics as placement_metrics
from durable.placement.layout import fix_partitions
from durable.placement.partition_map import HostSpot, Slot
from durable.placement.policy import (
    Dedicated,
    Partitioned,
    dedicated_file,
    effective,
    host_label,
    host_name,
    partition_file,
    remember_dedicated_key,
)
from durable.placement.volumes import claim_volume, refuse_legacy_layout
from storage.log_file import ObjectRow
from storage.records import StoredEvent

if TYPE_CHECKING:
    from durable.app import Application
    from durable.client.objects import Objects


class ObjectHost:
    """Hosts the objects of `kinds` held in this host's files.

    Which partitions it serves, the partition map says (read when the host starts); its files
    are on the volume of `spot`, which Ray placed it beside.

    Args:
        app: the application the kinds belong to (and all it declares).
        kinds: the name of each kind to run: one, or every kind of a host group.
        spot: the host's volume, and its number (partitioned) or object key (dedicated).
        config: the runtime settings shared by all hosts.
    """

    def __init__(
        self, app: "Application", kinds: tuple[str, ...], spot: HostSpot, config: RuntimeConfig
    ) -> None:
        from durable.client.objects import Objects  # the clients import this module

        log_json()
        collect_garbage_less_often()
        self._objects = Objects.shared(app, config)
        self._namespace = app.namespace
        self._hosted = [app.kind_named(name) for name in kinds]
        self._spot = spot
        first = self._hosted[0]
        self._placement = effective(first.placement, first.kind, config.hosts, config.partitions)
        self.name = host_name(self._placement, first.kind, spot)
        self._runtimes: dict[str, HostRuntime] = {}
        self.handle = ray.get_runtime_context().current_actor
        in_process.register(config.state_dir, self.name, self)
        self._starting = asyncio.get_running_loop().create_task(self._start())

    async def _start(self) -> None:
        config = self._objects.config
        for kind in self._hosted:
            refuse_legacy_layout(config.state_dir, kind.kind)
        volume = self._volume = claim_volume(config.state_dir, self._spot.volume)
        files, held = await self._files_served(volume)
        self._runtimes = {
            kind.kind: _runtime(kind, self._placement, files, volume, self.name, self._objects)
            for kind in self._hosted
        }
        await asyncio.gather(*(runtime.start(held) for runtime in self._runtimes.values()))
        self._count_partitions()
        keep_startup_objects()

    async def _files_served(self, volume: Path) -> tuple[list[Any], list[Any]]:
        """The files the map gives this host (partitions, or a dedicated host's object key),
        and those held by a move under way, whose calls wait for the move's end."""
        placement, spot = self._placement, self._spot
        if isinstance(placement, Dedicated):
            assert isinstance(spot.host, str)
            current = await self._objects.placement.refresh()
            name = self._hosted[0].kind
            if current.object_held(name, spot.host, spot.volume):
                return [], [spot.host]
            here = current.volume_of(name, spot.host) in (spot.volume, None)
            return ([spot.host] if here else []), []  # elsewhere: this host answers "moved"
        assert isinstance(spot.host, int)
        collection = host_label(placement, self._hosted[0].kind)
        await self._objects.placement.refresh()  # a restart mid-move must see the move
        current = await self._objects.placement.with_collection(
            collection, placement.partitions, placement.hosts
        )
        for kind in self._hosted:
            fix_partitions(str(volume), kind.kind, placement.partitions)
        slot = Slot(spot.volume, spot.host)
        held = current.held_from(collection, slot)
        served = [p for p in current.partitions_of(collection, slot) if p not in held]
        return served, held

    # handing partitions over (ARCHITECTURE §13.3), driven by the placement keeper

    def _file(self, folder: Path | str, kind: str, file_key: Any) -> Path:
        """Where a partition's (or a dedicated object's) file of `kind` is under `folder`."""
        if isinstance(self._placement, Dedicated):
            return dedicated_file(folder, kind, file_key)
        return partition_file(folder, kind, file_key)

    def _relative_files(self, file_key: Any) -> list[str]:
        """The files of a partition (or object), one per kind of the host, under the volume."""
        return [str(self._file("", kind.kind, file_key)) for kind in self._hosted]

    async def release_partition(self, partition: int | str) -> list[str]:
        """Stops serving the partition (or dedicated object; calls on it wait) and closes
        its files, checkpointed; returns them, relative to the volume."""
        await self._starting
        await asyncio.gather(*(r.release(partition) for r in self._runtimes.values()))
        self._count_partitions()
        return self._relative_files(partition)

    async def partition_stats(self) -> dict[int, tuple[int, int]]:
        """Per partition served: bytes on disk and calls since start, over every kind."""
        await self._starting
        totals: dict[int, tuple[int, int]] = {}
        for runtime in self._runtimes.values():
            for partition, (size, calls) in runtime.file_stats().items():
                before = totals.get(partition, (0, 0))
                totals[partition] = (before[0] + size, before[1] + calls)
        return totals

    async def expect_partition(self, partition: int | str) -> None:
        """Calls on a partition about to move here wait until `end_handoff`."""
        await self._starting
        for runtime in self._runtimes.values():
            runtime.expect(partition)

    async def adopt_partition(self, partition: int | str) -> None:
        """Serves the partition (or object) from this host's volume (again, after a
        called-off move)."""
        await self._starting
        for kind, runtime in self._runtimes.items():
            if isinstance(partition, str):
                remember_dedicated_key(self._volume, kind, partition)
            await runtime.adopt(partition, str(self._file(self._volume, kind, partition)))
        self._count_partitions()

    def _count_partitions(self) -> None:
        if isinstance(self._placement, Partitioned) and self._runtimes:
            served = next(iter(self._runtimes.values())).file_count()
            placement_metrics.partitions_served(self.name, served)

    async def end_handoff(self, partition: int | str, moved: bool) -> None:
        """Lets the calls held for the partition go: on here, or elsewhere if `moved`."""
        await self._starting
        for runtime in self._runtimes.values():
            runtime.end_handoff(partition, moved=moved)

    async def file_digests(self, relative: list[str]) -> list[tuple[int, str]]:
        return list(
            await asyncio.gather(
                *(asyncio.to_thread(file_digest, self._volume / name) for name in relative)
            )
        )

    async def read_file_chunk(self, relative: str, offset: int, size: int) -> bytes:
        return await asyncio.to_thread(read_chunk, self._volume / relative, offset, size)

    async def receive_files(
        self, source: str, relative: list[str], digests: list[tuple[int, str]]
    ) -> None:
        """Copies the files from the host named `source` onto this host's volume."""
        await self._starting
        sender = ray.get_actor(source, namespace=self._namespace)

        async def copy(name: str, size: int, sha256: str) -> None:
            async def pull(offset: int, length: int) -> bytes:
                chunk: bytes = await sender.read_file_chunk.remote(name, offset, length)
                return chunk

            await receive(self._volume / name, size, sha256, pull)

        async with asyncio.TaskGroup() as copies:  # one failing stops the others
            for name, digest in zip(relative, digests, strict=True):
                copies.create_task(copy(name, *digest))

    async def discard_files(self, relative: list[str]) -> None:
        for name in relative:
            await asyncio.to_thread(discard, self._volume / name)

    async def set_files_aside(self, relative: list[str], epoch: int) -> None:
        for name in relative:
            await asyncio.to_thread(set_aside, self._volume / name, epoch)

    async def _runtime_of(self, kind: str) -> HostRuntime | None:
        """The kind's runtime once the host has started (a failed start fails every call)."""
        await self._starting
        return self._runtimes.get(kind)

    # Object calls are the runtime's RPCs, thousands a second: Ray records no task event for
    # them (they would crowd everything else out of the dashboard's task table, and each
    # costs the GCS and raylet about 10 us of CPU).
    @ray.method(enable_task_events=False)
    async def call_batch(self, kind: str, calls: list[Call]) -> list[Reply]:
        runtime = await self._runtime_of(kind)
        if runtime is None:
            return [self._runs_no(kind)] * len(calls)
        return await runtime.call_batch(calls)

    @ray.method(enable_task_events=False)
    async def call(self, kind: str, call: Call) -> Reply:
        return await self._call(kind, call)

    async def _call(self, kind: str, call: Call) -> Reply:
        runtime = await self._runtime_of(kind)
        if runtime is None:
            return self._runs_no(kind)
        return await runtime.call(call)

    @ray.method(enable_task_events=False)
    async def follow(self, kind: str, key: str, follower: str, handle: Any, version: int) -> Reply:
        """A lease on a copy of `key` for the host `follower` (see `durable.client.replicas`)."""
        runtime = await self._runtime_of(kind)
        if runtime is None:
            return self._runs_no(kind)
        return await runtime.follow(key, follower, handle, version)

    @ray.method(enable_task_events=False)
    def replica_push(
        self,
        kind: str,
        key: str,
        first_seq: int,
        changes: list[tuple[str, dict[str, Any]]],
        reset: bool,
    ) -> bool:
        """A write to an object this process keeps a copy of; False: the copy is gone."""
        return self._objects.named(kind).replica_push(key, first_seq, changes, reset)

    def _runs_no(self, kind: str) -> Reply:
        return Reply(False, WrongHost(f"{self.name} runs no {kind} objects"))

    async def call_here(self, kind: str, call: Call) -> Reply:
        """A call from this very process: copied both ways, as a Ray call would, so caller and
        object never share mutable state."""
        reply = await self._call(kind, pickle.loads(pickle.dumps(call, protocol=5)))
        copied: Reply = pickle.loads(pickle.dumps(reply, protocol=5))
        return copied

    async def list_objects(self, kind: str, filters: dict[str, Any]) -> list[ObjectRow]:
        await self._starting
        return await self._runtimes[kind].list_objects(**filters)

    async def events_by_correlation(self, kind: str, correlation_id: str) -> list[StoredEvent]:
        await self._starting
        return await self._runtimes[kind].events_by_correlation(correlation_id)

    async def ready(self) -> int:
        """Waits until files are open and alarms armed; returns the process id."""
        await self._starting
        return os.getpid()

    async def passivate_idle(self, idle_seconds: float | None = None) -> int:
        return sum(r.passivate_idle(idle_seconds) for r in self._runtimes.values())

    async def arm_fault(self, point: str, action: str = "kill") -> None:
        """Test and admin switch: die (or kill another host) at a named point, once."""
        faults.arm(point, action, self._namespace)

    async def resident_count(self, kind: str | None = None) -> int:
        return sum(r.resident_count() for name, r in self._runtimes.items() if kind in (None, name))

    async def gc_pauses(self) -> dict[str, list[float]]:
        """This host's garbage collections by generation: count, total and longest ms."""
        return PAUSES.summary()


def _runtime(
    kind: type[DurableObject],
    placement: Partitioned | Dedicated,
    served: list[Any],
    volume: Path,
    host: str,
    objects: "Objects",
) -> HostRuntime:
    if isinstance(placement, Dedicated):
        for key in served:
            remember_dedicated_key(volume, kind.kind, key)
        files: dict[Any, str] = {k: str(dedicated_file(volume, kind.kind, k)) for k in served}
        file_key: Callable[[str], Any] = same_key
    else:
        files = {p: str(partition_file(volume, kind.kind, p)) for p in served}
        file_key = placement.partition_of
    metrics = RayHostMetrics(kind.kind, host)
    return HostRuntime(kind, files, file_key, objects, metrics)


def same_key(key: str) -> str:
    """A dedicated host's one file is found by its object's key."""
    return key


_titled: dict[str, Any] = {}


def remote_host_class(title: str) -> Any:
    """The host as a Ray actor class named `title`: Ray titles the process (`ps`, the
    dashboard's process and actor views) after the class, so an operator sees which group or
    kind and which partitions (or which object) a process holds, not `ray::ObjectHost`."""
    found = _titled.get(title)
    if found is None:
        named = type(title, (ObjectHost,), {"__module__": ObjectHost.__module__})
        found = _titled[title] = ray.remote(named)
    return found


def host_title(name: str, partitions: list[int] | None) -> str:
    """`shop-1@v0[p1,p3]` for a partitioned host (its partitions when it was made; `rayshop
    partitions` shows what it serves now), the name alone for a dedicated one."""
    if partitions is None:
        return name
    return f"{name}[{','.join(f'p{p}' for p in partitions)}]"
