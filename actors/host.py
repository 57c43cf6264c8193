"""The host: a named, detached Ray actor running many objects of one kind (ARCHITECTURE §3).

Ray re-runs the constructor after a crash (`max_restarts=-1`): the host reopens its files,
re-arms alarms and fires the overdue ones, so restarting is the same as starting.
"""

import asyncio
import os
from typing import Any

import ray

from actors import faults
from actors.calls import Call, Reply
from actors.config import RuntimeConfig
from actors.host_runtime import HostRuntime
from actors.kind import load_kind
from actors.logs import log_json
from actors.metrics import RayHostMetrics
from actors.placement import Dedicated, Partitioned, dedicated_file, effective, partition_file
from storage.log_file import ObjectRow


class ObjectHost:
    """Hosts the objects of `kind_path` held in this host's files.

    Args:
        kind_path: `module:Class` of the kind.
        host: the host's number (partitioned) or its object's key (dedicated).
        config: the runtime settings shared by all hosts.
    """

    def __init__(self, kind_path: str, host: int | str, config: RuntimeConfig) -> None:
        log_json()
        kind = load_kind(kind_path)
        placement = effective(kind.placement, kind.kind, config.hosts)
        if isinstance(placement, Partitioned):
            assert isinstance(host, int)
            files: dict[Any, str] = {
                p: str(partition_file(config.state_dir, kind.kind, p))
                for p in placement.partitions_of_host(host)
            }
            file_key = placement.partition_of
        else:
            assert isinstance(placement, Dedicated) and isinstance(host, str)
            files = {host: str(dedicated_file(config.state_dir, kind.kind, host))}

            def file_key(key: str) -> str:
                return key

        self._runtime = HostRuntime(
            kind, files, file_key, config, RayHostMetrics(kind.kind, str(host))
        )
        self._starting = asyncio.get_running_loop().create_task(self._runtime.start())

    async def call_batch(self, calls: list[Call]) -> list[Reply]:
        return await self._runtime.call_batch(calls)

    async def call(self, call: Call) -> Reply:
        return await self._runtime.call(call)

    async def list_objects(self, filters: dict[str, Any]) -> list[ObjectRow]:
        return await self._runtime.list_objects(**filters)

    async def ready(self) -> int:
        """Waits until files are open and alarms armed; returns the process id."""
        await self._starting
        return os.getpid()

    async def passivate_idle(self, idle_seconds: float | None = None) -> int:
        return self._runtime.passivate_idle(idle_seconds)

    async def arm_fault(self, point: str, action: str = "kill") -> None:
        """Test and admin switch: die (or kill another host) at a named point, once."""
        faults.arm(point, action)

    async def resident_count(self) -> int:
        return self._runtime.resident_count()


RemoteObjectHost = ray.remote(ObjectHost)
