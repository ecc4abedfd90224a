"""Report export CSVs become typed tables; lookups keep every field (known ones as columns)."""

from __future__ import annotations

from datetime import date, datetime, timezone

import orjson
import pyarrow as pa
import pytest
from transform_support import load_sample, missing_leaves

from gcexport.errors import ConfigError, DataError
from gcexport.transform import (
    TABLE_SCHEMAS,
    flatten_queues,
    flatten_users,
    flatten_wrapup_codes,
    parse_report_csv,
    report_table_name,
)

CSV = (
    '\ufeff"Queue Name","Media Type","Interval Start","Offer","Answer","Abandon","% Abandon",'
    '"Avg Handle","Total Handle","Service Level","Flag"\n'
    '"Billing","voice","2026-11-20 00:00","10","8","","20%","00:01:23.5","12345.5","0.8","true"\n'
    '"Sales, East","voice","2026-11-20T01:00:00Z","","","2","","01:00:00","1","","false"\n'
).encode()


def test_report_csv_columns_are_snake_case_and_typed() -> None:
    table = parse_report_csv(
        CSV, view_type="QUEUE_PERFORMANCE_SUMMARY_VIEW", time_zone="Europe/Paris"
    )
    assert table.schema.names == [
        "queue_name", "media_type", "interval_start", "offer", "answer", "abandon", "pct_abandon",
        "avg_handle", "total_handle", "service_level", "flag", "partition_date", "extra",
    ]  # fmt: skip
    types = {f.name: f.type for f in table.schema}
    assert types["interval_start"] == pa.timestamp("ms", tz="UTC")
    assert types["offer"] == pa.int64() and types["total_handle"] == pa.float64()
    assert types["avg_handle"] == pa.int64() and types["flag"] == pa.bool_()
    rows = table.to_pylist()
    assert rows[0]["interval_start"] == datetime(
        2026, 11, 19, 23, tzinfo=timezone.utc
    )  # Paris midnight
    assert rows[0]["partition_date"] == date(2026, 11, 19)
    assert rows[0]["avg_handle"] == 83_500 and rows[1]["avg_handle"] == 3_600_000
    assert rows[0]["abandon"] is None and rows[1]["offer"] is None  # blanks are nulls
    assert rows[0]["pct_abandon"] == 20.0
    assert rows[1]["queue_name"] == "Sales, East"
    assert (
        report_table_name("QUEUE_PERFORMANCE_SUMMARY_VIEW")
        == "report_queue_performance_summary_view"
    )


def test_report_column_map_renames_by_header_or_snake_name() -> None:
    table = parse_report_csv(
        CSV, view_type="X", column_map={"Avg Handle": "avg_handle_ms", "offer": "offered"}
    )
    assert "avg_handle_ms" in table.schema.names and "offered" in table.schema.names


def test_semicolon_exports_and_empty_exports() -> None:
    table = parse_report_csv(b"A;B\n1;x\n", view_type="X")
    assert table.to_pydict()["a"] == [1]
    with pytest.raises(DataError, match="no header"):
        parse_report_csv(b"", view_type="X")
    with pytest.raises(ConfigError, match="IANA"):
        parse_report_csv(CSV, view_type="X", time_zone="Mars/Olympus")


@pytest.mark.parametrize(
    "name", ["queues-listing.page1.splunk-mock.json", "queues-listing.page7-last.splunk-mock.json"]
)
def test_queues_keep_every_leaf(name: str) -> None:
    entities = load_sample(name)["entities"]
    table = flatten_queues(entities, as_of=date(2026, 11, 23))
    assert table.schema.equals(TABLE_SCHEMAS["queues"])
    assert table.num_rows == len(entities)
    assert missing_leaves(entities, {"queues": table}) == []
    first = table.to_pylist()[0]
    assert (
        first["call_service_level_duration_ms"]
        == entities[0]["mediaSettings"]["call"]["serviceLevel"]["durationMs"]
    )
    assert first["division_name"] == entities[0]["division"]["name"]
    assert "serviceLevel" not in orjson.loads(first["extra"])["mediaSettings"].get("call", {})


def test_users_and_wrapup_codes() -> None:
    users = load_sample("users-listing.page1.splunk-mock.json")["entities"]
    table = flatten_users(users)
    assert table.schema.equals(TABLE_SCHEMAS["users"])
    assert missing_leaves(users, {"users": table}) == []
    assert table.column("email")[0].as_py() == users[0]["email"]
    codes = [
        {
            "id": "w1",
            "name": "Sale",
            "division": {"id": "d", "name": "Home"},
            "dateCreated": "bad-date",
        }
    ]
    wrapups = flatten_wrapup_codes(codes).to_pylist()
    assert wrapups[0]["division_name"] == "Home" and wrapups[0]["date_created"] is None
    assert orjson.loads(wrapups[0]["extra"]) == {"dateCreated": "bad-date"}
