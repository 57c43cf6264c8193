"""Turns write units into a few `executemany` statements.

A batch is written with one statement per table, not one per call: that is what makes group
commit cheap. Writes that are last-one-wins (snapshots, alarms, index rows, owner tables) are
merged in unit order first, so their order inside the statement no longer matters.
"""

import json
from collections.abc import Iterable, Sequence
from typing import Any

from storage.records import RowWrite, WriteUnit

Params = tuple[Any, ...]
Statement = tuple[str, list[Params]]

INSERT_EVENT = (
    "INSERT INTO events (stream, seq, type, data, at, correlation_id) VALUES (?, ?, ?, ?, ?, ?)"
)
UPSERT_SNAPSHOT = "INSERT OR REPLACE INTO snapshots (stream, seq, state, at) VALUES (?, ?, ?, ?)"
INSERT_OUTBOX = "INSERT INTO outbox (topic, data, at, correlation_id) VALUES (?, ?, ?, ?)"
INSERT_IDEMPOTENCY = "INSERT INTO idempotency (key, stream, result, at) VALUES (?, ?, ?, ?)"
UPSERT_ALARM = (
    "INSERT INTO alarms (stream, name, at, attempts) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (stream, name) DO UPDATE SET at = excluded.at, attempts = excluded.attempts"
)
DELETE_ALARM = "DELETE FROM alarms WHERE stream = ? AND name = ?"
DESTROY_STREAM = [
    f"DELETE FROM {table} WHERE stream = ?"
    for table in ("events", "snapshots", "alarms", "objects")
]
UPSERT_OBJECT = (
    "INSERT INTO objects (stream, created_at, updated_at, owner, status) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT (stream) DO UPDATE SET updated_at = excluded.updated_at, "
    "owner = coalesce(excluded.owner, owner), status = coalesce(excluded.status, status)"
)


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), default=str)


def batch_statements(units: Sequence[WriteUnit], now: float) -> list[Statement]:
    """All writes of `units`, in the order a transaction must run them."""
    events: list[Params] = []
    outbox: list[Params] = []
    idempotency: list[Params] = []
    snapshots: dict[str, Params] = {}
    alarms: dict[tuple[str, str], tuple[float, int] | None] = {}
    objects: dict[str, list[Any]] = {}
    rows: dict[tuple[str, tuple[tuple[str, Any], ...]], RowWrite] = {}
    destroyed = {unit.stream for unit in units if unit.destroy}
    for unit in units:
        if unit.destroy:
            _drop_stream(unit.stream, snapshots, alarms, objects, events)
        events.extend(_event_rows(unit, now))
        outbox.extend((topic, dumps(data), now, unit.correlation_id) for topic, data in unit.outbox)
        if unit.idempotency is not None:
            key, result = unit.idempotency
            idempotency.append((key, unit.stream, result, now))
        if unit.snapshot is not None:
            state = unit.snapshot if isinstance(unit.snapshot, str) else dumps(unit.snapshot)
            snapshots[unit.stream] = (unit.stream, unit.last_seq, state, now)
        for name in unit.alarms_cleared:
            alarms[(unit.stream, name)] = None
        for name, when in unit.alarms_set.items():
            alarms[(unit.stream, name)] = when
        if unit.touch:
            _merge_object_row(objects, unit, now)
        for write in unit.rows:
            _merge_row(rows, write)
    gone = [(stream,) for stream in destroyed]
    statements: list[Statement] = [
        *((sql, gone) for sql in DESTROY_STREAM),
        (INSERT_EVENT, events),
        (UPSERT_SNAPSHOT, list(snapshots.values())),
        (INSERT_OUTBOX, outbox),
        (INSERT_IDEMPOTENCY, idempotency),
        (UPSERT_ALARM, [(s, n, *when) for (s, n), when in alarms.items() if when is not None]),
        (DELETE_ALARM, [(s, n) for (s, n), when in alarms.items() if when is None]),
        (UPSERT_OBJECT, [tuple(row) for row in objects.values()]),
        *_row_statements(rows.values()),
    ]
    return [(sql, params) for sql, params in statements if params]


def _drop_stream(
    stream: str,
    snapshots: dict[str, Params],
    alarms: dict[tuple[str, str], Any],
    objects: dict[str, list[Any]],
    events: list[Params],
) -> None:
    """Writes to a stream that a later unit of the batch destroys are not written at all."""
    snapshots.pop(stream, None)
    objects.pop(stream, None)
    for key in [key for key in alarms if key[0] == stream]:
        del alarms[key]
    events[:] = [row for row in events if row[0] != stream]


def _event_rows(unit: WriteUnit, now: float) -> Iterable[Params]:
    for offset, event in enumerate(unit.events, start=1):
        yield (
            unit.stream,
            unit.expected_seq + offset,
            event.type,
            dumps(event.data),
            now,
            unit.correlation_id,
        )


def _merge_object_row(objects: dict[str, list[Any]], unit: WriteUnit, now: float) -> None:
    row = objects.setdefault(unit.stream, [unit.stream, now, now, None, None])
    if unit.owner is not None:
        row[3] = unit.owner
    if unit.status is not None:
        row[4] = unit.status


def _merge_row(rows: dict[tuple[str, Any], RowWrite], write: RowWrite) -> None:
    """Later writes to a row win column by column; a delete then a write is a fresh row
    (its other columns cleared), as if both had run in turn."""
    earlier = rows.get((write.table, write.key))
    if earlier is not None and write.row is not None:
        if earlier.row is not None:
            write = RowWrite(write.table, write.key, {**earlier.row, **write.row})
        else:
            write = RowWrite(write.table, write.key, write.row, replace=True)
    rows[(write.table, write.key)] = write


def _row_statements(writes: Iterable[RowWrite]) -> list[Statement]:
    """Owner-table writes grouped by table and shape: upserts and deletes. An upsert sets
    the columns it names and leaves the others of an existing row as they were."""
    grouped: dict[str, list[Params]] = {}
    for write in writes:
        if write.row is None:
            columns = [name for name, _ in write.key]
            sql = f"DELETE FROM {write.table} WHERE " + " AND ".join(f"{c} = ?" for c in columns)
            params: Params = tuple(value for _, value in write.key)
        else:
            columns = list(write.row)
            keys = [name for name, _ in write.key]
            marks = ", ".join("?" for _ in columns)
            updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in keys)
            action = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
            sql = (
                f"INSERT OR REPLACE INTO {write.table} ({', '.join(columns)}) VALUES ({marks})"
                if write.replace
                else f"INSERT INTO {write.table} ({', '.join(columns)}) VALUES ({marks})"
                f" ON CONFLICT ({', '.join(keys)}) {action}"
            )
            params = tuple(write.row[c] for c in columns)
        grouped.setdefault(sql, []).append(params)
    return list(grouped.items())
