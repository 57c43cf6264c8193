"""When to snapshot an object (ARCHITECTURE §4.5): every `snapshot_every` events, or later
once the state outweighs that many events, so activation stays short and a large state is
not re-serialised every few events."""

from durable.host.residency import Resident
from storage.records import WriteUnit

APPROX_EVENT_BYTES = 64


def snapshot_due(since_snapshot: int, snapshot_bytes: int, snapshot_every: int) -> bool:
    return since_snapshot >= max(snapshot_every, snapshot_bytes // APPROX_EVENT_BYTES)


def add_snapshot_if_due(resident: Resident, unit: WriteUnit, snapshot_every: int) -> None:
    """Adds the object's snapshot to `unit` (the state after it) when one is due."""
    if unit.destroy:
        resident.since_snapshot = resident.snapshot_bytes = 0
        return
    resident.since_snapshot += len(unit.events)
    if unit.events and snapshot_due(
        resident.since_snapshot, resident.snapshot_bytes, snapshot_every
    ):
        state = resident.obj.snapshot_json()
        unit.snapshot = state
        resident.since_snapshot, resident.snapshot_bytes = 0, len(state)
