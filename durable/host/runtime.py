"""Runs many objects of one kind in one process: the heart of a host, free of Ray.

Each call goes through the object's input gate (one call at a time per object, §4.4), writes
one unit to the object's log file, and replies only when that unit is durable (output gate).
The next call on the object need not wait for the fsync: group commit shares it.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from durable.client.calls import Call, Reply
from durable.context import CallContext
from durable.errors import TerminalError, UnknownMethod, WrongHost
from durable.host.alarms import AlarmScheduler, retry_later
from durable.host.background import BackgroundWork
from durable.host.idempotency import IdempotencyCache, encode
from durable.host.local_ref import LocalRef
from durable.host.relay import OutboxRelay
from durable.host.residency import Resident, ResidentSet
from durable.host.snapshots import add_snapshot_if_due
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
        self._paths = files
        self._file_key = file_key
        self._objects = objects
        self._config = objects.config
        self._metrics = metrics
        self._methods = kind.callable_methods()
        self._files: dict[Any, LogFile] = {}
        self._alarms: dict[Any, AlarmScheduler] = {}
        self._residents = ResidentSet(kind, self._file_of, metrics.activated)
        self._idempotency = IdempotencyCache()
        self._started = asyncio.Event()
        self._housekeeping: asyncio.Task[None] | None = None
        self._relay: OutboxRelay | None = None
        self._background = BackgroundWork(kind.kind)

    async def start(self) -> None:
        """Opens every file and re-arms its alarms; calls wait until this is done."""
        for file_key, path in self._paths.items():
            log_file = await LogFile.open(
                path,
                synchronous=self._config.synchronous,
                owner_schema=self.kind.owner_schema,
                on_batch=self._metrics.batch,
            )
            self._files[file_key] = log_file
            self._alarms[file_key] = AlarmScheduler(log_file, self._fire_alarm)
        self._housekeeping = asyncio.get_running_loop().create_task(self._keep_house())
        self._relay = OutboxRelay(self._files, self._paths, self._objects)
        self._started.set()
        await self._resume_objects()

    async def _resume_objects(self) -> None:
        """Calls `resume` on every object whose status asks for it (work in flight at a crash)."""
        keys: list[str] = []
        for status in self.kind.resume_statuses:
            for log_file in self._files.values():
                after = ""
                while page := await log_file.list_objects(status=status, after=after, limit=500):
                    keys.extend(row.stream for row in page)
                    after = page[-1].stream
        replies = await asyncio.gather(
            *(self.call(Call(k, "resume", (), {}, None, False, None)) for k in keys)
        )
        for key, reply in zip(keys, replies, strict=True):
            if not reply.ok:
                log.error("resuming %s %s failed: %r", self.kind.kind, key, reply.value)

    async def stop(self) -> None:
        if self._housekeeping is not None:
            self._housekeeping.cancel()
        if self._relay is not None:
            self._relay.stop()
        for scheduler in self._alarms.values():
            await scheduler.stop()
        for log_file in self._files.values():
            await log_file.close()

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
        try:
            self._file_of(call.key)
        except WrongHost as exc:
            return Reply(False, exc)
        if marker == WAITER:
            return await self._wait_on(call)
        while True:
            resident = await self._residents.acquire(call.key)
            try:
                reply = await self._call_resident(resident, call, marker == COMMAND)
            finally:
                self._residents.release(resident)
            if reply is not None:
                return reply

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
                    key, fresh=call.fresh_key, log_file=self._file_of(call.key)
                )
                if earlier is not None:
                    return earlier
            ctx = self._context(resident, call.correlation_id, idempotency_key=key)
            reply = await self._run_method(resident, ctx, call)
            if not resident.alive:
                return reply
            final = reply.ok or isinstance(reply.value, TerminalError)  # a retry gets the same
            unit = ctx.finish(encode(reply) if key is not None and final else None)
            self._submit(resident, call.key, unit)
            commit = resident.last_commit
            if ctx.spawned is not None and reply.ok:
                ref = LocalRef(self.call, call.key, call.correlation_id)
                self._background.start_after(commit, call.key, ctx.spawned, ref)
            if key is not None and final and commit is not None:
                self._idempotency.begin(key, commit, reply)
        if commit is not None:
            try:
                await commit
            except StorageError as exc:
                return Reply(False, exc)
        return reply

    async def _wait_on(self, call: Call) -> Reply:
        """A waiter runs beside the gate; its answer still waits for durable state."""
        resident = await self._residents.acquire(call.key)
        try:
            self_ref = LocalRef(self.call, call.key, call.correlation_id)
            ctx = self._context(resident, call.correlation_id, self_ref=self_ref)
            reply = await self._run_method(resident, ctx, call)
            if resident.last_commit is not None:
                await resident.last_commit
            return reply
        finally:
            self._residents.release(resident)

    async def _run_method(self, resident: Resident, ctx: CallContext, call: Call) -> Reply:
        method = getattr(resident.obj, call.method)
        try:
            return Reply(True, await method(ctx, *call.args, **call.kwargs))
        except Exception as exc:
            if ctx.emitted:  # memory is ahead of any valid state: reload from the file
                self._residents.invalidate(resident)
            ctx.discard()
            if not isinstance(exc, TerminalError):
                log.exception("%s.%s on %s failed", self.kind.kind, call.method, call.key)
            return Reply(False, exc)

    def _context(
        self,
        resident: Resident,
        correlation: str | None,
        *,
        idempotency_key: str | None = None,
        self_ref: LocalRef | None = None,
    ) -> CallContext:
        """The one way a call, a waiter or an alarm handler gets its context: the same
        settings, history and owner-table reads for all three."""
        return CallContext(
            resident.obj,
            resident.last_seq,
            idempotency_key=idempotency_key,
            correlation_id=correlation,
            history=lambda: self._history(resident),
            objects=self._objects,
            reader=lambda sql, params: self._read(resident, sql, params),
            self_ref=self_ref,
        )

    def _submit(self, resident: Resident, key: str, unit: WriteUnit) -> None:
        if unit.is_empty():
            return
        add_snapshot_if_due(resident, unit, self._config.snapshot_every)
        file_key = self._file_key(key)
        commit = self._files[file_key].submit(unit)
        resident.last_seq = unit.last_seq
        resident.last_commit = commit
        if unit.destroy:
            resident.obj = self.kind(key)
            resident.last_seq = 0

        def after_commit(done: asyncio.Future[None]) -> None:
            if done.cancelled() or done.exception() is not None:
                self._residents.invalidate(resident)
                return
            if unit.alarms_set:
                self._alarms[file_key].notify(min(at for at, _ in unit.alarms_set.values()))
            if unit.outbox and self._relay is not None:
                self._relay.wake(file_key)

        commit.add_done_callback(after_commit)

    async def _history(self, resident: Resident) -> list[StoredEvent]:
        await self._settled(resident)
        return await self._file_of(resident.obj.key).read_events(resident.obj.key)

    async def _read(
        self, resident: Resident, sql: str, params: tuple[Any, ...]
    ) -> list[tuple[Any, ...]]:
        await self._settled(resident)
        return await self._file_of(resident.obj.key).query(sql, params)

    @staticmethod
    async def _settled(resident: Resident) -> None:
        if resident.last_commit is not None:
            with contextlib.suppress(Exception):
                await resident.last_commit

    # alarms

    async def _fire_alarm(self, alarm: AlarmRecord) -> None:
        resident = await self._residents.acquire(alarm.stream)
        try:
            async with resident.gate:
                if resident.last_commit is not None:
                    with contextlib.suppress(Exception):
                        await resident.last_commit
                if not resident.alive or not await self._still_due(alarm):
                    return
                ctx = self._context(resident, None)
                ctx.cancel_alarm(alarm.name)
                try:
                    await resident.obj.on_alarm(ctx, alarm.name)
                    unit = ctx.finish(None)
                    ok = True
                except Exception:
                    log.exception("alarm %s of %s failed", alarm.name, alarm.stream)
                    if ctx.emitted:
                        self._residents.invalidate(resident)
                    unit = retry_later(alarm, resident.last_seq)
                    ok = False
                self._submit(resident, alarm.stream, unit)
                commit = resident.last_commit
            if commit is not None:
                await commit
            self._metrics.alarm_fired(ok)
        finally:
            self._residents.release(resident)

    async def _still_due(self, alarm: AlarmRecord) -> bool:
        """The alarm may have been moved or cancelled since the scan that found it."""
        current = await self._file_of(alarm.stream).alarms_of(alarm.stream)
        return any(a.name == alarm.name and a.at <= time.time() for a in current)

    # listing, housekeeping, introspection

    async def events_by_correlation(self, correlation_id: str) -> list[StoredEvent]:
        """Every event this host's files hold under `correlation_id`."""
        found: list[StoredEvent] = []
        for log_file in self._files.values():
            found += await log_file.events_by_correlation(correlation_id)
        return found

    async def list_objects(self, **filters: Any) -> list[ObjectRow]:
        await self._started.wait()
        rows: list[ObjectRow] = []
        for log_file in self._files.values():
            rows.extend(await log_file.list_objects(**filters))
        rows.sort(key=lambda row: row.stream)
        return rows[: filters.get("limit", 100)]

    def passivate_idle(self, idle_seconds: float | None = None) -> int:
        seconds = self._config.idle_seconds if idle_seconds is None else idle_seconds
        evicted = self._residents.passivate_idle(seconds)
        if evicted:
            self._metrics.passivated(evicted)
        self._metrics.resident(len(self._residents))
        return evicted

    def resident_count(self) -> int:
        return len(self._residents)

    async def _keep_house(self) -> None:
        interval = min(max(self._config.idle_seconds / 2, 0.5), 10.0)
        last_prune = 0.0
        while True:
            await asyncio.sleep(interval)
            self.passivate_idle()
            if time.monotonic() - last_prune > 3600:
                last_prune = time.monotonic()
                for log_file in self._files.values():
                    await log_file.prune_idempotency(self._config.idempotency_days * 86400)

    def _file_of(self, key: str) -> LogFile:
        log_file = self._files.get(self._file_key(key))
        if log_file is None:
            raise WrongHost(f"{key!r} does not belong to this {self.kind.kind} host")
        return log_file
