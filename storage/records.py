"""What goes into a log file and what comes out of it."""

from dataclasses import dataclass, field
from typing import Any

JsonDict = dict[str, Any]


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event about to be appended; its seq is assigned by the write unit."""

    type: str
    data: JsonDict


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """An event as read back from a stream."""

    stream: str
    seq: int
    type: str
    data: JsonDict
    at: float
    correlation_id: str | None = None


@dataclass(frozen=True, slots=True)
class RowWrite:
    """A write to an owner's own table: the columns of `row` are set on the row under `key`
    (the others keep their values), or, with `row` None, the row goes. `replace` clears the
    columns `row` does not name. SQLite checks NOT NULL before it sees the row exists, so a
    write naming only some columns needs the others nullable.

    Rows are projections of the owner's events, so writes to one key in a batch merge into
    one; that lets a batch write each table with one statement per shape.
    """

    table: str
    key: tuple[tuple[str, Any], ...]
    row: JsonDict | None
    replace: bool = False


@dataclass(frozen=True, slots=True)
class AlarmRecord:
    stream: str
    name: str
    at: float
    attempts: int


@dataclass(slots=True)
class WriteUnit:
    """Everything one call writes to one stream; committed atomically or not at all.

    `expected_seq` is the seq of the last event the writer has seen: the unit's events take
    seq expected_seq + 1, + 2, ... and fail with a conflict if another writer got there first.
    `owner` and `status` update the listing index when not None. `destroy` deletes the stream
    (events, snapshot, alarms, listing) before anything later in the same batch is written.
    """

    stream: str
    expected_seq: int
    events: list[NewEvent] = field(default_factory=list)
    snapshot: JsonDict | str | None = None
    outbox: list[tuple[str, JsonDict]] = field(default_factory=list)
    idempotency: tuple[str, bytes] | None = None
    alarms_set: dict[str, tuple[float, int]] = field(default_factory=dict)
    alarms_cleared: set[str] = field(default_factory=set)
    rows: list[RowWrite] = field(default_factory=list)
    correlation_id: str | None = None
    owner: str | None = None
    status: str | None = None
    touch: bool = True
    destroy: bool = False

    @property
    def last_seq(self) -> int:
        return self.expected_seq + len(self.events)

    def is_empty(self) -> bool:
        return not (
            self.destroy
            or self.events
            or self.snapshot is not None
            or self.outbox
            or self.idempotency
            or self.alarms_set
            or self.alarms_cleared
            or self.rows
        )
