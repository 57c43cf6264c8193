"""What a method of an object can do besides reading its own state: everything it writes
goes through here, into one write unit committed atomically after the method returns."""

import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from durable.app import topic_is_type
from durable.ids import unique_id
from durable.kind import DurableObject, Event
from storage.records import JsonDict, NewEvent, RowWrite, StoredEvent, WriteUnit

if TYPE_CHECKING:
    from durable.client.objects import Objects
    from durable.config import RuntimeConfig

T = TypeVar("T")
History = Callable[[], Awaitable[list[StoredEvent]]]
Reader = Callable[[str, tuple[Any, ...]], Awaitable[list[tuple[Any, ...]]]]
Background = Callable[[Any], Awaitable[None]]


class CallContext:
    """The call's view of the world: emit events, publish, set alarms, write owner tables."""

    def __init__(
        self,
        obj: DurableObject,
        expected_seq: int,
        *,
        idempotency_key: str | None = None,
        correlation_id: str | None = None,
        history: History | None = None,
        objects: "Objects | None" = None,
        reader: Reader | None = None,
        self_ref: Any = None,
    ) -> None:
        self._obj = obj
        self._history = history
        self._objects = objects
        self._reader = reader
        self.self_ref = self_ref
        """For waiters: a LocalRef to call this object's own methods through its gate."""
        self.spawned: Background | None = None
        self.idempotency_key = idempotency_key
        self.correlation_id = correlation_id
        self._unit = WriteUnit(
            stream=obj.key, expected_seq=expected_seq, correlation_id=correlation_id
        )

    @property
    def objects(self) -> "Objects":
        """Every kind's client of the application: `await ctx.objects(Kind).get(key).call(...)`."""
        if self._objects is None:
            raise RuntimeError("this context belongs to no host: it cannot call other objects")
        return self._objects

    def adapter(self, port: Callable[..., T]) -> T:
        """The application's adapter for `port` (a payment provider, a carrier, a mailer)."""
        return self.objects.adapter(port)

    @property
    def config(self) -> "RuntimeConfig":
        return self.objects.config

    @property
    def key(self) -> str:
        return self._obj.key

    @staticmethod
    def now() -> float:
        return time.time()

    @property
    def emitted(self) -> bool:
        return bool(self._unit.events)

    def emit(self, type: str, data: JsonDict) -> None:
        """Records an event and folds it into the object's state at once."""
        self._obj.apply(Event(type, data))
        self._unit.events.append(NewEvent(type, data))

    def emit_all(self, events: list[tuple[str, JsonDict]]) -> None:
        for event_type, data in events:
            self.emit(event_type, data)

    def destroy(self) -> None:
        """Deletes the object: its log, snapshot, alarms and listing. The next call starts it
        afresh. Whatever this call emitted before is dropped."""
        unit = self._unit
        unit.events.clear()
        unit.alarms_set.clear()
        unit.destroy = True

    def spawn(self, work: Background) -> None:
        """Runs `work(ref)` in the background once this call's writes are durable, unless
        work spawned earlier for this object is still running. `ref` (a LocalRef) calls the
        object's methods through its gates."""
        self.spawned = work

    async def read(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Reads the owner's own tables as committed (after this object's pending writes)."""
        if self._reader is None:
            return []
        return await self._reader(sql, params)

    async def history(self) -> list[StoredEvent]:
        """The object's committed events, oldest first (after its pending writes are durable)."""
        if self._history is None:
            return []
        return await self._history()

    def publish(self, event_type: str, payload: JsonDict) -> None:
        """Queues an event for the rest of the system, in the same transaction (outbox); the
        relay carries it to the event bus once the transaction is durable.

        Raises:
            Whatever the application's payload check raises for a payload it refuses.
        """
        check = topic_is_type if self._objects is None else self._objects.app.check_payload
        topic, checked = check(event_type, payload)
        envelope = {
            "event_id": unique_id(),
            "type": event_type,
            "topic": topic,
            "at": time.time(),
            "source": f"{self._obj.kind}:{self._obj.key}",
            "correlation_id": self.correlation_id,
            "causation_id": self.idempotency_key,
            "payload": checked,
        }
        self._unit.outbox.append((topic, envelope))

    def set_alarm(self, name: str, at: float) -> None:
        """Wakes the object at `at` (epoch seconds) via `on_alarm(name)`; replaces an older one."""
        self._unit.alarms_cleared.discard(name)
        self._unit.alarms_set[name] = (at, 0)

    def cancel_alarm(self, name: str) -> None:
        self._unit.alarms_set.pop(name, None)
        self._unit.alarms_cleared.add(name)

    def put_row(self, table: str, key: dict[str, Any], row: JsonDict) -> None:
        """Writes a row of the owner's own tables (a projection of its events)."""
        self._unit.rows.append(RowWrite(table, tuple(key.items()), {**key, **row}))

    def delete_row(self, table: str, key: dict[str, Any]) -> None:
        self._unit.rows.append(RowWrite(table, tuple(key.items()), None))

    def discard(self) -> None:
        """Drops everything the call meant to write: a call that fails writes nothing."""
        unit = self._unit
        self._unit = WriteUnit(
            stream=unit.stream, expected_seq=unit.expected_seq, correlation_id=unit.correlation_id
        )
        self.spawned = None

    def finish(self, result: bytes | None) -> WriteUnit:
        """The unit to commit: adds the result for idempotency and the listing attributes."""
        unit = self._unit
        if result is not None and self.idempotency_key is not None:
            unit.idempotency = (self.idempotency_key, result)
        if unit.destroy:
            unit.touch = False
        elif unit.events:
            unit.owner, unit.status = self._obj.index()
        else:
            unit.touch = False
        return unit
