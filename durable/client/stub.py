"""Stubs (ARCHITECTURE §3): callers name an object by kind and key; the stub finds the host,
caches its handle, batches calls to it, and retries a call whose host died, with the same
idempotency key, so the call takes effect exactly once. In a host process, a kind's replica
queries are answered from the process's leased copy of the object (`durable.client.replicas`)."""

from __future__ import annotations

import asyncio
import builtins
import time
import weakref
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Concatenate, Generic, ParamSpec, TypeVar

from pydantic import BaseModel, Field
from ray.exceptions import ActorUnavailableError, RayActorError

from durable.client import in_process
from durable.client.calls import Call, Reply
from durable.client.channel import HostChannel
from durable.client.replicas import Replicas
from durable.config import RuntimeConfig
from durable.errors import HostUnavailable, UnknownMethod, WrongHost
from durable.host.actor import host_title, remote_host_class
from durable.ids import unique_id
from durable.kind import COMMAND, QUERY, WAITER, DurableObject
from durable.observe.correlation import correlation_id
from durable.placement.layout import LayoutMismatch
from durable.placement.partition_map import HostSpot, Slot
from durable.placement.policy import Partitioned, effective, host_label, host_name
from durable.placement.view import PlacementView
from durable.placement.volumes import resources_for
from durable.retry import RetryPolicy
from storage import StorageError
from storage.log_file import ObjectRow
from storage.records import StoredEvent

if TYPE_CHECKING:
    from durable.app import Application
    from durable.context import CallContext

K = TypeVar("K", bound=DurableObject)
P = ParamSpec("P")
R = TypeVar("R")

RETRYABLE = (RayActorError, ActorUnavailableError)
STORAGE_RETRIES = 3
HOST_LOOKUPS = 5
HOST_RETRY = RetryPolicy(first_backoff_s=0.02, max_backoff_s=0.5)
"""Waits between tries of a call whose host is restarting (until the stub's deadline)."""


