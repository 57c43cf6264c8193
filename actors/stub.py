"""Stubs (ARCHITECTURE §3): callers name an object by kind and key; the stub finds the host,
caches its handle, batches calls to it, and retries a call whose host died, with the same
idempotency key, so the call takes effect exactly once."""

from __future__ import annotations

import asyncio
import time
import uuid
import weakref
from typing import Any, Generic, TypeVar

import ray
from ray.exceptions import ActorUnavailableError, RayActorError

from actors import in_process
from actors.calls import Call, Reply
from actors.channel import HostChannel
from actors.config import NAMESPACE, RuntimeConfig
from actors.correlation import correlation_id
from actors.errors import HostUnavailable, UnknownMethod
from actors.host import host_title, remote_host_class
from actors.kind import COMMAND, WAITER, DurableObject
from actors.placement import (
    Dedicated,
    Partitioned,
    effective,
    host_name,
    stored_dedicated_keys,
)
from actors.retry import RetryPolicy
from storage import StorageError
from storage.log_file import ObjectRow
from storage.records import StoredEvent

K = TypeVar("K", bound=DurableObject)

RETRYABLE = (RayActorError, ActorUnavailableError)
_shared: dict[tuple[str, str], KindClient[Any]] = {}
STORAGE_RETRIES = 3
HOST_RETRY = RetryPolicy(first_backoff_s=0.02, max_backoff_s=0.5)
"""Waits between tries of a call whose host is restarting (until the stub's deadline)."""


