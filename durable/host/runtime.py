"""Runs many objects of one kind in one process: the heart of a host, free of Ray.

Each call goes through the object's input gate (one call at a time per object, §4.4), writes
one unit to the object's log file, and replies only when that unit is durable (output gate).
The next call on the object need not wait for the fsync: group commit shares it.
"""

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any, Protocol

from durable.client.calls import Call, Reply
from durable.context import CallContext
from durable.errors import TerminalError, UnknownMethod, WrongHost
from durable.host.alarms import retry_later
from durable.host.background import BackgroundWork
from durable.host.contexts import ContextMaker, settled
from durable.host.followers import Followers
from durable.host.handoff import Handoff
from durable.host.idempotency import IdempotencyCache, encode
from durable.host.local_ref import LocalRef
from durable.host.open_files import OpenFiles
from durable.host.residency import Resident, ResidentSet
from durable.host.snapshots import add_snapshot_if_due
from durable.host.upkeep import Upkeep, events_by_correlation, keys_with_status, list_objects
from durable.kind import COMMAND, WAITER, DurableObject
from durable.observe.correlation import correlation_id
from storage import LogFile, StorageError, WriteUnit
from storage.log_file import ObjectRow
from storage.records import AlarmRecord, StoredEvent

if TYPE_CHECKING:
    from durable.client.objects import Objects

log = logging.getLogger(__name__)


class MetricsSink(Protocol):
    def calls(self, count: int) -> None: ...
    def activated(self, seconds: float) -> None: ...
    def passivated(self, count: int) -> None: ...
    def resident(self, count: int) -> None: ...
    def batch(self, size: int) -> None: ...
    def alarm_fired(self, ok: bool) -> None: ...
    def paused(self, seconds: float) -> None: ...