class KindClient(Generic[K]):
    """All objects of one kind: `get(key)` for a stub, `list(...)` to find them."""

    def __init__(
        self,
        kind: type[K],
        app: Application,
        config: RuntimeConfig,
        *,
        retry_deadline_s: float = 60.0,
    ) -> None:
        self.kind = kind
        self._app = app
        self._config = config
        self._retry_deadline_s = retry_deadline_s
        self._markers = kind.callable_methods()
        self.placement = effective(kind.placement, kind.kind, config.hosts, config.partitions)
        self._collection = host_label(self.placement, kind.kind)
        self._view = PlacementView.shared(app.namespace, config.state_dir, config.home_volume)
        self._routed_with: tuple[Slot, ...] | None = None
        self._routes: dict[int, tuple[str, HostSpot]] = {}
        self._handles: dict[str, Any] = {}
        self._channels: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, HostChannel]]
        self._channels = weakref.WeakKeyDictionary()
        self._replicas: Replicas | None = None

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
    ) -> builtins.list[ObjectRow]:
        """Objects of this kind in key order, read from their owners' files."""
        filters: dict[str, Any] = {"prefix": prefix, "owner": owner, "status": status}
        filters |= {"after": after, "limit": limit}
        pages = await self._on_every_host(
            lambda host: host.list_objects.remote(self.kind.kind, filters)
        )
        rows = sorted((row for page in pages for row in page), key=lambda row: row.stream)
        return rows[:limit]

    async def events_by_correlation(self, correlation_id: str) -> builtins.list[StoredEvent]:
        """Every event of this kind's objects written under `correlation_id`."""
        found = await self._on_every_host(
            lambda host: host.events_by_correlation.remote(self.kind.kind, correlation_id)
        )
        return [event for events in found for event in events]

    async def arm_fault(self, point: str, action: str = "kill") -> int:
        """Arms a fault switch on every host of this kind; returns how many were armed."""
        return len(await self._on_every_host(lambda host: host.arm_fault.remote(point, action)))

    async def ensure_hosts(self) -> builtins.list[int]:
        """Starts every host of the kind (of a dedicated kind: one per stored object) and
        waits until each is up, its alarms armed and its outbox relayed; returns their pids."""
        return await self._on_every_host(lambda host: host.ready.remote())

    async def _on_every_host(self, call: Callable[[Any], Awaitable[R]]) -> builtins.list[R]:
        """`call(host)` on every host the map names now; a host that died or was stopped
        meanwhile (a scale-down, a lost node) is looked up again, a few times."""
        attempt = 1
        while True:
            hosts = await self._hosts()
            try:
                return list(await asyncio.gather(*(call(self.handle(*host)) for host in hosts)))
            except RETRYABLE:
                if attempt == HOST_LOOKUPS:
                    raise
            for name, _ in hosts:
                self.forget(name)
            await asyncio.sleep(HOST_RETRY.backoff(attempt))
            attempt += 1

    async def route(self, key: str) -> tuple[str, HostSpot]:
        """The name and spot of the host serving `key`, from this process's copy of the map
        (asking the keeper only for a collection or dedicated object it has not seen)."""
        placement = self.placement
        if isinstance(placement, Partitioned):
            slots = self._view.map.collections.get(self._collection)
            if slots is None:
                current = await self._view.with_collection(
                    self._collection, placement.partitions, placement.hosts
                )
                slots = current.collections[self._collection]
            partition = placement.partition_of(key)
            return self._partition_route(slots, partition, placement.partitions)
        volume = self._view.map.volume_of(self.kind.kind, key)
        if volume is None:
            volume = await self._view.volume_of(self.kind.kind, key)
        spot = HostSpot(volume, key)
        return host_name(placement, self.kind.kind, spot), spot

    def _partition_route(
        self, slots: tuple[Slot, ...], partition: int, partitions: int
    ) -> tuple[str, HostSpot]:
        """A partition's route, made once per map version (every call needs one)."""
        if self._routed_with is not slots:
            if len(slots) != partitions:
                raise LayoutMismatch(
                    f"{self.kind.kind} has {len(slots)} partitions in the partition map, not"
                    f" {partitions}: partition counts never change once data exists"
                )
            self._routes, self._routed_with = {}, slots
        found = self._routes.get(partition)
        if found is None:
            spot = HostSpot(slots[partition].volume, slots[partition].host)
            name = host_name(self.placement, self.kind.kind, spot)
            found = self._routes[partition] = (name, spot)
        return found

    async def host_of(self, key: str) -> Any:
        """The actor handle of the host serving `key` (for tests and operators)."""
        return self.handle(*await self.route(key))

    def handle(self, name: str, spot: HostSpot) -> Any:
        """The host's actor handle, created on first use (get_if_exists makes that race-free)."""
        handle = self._handles.get(name)
        if handle is None:
            partitions = None
            if isinstance(self.placement, Partitioned):
                assert isinstance(spot.host, int)
                slot = Slot(spot.volume, spot.host)
                partitions = self._view.map.partitions_of(self._collection, slot)
            handle = (
                remote_host_class(host_title(name, partitions))
                .options(
                    name=name,
                    namespace=self._app.namespace,
                    lifetime="detached",
                    get_if_exists=True,
                    max_restarts=-1,
                    max_task_retries=0,
                    num_cpus=0,
                    resources=resources_for(spot.volume, self._view.volumes_advertised),
                )
                .remote(self._app, self._hosted_kinds(), spot, self._config)
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
        replicated = marker == QUERY and method in self.kind.replica_queries
        if fresh:
            idempotency_key = unique_id()
        deadline = time.monotonic() + self._retry_deadline_s
        attempt = 0
        while True:
            epoch = self._view.map.epoch
            name, spot = await self.route(key)
            local = in_process.host(self._config.state_dir, name)
            copy = self._replica(key) if replicated and local is None else None
            if copy is not None:
                assert self._replicas is not None
                return await self._replicas.ask(copy, method, args, kwargs)
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
                    handle = self.handle(name, spot)
                    reply = Reply(*await handle.call.remote(self.kind.kind, call))
                else:
                    reply = await self._channel(name, spot).send(call)
            except RETRYABLE as exc:
                error: Exception = exc
                self.forget(name)  # restarted, or stopped by a scale-down: look again
                await self._view.refresh(newer_than=epoch)
            else:
                if reply.ok:
                    return reply.value
                error = reply.value
                if isinstance(error, WrongHost):  # the partition moved: ask the map again
                    if (await self._view.refresh(newer_than=epoch)).epoch > epoch:
                        continue
                elif not isinstance(error, StorageError) or attempt >= STORAGE_RETRIES:
                    raise error
                # else a lost commit: the object reloaded, try once more
            if time.monotonic() > deadline:
                raise HostUnavailable(f"{self.kind.kind} {key!r}: {error}") from error
            attempt += 1
            await asyncio.sleep(HOST_RETRY.backoff(attempt))

    def _replica(self, key: str) -> DurableObject | None:
        """This process's leased copy of `key`, if it is a host process and holds one (it
        starts following `key` if not)."""
        if self._replicas is None:
            if self._config.replica_lease_s <= 0:
                return None
            if in_process.any_host(self._config.state_dir) is None:
                return None
            self._replicas = Replicas(self.kind, self._follow)
        return self._replicas.current(key)

    async def _follow(self, key: str, version: int) -> Reply:
        """Asks the host of `key` for a lease on this process's copy at `version`."""
        follower = in_process.any_host(self._config.state_dir)
        assert follower is not None
        name, spot = await self.route(key)
        try:
            reply = await self.handle(name, spot).follow.remote(
                self.kind.kind, key, follower.name, follower.handle, version
            )
        except RETRYABLE:
            self.forget(name)
            raise
        return Reply(*reply)

    def replica_push(
        self,
        key: str,
        first_seq: int,
        changes: builtins.list[tuple[str, dict[str, Any]]],
        reset: bool,
    ) -> bool:
        """A write to `key` that its host pushed to this process's copy; False: no copy."""
        if self._replicas is None:
            return False
        return self._replicas.apply(key, first_seq, changes, reset)

    def forget(self, name: str) -> None:
        """Drops the cached handle of the host `name` (it died, or was stopped)."""
        self._handles.pop(name, None)
        for channels in self._channels.values():
            channels.pop(name, None)

    def _channel(self, name: str, spot: HostSpot) -> HostChannel:
        loop = asyncio.get_running_loop()
        channels = self._channels.setdefault(loop, {})
        channel = channels.get(name)
        if channel is None:
            channel = channels[name] = HostChannel(self.handle(name, spot), self.kind.kind)
        return channel

    def _hosted_kinds(self) -> tuple[str, ...]:
        """The kinds a new host of this kind must run: this one, or its whole group."""
        group = self.placement.group if isinstance(self.placement, Partitioned) else None
        if group is None:
            return (self.kind.kind,)
        return self._app.group_members(group)

    async def _hosts(self) -> builtins.list[tuple[str, HostSpot]]:
        """Every host of the kind, as the keeper's map has it now: a partitioned kind's that
        serve a partition, a dedicated kind's one per object placed."""
        placement = self.placement
        if isinstance(placement, Partitioned):
            current = await self._view.refresh()
            if self._collection not in current.collections:
                current = await self._view.with_collection(
                    self._collection, placement.partitions, placement.hosts
                )
            spots = [HostSpot(s.volume, s.host) for s in current.slots_of(self._collection)]
        else:
            current = await self._view.refresh()
            placed = current.dedicated.get(self.kind.kind, {})
            spots = [HostSpot(volume, key) for key, volume in sorted(placed.items())]
        return [(host_name(placement, self.kind.kind, spot), spot) for spot in spots]


class ObjectStub(Generic[K]):
    """One object. `await stub.call(Kind.method, *args, **kwargs)` calls it, checked by the
    type checker against the method's signature; `stub.once(key)` is the same stub whose
    calls carry an idempotency key."""

    __slots__ = ("_client", "_idempotency_key", "key")

    def __init__(self, client: KindClient[K], key: str, idempotency_key: str | None = None) -> None:
        self._client = client
        self.key = key
        self._idempotency_key = idempotency_key

    def once(self, idempotency_key: str) -> ObjectStub[K]:
        """This object, called with `idempotency_key`: a repeat gets the first answer."""
        return ObjectStub(self._client, self.key, idempotency_key)

    def call(
        self,
        method: Callable[Concatenate[K, CallContext, P], Awaitable[R]],
        /,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> Awaitable[R]:
        """Calls `method` (a `@command`, `@query` or `@waiter` of the kind) on this object."""
        name = method.__name__
        return self._client.invoke(self.key, name, args, kwargs, self._idempotency_key)

    def later(
        self, method: Callable[Concatenate[K, CallContext, ...], Awaitable[Any]], /, **kwargs: Any
    ) -> Callback:
        """`method` on this object as data, for another object to call when something
        happens (a payment settles), with these and the caller's keyword arguments: see
        `Objects.run_callback`."""
        kind = self._client.kind.kind
        return Callback(kind=kind, key=self.key, method=method.__name__, kwargs=dict(kwargs))


class Callback(BaseModel):  # type: ignore[no-redef]  # a field named kwargs (stored data)
    """A call to make later, stored as data: the kind by name, the key, the method and its
    keyword arguments. Made by `ObjectStub.later`, so the method named exists."""

    kind: str
    key: str
    method: str
    kwargs: dict[str, Any] = Field(default_factory=dict)