class KindClient(Generic[K]):
    """All objects of one kind: `get(key)` for a stub, `list(...)` to find them."""

    def __init__(
        self, kind: type[K], config: RuntimeConfig, *, retry_deadline_s: float = 60.0
    ) -> None:
        self.kind = kind
        self._config = config
        self._retry_deadline_s = retry_deadline_s
        self._markers = kind.callable_methods()
        self.placement = effective(kind.placement, kind.kind, config.hosts, config.partitions)
        self._handles: dict[str, Any] = {}
        self._channels: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, HostChannel]]
        self._channels = weakref.WeakKeyDictionary()
        self._host_resources = _host_resources()

    @classmethod
    def shared(cls, kind: type[K], config: RuntimeConfig) -> KindClient[K]:
        """This process's client of `kind` for `config`: objects calling other objects reuse
        one client (and its handles and channels) instead of making one per call."""
        key = (kind.path(), config.state_dir)
        client = _shared.get(key)
        if client is None:
            client = _shared[key] = cls(kind, config)
        return client

    def get(self, key: str) -> ObjectStub[K]:
        if not isinstance(key, str) or not key:
            raise ValueError("an object key is a non-empty string")
        return ObjectStub(self, key)

    async def list(
        self,
        *,
        prefix: str = "",
        owner: str | None = None,
        status: str | None = None,
        after: str = "",
        limit: int = 100,
    ) -> list[ObjectRow]:
        """Objects of this kind in key order, read from their owners' files."""
        filters = {"prefix": prefix, "owner": owner, "status": status, "after": after}
        filters["limit"] = limit
        pages = await asyncio.gather(
            *(
                self.handle(name, arg).list_objects.remote(self.kind.kind, filters)
                for name, arg in await self._hosts()
            )
        )
        rows = sorted((row for page in pages for row in page), key=lambda row: row.stream)
        return rows[:limit]

    async def events_by_correlation(self, correlation_id: str) -> list[StoredEvent]:
        """Every event of this kind's objects written under `correlation_id`."""
        found = await asyncio.gather(
            *(
                self.handle(name, arg).events_by_correlation.remote(self.kind.kind, correlation_id)
                for name, arg in await self._hosts()
            )
        )
        return [event for events in found for event in events]

    async def arm_fault(self, point: str, action: str = "kill") -> int:
        """Arms a fault switch on every host of this kind; returns how many were armed."""
        hosts = await self._hosts()
        await asyncio.gather(*(self.handle(n, a).arm_fault.remote(point, action) for n, a in hosts))
        return len(hosts)

    async def ensure_hosts(self) -> list[int]:
        """Starts every host of the kind (of a dedicated kind: one per stored object) and
        waits until each is up, its alarms armed and its outbox relayed; returns their pids."""
        hosts = await self._hosts()
        return list(await asyncio.gather(*(self.handle(n, a).ready.remote() for n, a in hosts)))

    def host_for(self, key: str) -> tuple[str, int | str]:
        placement = self.placement
        host: int | str = key
        if isinstance(placement, Partitioned):
            host = placement.host_of(placement.partition_of(key))
        return host_name(placement, self.kind.kind, host), host

    def handle(self, name: str, host_arg: int | str) -> Any:
        """The host's actor handle, created on first use (get_if_exists makes that race-free)."""
        handle = self._handles.get(name)
        if handle is None:
            title = host_title(self.placement, self.kind.kind, host_arg)
            handle = (
                remote_host_class(title)
                .options(
                    name=name,
                    namespace=NAMESPACE,
                    lifetime="detached",
                    get_if_exists=True,
                    max_restarts=-1,
                    max_task_retries=0,
                    num_cpus=0,
                    resources=self._host_resources,
                )
                .remote(self._kind_paths(), host_arg, self._config)
            )
            self._handles[name] = handle
        return handle

    async def invoke(
        self,
        key: str,
        method: str,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        idempotency_key: str | None,
    ) -> Any:
        marker = self._markers.get(method)
        if marker is None:
            raise UnknownMethod(self.kind.kind, method)
        fresh = marker == COMMAND and idempotency_key is None
        if fresh:
            idempotency_key = uuid.uuid4().hex
        name, host_arg = self.host_for(key)
        local = in_process.host(self._config.state_dir, name)
        deadline = time.monotonic() + self._retry_deadline_s
        attempt = 0
        while True:
            call = Call(
                key,
                method,
                args,
                kwargs,
                idempotency_key,
                fresh and attempt == 0,
                correlation_id.get(),
            )
            try:
                if local is not None:
                    reply = await local.call_here(self.kind.kind, call)
                elif marker == WAITER:
                    handle = self.handle(name, host_arg)
                    reply = Reply(*await handle.call.remote(self.kind.kind, call))
                else:
                    reply = await self._channel(name, host_arg).send(call)
            except RETRYABLE as exc:
                error: Exception = exc
            else:
                if reply.ok:
                    return reply.value
                if not isinstance(reply.value, StorageError) or attempt >= STORAGE_RETRIES:
                    raise reply.value
                error = reply.value  # a lost commit: the object reloaded, try once more
            if time.monotonic() > deadline:
                raise HostUnavailable(f"{self.kind.kind} {key!r}: {error}") from error
            attempt += 1
            await asyncio.sleep(HOST_RETRY.backoff(attempt))

    def _channel(self, name: str, host_arg: int | str) -> HostChannel:
        loop = asyncio.get_running_loop()
        channels = self._channels.setdefault(loop, {})
        channel = channels.get(name)
        if channel is None:
            channel = channels[name] = HostChannel(self.handle(name, host_arg), self.kind.kind)
        return channel

    def _kind_paths(self) -> tuple[str, ...]:
        """The kinds a new host of this kind must run: this one, or its whole group."""
        group = self.placement.group if isinstance(self.placement, Partitioned) else None
        if group is None:
            return (self.kind.path(),)
        members = self._config.groups.get(group, ())
        if self.kind.path() not in members:
            raise ValueError(
                f"{self.kind.kind} runs in host group {group!r}: build the Shop with every kind"
                " of the group so its hosts start them all"
            )
        return members

    async def _hosts(self) -> list[tuple[str, int | str]]:
        """Every host of the kind: a partitioned kind's by number; a dedicated kind's one per
        object stored, found from the files, so hosts that are not running yet count too."""
        placement = self.placement
        if isinstance(placement, Partitioned):
            return [(host_name(placement, self.kind.kind, h), h) for h in range(placement.hosts)]
        assert isinstance(placement, Dedicated)
        keys = await self._stored_keys()
        return [(host_name(placement, self.kind.kind, key), key) for key in keys]

    async def _stored_keys(self) -> list[str]:
        """Read where the files are: here, or on a node holding state when the cluster has
        such nodes (the files live there, §10)."""
        if not self._host_resources:
            return stored_dedicated_keys(self._config.state_dir, self.kind.kind)
        return await _stored_keys_remotely.options(resources=self._host_resources).remote(
            self._config.state_dir, self.kind.kind
        )


class ObjectStub(Generic[K]):
    """One object: `await stub.method(*args, idempotency_key=None, **kwargs)`."""

    __slots__ = ("_client", "key")

    def __init__(self, client: KindClient[K], key: str) -> None:
        self._client = client
        self.key = key

    def __getattr__(self, method: str) -> Any:
        if method.startswith("_"):
            raise AttributeError(method)
        client, key = self._client, self.key

        async def call(*args: Any, idempotency_key: str | None = None, **kwargs: Any) -> Any:
            return await client.invoke(key, method, args, kwargs, idempotency_key)

        call.__name__ = method
        return call


@ray.remote(num_cpus=0)
def _stored_keys_remotely(state_dir: str, kind: str) -> list[str]:
    return stored_dedicated_keys(state_dir, kind)


def _host_resources() -> dict[str, float]:
    """Hosts go to nodes that hold state (custom resource `state`, §10) when the cluster has any."""
    if ray.is_initialized() and ray.cluster_resources().get("state", 0) > 0:
        return {"state": 0.001}
    return {}
