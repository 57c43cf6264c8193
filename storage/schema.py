"""Tables every log file has (ARCHITECTURE §4.2).

`events` is keyed by (stream, seq) so that a second writer of the same seq fails: optimistic
concurrency without a read. `objects` indexes the streams of the file for listing by key prefix,
owner and status. `idempotency` is indexed by stream so that loading an object also tells
whether any of its calls' results are stored: for most new objects none are, and the host
then answers their keys from memory.
"""

BASE_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    stream TEXT NOT NULL,
    seq INTEGER NOT NULL,
    type TEXT NOT NULL,
    data TEXT NOT NULL,
    at REAL NOT NULL,
    correlation_id TEXT,
    PRIMARY KEY (stream, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS events_by_correlation ON events (correlation_id)
    WHERE correlation_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS snapshots (
    stream TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    state TEXT NOT NULL,
    at REAL NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    topic TEXT NOT NULL,
    data TEXT NOT NULL,
    at REAL NOT NULL,
    correlation_id TEXT
);
CREATE TABLE IF NOT EXISTS idempotency (
    key TEXT PRIMARY KEY,
    stream TEXT,
    result BLOB NOT NULL,
    at REAL NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS idempotency_by_age ON idempotency (at);
CREATE INDEX IF NOT EXISTS idempotency_by_stream ON idempotency (stream);
CREATE TABLE IF NOT EXISTS alarms (
    stream TEXT NOT NULL,
    name TEXT NOT NULL,
    at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (stream, name)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS alarms_by_time ON alarms (at);
CREATE TABLE IF NOT EXISTS objects (
    stream TEXT PRIMARY KEY,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    owner TEXT,
    status TEXT
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS objects_by_owner ON objects (owner) WHERE owner IS NOT NULL;
CREATE INDEX IF NOT EXISTS objects_by_status ON objects (status) WHERE status IS NOT NULL;
"""
