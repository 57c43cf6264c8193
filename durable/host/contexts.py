"""The one way a call, a waiter or an alarm handler gets its context: the same settings,
clients, history and owner-table reads for all three."""

import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from durable.context import CallContext
from durable.host.local_ref import LocalRef
from durable.host.residency import Resident
from storage import LogFile
from storage.records import StoredEvent

if TYPE_CHECKING:
    from durable.client.objects import Objects


class ContextMaker:
    def __init__(self, objects: "Objects", file_of: Callable[[str], LogFile]) -> None:
        self._objects = objects
        self._file_of = file_of

    def make(
        self,
        resident: Resident,
        correlation: str | None,
        *,
        idempotency_key: str | None = None,
        self_ref: LocalRef | None = None,
    ) -> CallContext:
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

    async def _history(self, resident: Resident) -> list[StoredEvent]:
        await settled(resident)
        return await self._file_of(resident.obj.key).read_events(resident.obj.key)

    async def _read(
        self, resident: Resident, sql: str, params: tuple[Any, ...]
    ) -> list[tuple[Any, ...]]:
        await settled(resident)
        return await self._file_of(resident.obj.key).query(sql, params)


async def settled(resident: Resident) -> None:
    """Waits until the object's pending writes are committed or failed."""
    if resident.last_commit is not None:
        with contextlib.suppress(Exception):
            await resident.last_commit
