"""The host: a named, detached Ray actor running many objects of one kind, or of every kind
of a host group (ARCHITECTURE §3).

Ray re-runs the constructor after a crash (`max_restarts=-1`): the host reopens its files,
re-arms alarms and fires the overdue ones, so restarting is the same as starting.
"""

import asyncio
import gc
import os
import pickle
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import ray

from durable.client import in_process
from durable.client.calls import Call, Reply
from durable.config import RuntimeConfig
from durable.errors import WrongHost
from durable.host.runtime import HostRuntime
from durable.kind import DurableObject
from durable.observe import faults
from durable.observe.host_metrics import RayHostMetrics
from durable.observe.logs import log_json
from durable.placement.layout import fix_partitions
from durable.placement.policy import (
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

if TYPE_CHECKING:
    from durable.app import Application
    from durable.client.objects import Objects


class ObjectHost:
    """Hosts the objects of `kinds` held in this host's files.

    Args:
        app: the application the kinds belong to (and all it declares).
        kinds: the name of each kind to run: one, or every kind of a host group.
        host: the host's number (partitioned) or its object's key (dedicated).
        config: the runtime settings shared by all hosts.
    """

    def __init__(
        self, app: "Application", kinds: tuple[str, ...], host: int | str, config: RuntimeConfig
    ) -> None:
        from durable.client.objects import Objects  # the clients import this module

        log_json()
        collect_garbage_less_often()
        objects = Objects.shared(app, config)
        self._namespace = app.namespace
        hosted = [app.kind_named(name) for name in kinds]
        self._runtimes = {kind.kind: _runtime(kind, host, objects) for kind in hosted}
        first = hosted[0]
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
        copied: Reply = pickle.loads(pickle.dumps(reply, protocol=5))
        return copied

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
        faults.arm(point, action, self._namespace)

    async def resident_count(self, kind: str | None = None) -> int:
        return sum(r.resident_count() for name, r in self._runtimes.items() if kind in (None, name))


def collect_garbage_less_often() -> None:
    """A host allocates a few hundred objects per call and keeps thousands of objects
    resident; Python's default (a young collection every 700 allocations) spent a measured
    5-10% of checkout throughput on collections that found little to free."""
    gc.set_threshold(50_000, 20, 100)


def _runtime(kind: type[DurableObject], host: int | str, objects: "Objects") -> HostRuntime:
    config = objects.config
    placement = effective(kind.placement, kind.kind, config.hosts, config.partitions)
    if isinstance(placement, Partitioned):
        assert isinstance(host, int)
        fix_partitions(config.state_dir, kind.kind, placement.partitions)
        files: dict[Any, str] = {
            p: str(partition_file(config.state_dir, kind.kind, p))
            for p in placement.partitions_of_host(host)
        }
        file_key: Callable[[str], Any] = placement.partition_of
    else:
        assert isinstance(placement, Dedicated) and isinstance(host, str)
        remember_dedicated_key(config.state_dir, kind.kind, host)
        files = {host: str(dedicated_file(config.state_dir, kind.kind, host))}
        file_key = same_key

    return HostRuntime(kind, files, file_key, objects, RayHostMetrics(kind.kind, str(host)))


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


def host_title(placement: Partitioned | Dedicated, kind: str, host: int | str) -> str:
    """`shop-host-1[p1,p3]` for a partitioned host, `warehouse-jkt` for a dedicated one."""
    name = host_name(placement, kind, host)
    if isinstance(placement, Partitioned):
        assert isinstance(host, int)
        return f"{name}[{','.join(f'p{p}' for p in placement.partitions_of_host(host))}]"
    return name
