"""How a batch of write units becomes a few statements (pure, no database)."""

from storage.batch_sql import (
    DELETE_ALARM,
    INSERT_EVENT,
    UPSERT_ALARM,
    UPSERT_OBJECT,
    UPSERT_SNAPSHOT,
    batch_statements,
)
from storage.records import NewEvent, RowWrite, WriteUnit


def by_sql(units: list[WriteUnit]) -> dict[str, list[tuple]]:
    return dict(batch_statements(units, now=100.0))


def test_events_of_all_units_go_into_one_statement_with_consecutive_seqs() -> None:
    units = [
        WriteUnit("a", 3, events=[NewEvent("X", {}), NewEvent("Y", {"n": 1})]),
        WriteUnit("b", 0, events=[NewEvent("Z", {})]),
    ]
    rows = by_sql(units)[INSERT_EVENT]
    assert [(r[0], r[1], r[2]) for r in rows] == [("a", 4, "X"), ("a", 5, "Y"), ("b", 1, "Z")]
    assert rows[1][3] == '{"n":1}'


def test_the_last_alarm_write_per_name_wins_in_unit_order() -> None:
    units = [
        WriteUnit("a", 0, alarms_set={"ttl": (5.0, 0)}),
        WriteUnit("a", 0, alarms_cleared={"ttl"}),
        WriteUnit("a", 0, alarms_set={"other": (9.0, 0)}),
    ]
    statements = by_sql(units)
    assert statements[DELETE_ALARM] == [("a", "ttl")]
    assert statements[UPSERT_ALARM] == [("a", "other", 9.0, 0)]


def test_only_the_latest_snapshot_of_a_stream_is_written() -> None:
    units = [
        WriteUnit("a", 99, events=[NewEvent("X", {})], snapshot={"v": 1}),
        WriteUnit("a", 100, events=[NewEvent("X", {})], snapshot={"v": 2}),
    ]
    assert by_sql(units)[UPSERT_SNAPSHOT] == [("a", 101, '{"v":2}', 100.0)]


def test_owner_rows_merge_per_key_and_deletes_are_their_own_statement() -> None:
    units = [
        WriteUnit(
            "w",
            0,
            rows=[
                RowWrite("stock", (("sku", "A"),), {"sku": "A", "n": 1}),
                RowWrite("stock", (("sku", "A"),), {"sku": "A", "n": 2}),
                RowWrite("stock", (("sku", "B"),), None),
            ],
        )
    ]
    statements = by_sql(units)
    upsert = (
        "INSERT INTO stock (sku, n) VALUES (?, ?) ON CONFLICT (sku) DO UPDATE SET n = excluded.n"
    )
    assert statements[upsert] == [("A", 2)]
    assert statements["DELETE FROM stock WHERE sku = ?"] == [("B",)]


def test_writes_to_one_row_merge_column_by_column_and_a_delete_clears_it() -> None:
    rows = [
        RowWrite("view", (("id", "o1"),), {"id": "o1", "placed": 1.0, "status": "PENDING"}),
        RowWrite("view", (("id", "o1"),), {"id": "o1", "status": "PAID"}),
        RowWrite("view", (("id", "o2"),), None),
        RowWrite("view", (("id", "o2"),), {"id": "o2", "status": "NEW"}),
    ]
    statements = by_sql([WriteUnit("w", 0, rows=rows)])
    merged = (
        "INSERT INTO view (id, placed, status) VALUES (?, ?, ?)"
        " ON CONFLICT (id) DO UPDATE SET placed = excluded.placed, status = excluded.status"
    )
    assert statements[merged] == [("o1", 1.0, "PAID")]
    assert statements["INSERT OR REPLACE INTO view (id, status) VALUES (?, ?)"] == [("o2", "NEW")]


def test_a_unit_that_only_records_a_result_does_not_touch_the_listing() -> None:
    unit = WriteUnit("a", 0, idempotency=("k", b"r"), touch=False)
    assert UPSERT_OBJECT not in by_sql([unit])


def test_empty_statements_are_left_out() -> None:
    assert batch_statements([WriteUnit("a", 0, touch=False)], now=1.0) == []
