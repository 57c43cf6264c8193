"""The host: a named, detached Ray actor running many objects of one kind, or of every kind
of a host group (ARCHITECTURE §3).

Ray re-runs the constructor after a crash (`max_restarts=-1`): the host reopens its files,
re-arms alarms and fires the overdue ones, so restarting is the same as starting.
"""

import asyncio
import gc
import os
import pickle
from typing import Any

import ray

from actors import faults, in_process
from actors.calls import Call, Reply
from actors.config import RuntimeConfig
from actors.errors import WrongHost
from actors.host_runtime import HostRuntime
from actors.kind import DurableObject, load_kind
from actors.layout import fix_partitions
from actors.logs import log_json
from actors.metrics import RayHostMetrics
from actors.placement import (
    Dedicated,
    Partitioned,
    dedicated_file,
    effective,
    host_name,
    partition_file,
    remember_dedicated_key,
)
from storage.log_file import ObjectRow
from storage.records import StoredEvent


class ObjectHost:
    """Hosts the objects of `kind_paths` held in this host's files.

    Args:
        kind_paths: `module:Class` of each kind: one, or every kind of a host group.
        host: the host's number (partitioned) or its object's key (dedicated).
        config: the runtime settings shared by all hosts.
    """

    def __init__(self, kind_paths: tuple[str, ...], host: int | str, config: RuntimeConfig) -> None:
        log_json()
        collect_garbage_less_often()
        kinds = [load_kind(path) for path in kind_paths]
        self._runtimes = {kind.kind: _runtime(kind, host, config) for kind in kinds}
        first = kinds[0]
        placement = effective(first.placement, first.kind, config.hosts, config.partitions)
        self.name = host_name(placement, first.kind, host)
        in_process.register(config.state_dir, self.name, self)
        self._starting = asyncio.get_running_loop().create_task(self._start())

    async def _start(self) -> None:
        await asyncio.gather(*(runtime.start() for runtime in self._runtimes.values()))
        gc.freeze()  # what start-up made lives as long as the host: never scan it again

    async def call_batch(self, kind: str, calls: list[Call]) -> list[Reply]:
        runtime = self._runtimes.get(kind)
        if runtime is None:
            return [Reply(False, WrongHost(f"{self.name} runs no {kind} objects"))] * len(calls)
        return await runtime.call_batch(calls)

    async def call(self, kind: str, call: Call) -> Reply:
        runtime = self._runtimes.get(kind)
        if runtime is None:
            return Reply(False, WrongHost(f"{self.name} runs no {kind} objects"))
        return await runtime.call(call)

    async def call_here(self, kind: str, call: Call) -> Reply:
        """A call from this very process: copied both ways, as a Ray call would, so caller and
        object never share mutable state."""
        reply = await self.call(kind, pickle.loads(pickle.dumps(call, protocol=5)))
        return pickle.loads(pickle.dumps(reply, protocol=5))

    async def list_objects(self, kind: str, filters: dict[str, Any]) -> list[ObjectRow]:
        return await self._runtimes[kind].list_objects(**filters)

    async def events_by_correlation(self, kind: str, correlation_id: str) -> list[StoredEvent]:
        return await self._runtimes[kind].events_by_correlation(correlation_id)

    async def ready(self) -> int:
        """Waits until files are open and alarms armed; returns the process id."""
        await self._starting
        return os.getpid()

    async def passivate_idle(self, idle_seconds: float | None = None) -> int:
        return sum(r.passivate_idle(idle_seconds) for r in self._runtimes.values())

    async def arm_fault(self, point: str, action: str = "kill") -> None:
        """Test and admin switch: die (or kill another host) at a named point, once."""
        faults.arm(point, action)

    async def resident_count(self, kind: str | None = None) -> int:
        return sum(r.resident_count() for name, r in self._runtimes.items() if kind in (None, name))


def collect_garbage_less_often() -> None:
    """A host allocates a few hundred objects per call and keeps thousands of objects
    resident; Python's default (a young collection every 700 allocations) spent a measured
    5-10% of checkout throughput on collections that found little to free."""
    gc.set_threshold(50_000, 20, 100)


def _runtime(kind: type[DurableObject], host: int | str, config: RuntimeConfig) -> HostRuntime:
    placement = effective(kind.placement, kind.kind, config.hosts, config.partitions)
    if isinstance(placement, Partitioned):
        assert isinstance(host, int)
        fix_partitions(config.state_dir, kind.kind, placement.partitions)
        files: dict[Any, str] = {
            p: str(partition_file(config.state_dir, kind.kind, p))
            for p in placement.partitions_of_host(host)
        }
        file_key = placement.partition_of
    else:
        assert isinstance(placement, Dedicated) and isinstance(host, str)
        remember_dedicated_key(config.state_dir, kind.kind, host)
        files = {host: str(dedicated_file(config.state_dir, kind.kind, host))}

        def file_key(key: str) -> str:
            return key

    return HostRuntime(kind, files, file_key, config, RayHostMetrics(kind.kind, str(host)))


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


def host_title(placement: Partitioned | Dedicated, kind: str, host: int | str) -> str:
    """`shop-host-1[p1,p3]` for a partitioned host, `warehouse-jkt` for a dedicated one."""
    name = host_name(placement, kind, host)
    if isinstance(placement, Partitioned):
        assert isinstance(host, int)
        return f"{name}[{','.join(f'p{p}' for p in placement.partitions_of_host(host))}]"
    return name