class HostRuntime:
    """The objects of one kind held by one host, over the log files it owns.

    Args:
        kind: the object class.
        files: where each file lives, keyed by partition number (or by the object's key for a
            dedicated host).
        file_key: maps an object key to its key in `files`.
    """

    def __init__(
        self,
        kind: type[DurableObject],
        files: dict[Any, str],
        file_key: Callable[[str], Any],
        objects: "Objects",
        metrics: MetricsSink,
    ) -> None:
        self.kind = kind
        self._initial_paths = files
        self._file_key = file_key
        self._objects = objects
        self._config = objects.config
        self._metrics = metrics
        self._methods = kind.callable_methods()
        self._open_files = OpenFiles(self._open_log_file, self._fire_alarm)
        self._files = self._open_files.files
        self._residents = ResidentSet(kind, self._file_of, metrics.activated)
        self._idempotency = IdempotencyCache(self._residents.result_forgotten)
        self._started = asyncio.Event()
        self._housekeeping: asyncio.Task[None] | None = None
        self._background = BackgroundWork(kind.kind)
        self._upkeep = Upkeep(self._residents, self._files, self._config, metrics)
        self._contexts = ContextMaker(objects, self._file_of)
        self._handoff = Handoff(metrics.paused)
        self._resuming: set[asyncio.Future[None]] = set()
        self._calls: Counter[Any] = Counter()
        lease_s = self._config.replica_lease_s
        self._followers = Followers(kind.kind, lease_s) if kind.replica_queries else None

    async def start(self, held: Iterable[Any] = ()) -> None:
        """Opens every file and re-arms its alarms; calls wait until this is done. Calls on
        the files in `held` (being handed to or from this host) wait until the handoff ends."""
        for file_key in held:
            self._handoff.hold_now(file_key)
        for file_key, path in self._initial_paths.items():
            await self._open_files.open(file_key, path)
        self._housekeeping = asyncio.get_running_loop().create_task(self._upkeep.run_forever())
        self._open_files.relay_outboxes(self._objects)
        self._started.set()
        await self._resume_objects(self._files)

    def _open_log_file(self, path: str) -> Awaitable[LogFile]:
        return LogFile.open(
            path,
            synchronous=self._config.synchronous,
            owner_schema=self.kind.owner_schema,
            on_batch=self._metrics.batch,
        )

    # handing files over (ARCHITECTURE §13.3)

    async def release(self, file_key: Any) -> str | None:
        """Stops serving the file: new calls on its objects wait, the running ones finish,
        its objects leave memory and the file is checkpointed and closed. Returns its path
        (None if this host does not hold it open). `end_handoff` lets the waiting calls go.

        Raises:
            HandoffTimedOut: the running calls did not finish in time (one may be waiting
                for another object of this file); the file is served on as before.
        """
        await self._handoff.hold(file_key, self._config.handoff_timeout_s)
        self._background.cancel_where(lambda key: self._file_key(key) == file_key)
        self._residents.evict_where(lambda key: self._file_key(key) == file_key)
        return await self._open_files.close(file_key)

    async def adopt(self, file_key: Any, path: str) -> None:
        """Serves the file (again): opens it, re-arms its alarms, relays its outbox and
        resumes its objects' work in flight. Calls held meanwhile, the resuming ones too, wait
        for `end_handoff`: the resuming runs on its own so that the handoff can end."""
        if file_key in self._files:
            return
        if self._followers is not None:
            self._followers.hold_writes()  # the host it came from may have leased copies
        log_file = await self._open_files.open(file_key, path)
        resuming = asyncio.ensure_future(self._resume_objects({file_key: log_file}))
        self._resuming.add(resuming)
        resuming.add_done_callback(self._resuming.discard)

    def expect(self, file_key: Any) -> None:
        """Calls on a file about to be handed to this host wait for `end_handoff`."""
        if file_key not in self._files:
            self._handoff.hold_now(file_key)

    def end_handoff(self, file_key: Any, *, moved: bool) -> None:
        self._handoff.end(file_key, moved=moved)

    async def _resume_objects(self, files: dict[Any, LogFile]) -> None:
        """Calls `resume` on every object whose status asks for it (work in flight at a crash)."""
        keys = await keys_with_status(files, self.kind.resume_statuses)
        replies = await asyncio.gather(
            *(self.call(Call(k, "resume", (), {}, None, False, None)) for k in keys)
        )
        for key, reply in zip(keys, replies, strict=True):
            if not reply.ok:
                log.error("resuming %s %s failed: %r", self.kind.kind, key, reply.value)

    async def stop(self) -> None:
        if self._housekeeping is not None:
            self._housekeeping.cancel()
        await self._open_files.stop()

    # calls

    async def call_batch(self, calls: list[Call]) -> list[Reply]:
        """Runs calls on any objects of this host concurrently; replies in the same order."""
        self._metrics.calls(len(calls))
        return list(await asyncio.gather(*(self.call(c) for c in calls)))

    async def call(self, call: Call) -> Reply:
        correlation_id.set(call.correlation_id)  # for logs, and for the calls this one makes
        await self._started.wait()
        marker = self._methods.get(call.method)
        if marker is None:
            return Reply(False, UnknownMethod(self.kind.kind, call.method))
        file_key = self._file_key(call.key)
        entered = self._handoff.enter_now(file_key) or await self._handoff.enter(file_key)
        if not entered:
            return Reply(False, self._not_here(call.key))
        self._calls[file_key] += 1
        if marker == WAITER:
            self._handoff.leave(file_key)  # a waiter may wait for long: it holds no handoff up
            return await self._wait_unless_handed_off(file_key, call)
        try:
            if file_key not in self._files:
                return Reply(False, self._not_here(call.key))
            while True:
                async with self._residents.using(call.key) as resident:
                    reply = await self._call_resident(resident, call, marker == COMMAND)
                if reply is not None:
                    return reply
        finally:
            self._handoff.leave(file_key)

    async def follow(self, key: str, follower: str, handle: Any, version: int) -> Reply:
        """Leases `follower` (a host process, by name and actor handle) a copy of `key`:
        (version, the snapshot unless the follower's copy is at `version`, lease seconds).
        Every later write to `key` is pushed to it while the lease lasts."""
        if self._followers is None:
            return Reply(False, UnknownMethod(self.kind.kind, "follow"))
        await self._started.wait()
        file_key = self._file_key(key)
        entered = self._handoff.enter_now(file_key) or await self._handoff.enter(file_key)
        if not entered:
            return Reply(False, self._not_here(key))
        try:
            if file_key not in self._files:
                return Reply(False, self._not_here(key))
            while True:
                async with self._residents.using(key) as resident, resident.gate:
                    await settled(resident)  # the copy holds only what is durable
                    if resident.alive:
                        lease_s = self._followers.grant(key, follower, handle)
                        current = version == resident.last_seq
                        snapshot = None if current else resident.obj.snapshot_json()
                        return Reply(True, (resident.last_seq, snapshot, lease_s))
        finally:
            self._handoff.leave(file_key)

    def _not_here(self, key: str) -> WrongHost:
        return WrongHost(f"{key!r} is not served by this {self.kind.kind} host (moved)")

    async def _call_resident(
        self, resident: Resident, call: Call, is_command: bool
    ) -> Reply | None:
        """Runs the call through the gates; None if the object was reloaded meanwhile."""
        key = call.idempotency_key if is_command else None
        async with resident.gate:
            if not resident.alive:
                return None
            if key is not None:
                earlier = await self._idempotency.recall(
                    key, resident, fresh=call.fresh_key, log_file=self._file_of(call.key)
                )
                if earlier is not None:
                    return earlier
            ctx = self._contexts.make(resident, call.correlation_id, idempotency_key=key)
            reply = await self._run_method(resident, ctx, call)
            if not resident.alive:
                return reply
            final = reply.ok or isinstance(reply.value, TerminalError)  # a retry gets the same
            commit = self._commit(resident, ctx.finish(encode(reply) if key and final else None))
            if ctx.spawned is not None and reply.ok:
                ref = LocalRef(self.call, call.key, call.correlation_id)
                self._background.start_after(commit, call.key, ctx.spawned, ref)
            if key is not None and final and commit is not None:
                self._idempotency.begin(key, commit, reply, call.key)
        return await _once_durable(reply, commit)

    async def _wait_unless_handed_off(self, file_key: Any, call: Call) -> Reply:
        """The waiter's answer; or *moved* if its file starts being handed off meanwhile (the
        caller then waits again wherever the file is served next)."""
        if file_key not in self._files:
            return Reply(False, self._not_here(call.key))
        handed_off = self._handoff.watch(file_key)
        waiting = asyncio.ensure_future(self._wait_on(call))
        try:
            await asyncio.wait((waiting, handed_off), return_when=asyncio.FIRST_COMPLETED)
        finally:
            self._handoff.unwatch(file_key, handed_off)
        if waiting.done():
            return waiting.result()
        waiting.cancel()
        return Reply(False, self._not_here(call.key))

    async def _wait_on(self, call: Call) -> Reply:
        """A waiter runs beside the gate; its answer still waits for durable state."""
        async with self._residents.using(call.key) as resident:
            self_ref = LocalRef(self.call, call.key, call.correlation_id)
            ctx = self._contexts.make(resident, call.correlation_id, self_ref=self_ref)
            reply = await self._run_method(resident, ctx, call)
            return await _once_durable(reply, resident.last_commit)

    def _run_method(self, resident: Resident, ctx: CallContext, call: Call) -> Awaitable[Reply]:
        return self._run(resident, ctx, call.method, lambda: _invoke(resident, ctx, call))

    async def _run(
        self,
        resident: Resident,
        ctx: CallContext,
        what: str,
        work: Callable[[], Awaitable[Any]],
    ) -> Reply:
        """Runs a method or an alarm handler; a failure leaves nothing of it behind (and an
        object whose memory got ahead of its file is reloaded)."""
        try:
            return Reply(True, await work())
        except Exception as exc:
            if ctx.emitted:
                self._residents.invalidate(resident)
            ctx.discard()
            if not isinstance(exc, TerminalError):
                log.exception("%s.%s on %s failed", self.kind.kind, what, ctx.key)
            return Reply(False, exc)

    def _commit(self, resident: Resident, unit: WriteUnit) -> asyncio.Future[None] | None:
        """Hands the unit to its file's group commit; returns the object's latest pending
        commit (this one, or an earlier one when the unit writes nothing)."""
        if not unit.is_empty():
            self._submit(resident, resident.obj.key, unit)
        return resident.last_commit

    def _submit(self, resident: Resident, key: str, unit: WriteUnit) -> None:
        add_snapshot_if_due(resident, unit, self._config.snapshot_every)
        file_key = self._file_key(key)
        commit = self._files[file_key].submit(unit)
        resident.last_seq = unit.last_seq
        resident.last_commit = commit
        if self._followers is not None and (unit.events or unit.destroy):
            resident.last_commit = asyncio.ensure_future(self._replicate(commit, key, unit))
        if unit.destroy:
            resident.obj = self.kind(key)
            resident.last_seq = 0

        def after_commit(done: asyncio.Future[None]) -> None:
            if done.cancelled() or done.exception() is not None:
                self._residents.invalidate(resident)
                return
            self._open_files.committed(file_key, unit)

        commit.add_done_callback(after_commit)

    async def _replicate(self, commit: asyncio.Future[None], key: str, unit: WriteUnit) -> None:
        """Durable once committed and taken by every leased copy (or its lease ran out)."""
        await commit
        assert self._followers is not None
        await self._followers.push(key, unit.expected_seq + 1, unit.events, unit.destroy)

    # alarms

    async def _fire_alarm(self, alarm: AlarmRecord) -> None:
        file_key = self._file_key(alarm.stream)
        if not await self._handoff.enter(file_key):
            return  # the file went to another host, which fires its alarms now
        try:
            if file_key in self._files:
                await self._fire_alarm_here(alarm)
        finally:
            self._handoff.leave(file_key)

    async def _fire_alarm_here(self, alarm: AlarmRecord) -> None:
        async with self._residents.using(alarm.stream) as resident:
            async with resident.gate:
                await settled(resident)
                if not resident.alive or not await self._still_due(alarm):
                    return
                ctx = self._contexts.make(resident, None)
                ctx.cancel_alarm(alarm.name)
                handled = await self._run(
                    resident,
                    ctx,
                    f"on_alarm({alarm.name})",
                    lambda: resident.obj.on_alarm(ctx, alarm.name),
                )
                if handled.ok:
                    commit = self._commit(resident, ctx.finish(None))
                else:  # retried later with backoff, from the state the file holds
                    commit = self._commit(resident, retry_later(alarm, resident.last_seq))
            await _once_durable(handled, commit)
            self._metrics.alarm_fired(handled.ok)

    async def _still_due(self, alarm: AlarmRecord) -> bool:
        """The alarm may have been moved or cancelled since the scan that found it."""
        current = await self._file_of(alarm.stream).alarms_of(alarm.stream)
        return any(a.name == alarm.name and a.at <= time.time() for a in current)

    # listing, housekeeping, introspection

    async def events_by_correlation(self, correlation: str) -> list[StoredEvent]:
        return await events_by_correlation(self._files, correlation)

    async def list_objects(self, **filters: Any) -> list[ObjectRow]:
        await self._started.wait()
        return await list_objects(self._files, **filters)

    def passivate_idle(self, idle_seconds: float | None = None) -> int:
        return self._upkeep.passivate_idle(idle_seconds)

    def file_count(self) -> int:
        return len(self._files)

    def file_stats(self) -> dict[Any, tuple[int, int]]:
        """Per file served: its bytes on disk (WAL included) and the calls made on it since
        this host started."""
        return {
            file_key: (self._open_files.bytes_on_disk(file_key), self._calls[file_key])
            for file_key in self._files
        }

    def resident_count(self) -> int:
        return len(self._residents)

    def _file_of(self, key: str) -> LogFile:
        log_file = self._files.get(self._file_key(key))
        if log_file is None:
            raise self._not_here(key)
        return log_file


async def _invoke(resident: Resident, ctx: CallContext, call: Call) -> Any:
    return await getattr(resident.obj, call.method)(ctx, *call.args, **call.kwargs)


async def _once_durable(reply: Reply, commit: asyncio.Future[None] | None) -> Reply:
    """The reply, once the writes before it are durable (the output gate), or the storage
    error that kept them from being so."""
    if commit is not None:
        try:
            await commit
        except StorageError as exc:
            return Reply(False, exc)
    return reply
