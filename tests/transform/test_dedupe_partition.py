"""Re-fetched conversations resolve to the newest version; tables split by UTC date."""

from __future__ import annotations

import copy
from datetime import date, datetime, timezone
from typing import Any

import pyarrow as pa
import pytest

from gcexport.errors import DataError
from gcexport.transform import (
    PARTITION_COLUMNS,
    TABLE_SCHEMAS,
    dedupe_conversations,
    flatten_conversations,
    split_by_date,
)


def _merge(*results: Any) -> dict[str, pa.Table]:
    return {name: pa.concat_tables([r.tables[name] for r in results]) for name in results[0].tables}


def _live(conversation: dict[str, Any]) -> dict[str, Any]:
    """The same conversation seen earlier: no end yet, and its last segment still open."""
    live = copy.deepcopy(conversation)
    live.pop("conversationEnd", None)
    last = live["participants"][-1]["sessions"][-1]
    last["segments"][-1].pop("segmentEnd", None)
    last["metrics"] = last.get("metrics", [])[:1]
    return live


def test_the_ended_version_beats_the_live_one_whatever_the_order(job_page: dict[str, Any]) -> None:
    ended = job_page["conversations"][:3]
    live = [_live(c) for c in ended[:2]]
    for order in ((live, ended), (ended, live)):
        merged = _merge(
            *(flatten_conversations(batch, source=str(i)) for i, batch in enumerate(order))
        )
        latest = dedupe_conversations(merged)
        once = flatten_conversations(ended, source="x").tables
        for name, table in latest.items():
            assert table.num_rows == once[name].num_rows, name
        assert latest["conversations"].column("conversation_end").null_count == 0
        assert sorted(latest["conversations"].column("conversation_id").to_pylist()) == sorted(
            c["conversationId"] for c in ended
        )


def test_the_later_end_wins_and_children_follow_it(job_page: dict[str, Any]) -> None:
    first = job_page["conversations"][0]
    later = copy.deepcopy(first)
    later["conversationEnd"] = "2030-01-01T00:00:00.000Z"
    later["participants"] = later["participants"][:1]
    merged = _merge(
        flatten_conversations([later], source="b"), flatten_conversations([first], source="a")
    )
    latest = dedupe_conversations(merged)
    assert latest["conversations"].column("source").to_pylist() == ["b"]
    assert latest["participants"].num_rows == 1
    assert latest["conversations"].column("conversation_end")[0].as_py() == datetime(
        2030, 1, 1, tzinfo=timezone.utc
    )


def test_identical_refetches_collapse_to_one_copy(job_page: dict[str, Any]) -> None:
    batch = job_page["conversations"]
    merged = _merge(
        flatten_conversations(batch, source="a"), flatten_conversations(batch, source="b")
    )
    latest = dedupe_conversations(merged)
    assert latest["segments"].num_rows == merged["segments"].num_rows // 2
    assert latest["conversations"].column("source").to_pylist() == ["b"] * len(batch)


def test_split_by_date_groups_by_utc_day_and_sorts(job_page: dict[str, Any]) -> None:
    table = flatten_conversations(job_page["conversations"], source="a").tables["segments"]
    parts = split_by_date(table, column=PARTITION_COLUMNS["segments"])
    assert sum(p.num_rows for p in parts.values()) == table.num_rows
    for day, part in parts.items():
        starts = part.column("conversation_start").to_pylist()
        assert all(s.astimezone(timezone.utc).date() == day for s in starts)
        assert starts == sorted(starts)
        assert set(part.column("partition_date").to_pylist()) == {day}


def test_split_by_date_uses_utc_not_local_time() -> None:
    stamps = [
        datetime(2026, 11, 20, 23, 30, tzinfo=timezone.utc),
        datetime(2026, 11, 21, 0, 30, tzinfo=timezone.utc),
    ]
    table = pa.table({"interval_start": pa.array(stamps, pa.timestamp("ms", tz="UTC"))})
    parts = split_by_date(table, column="interval_start")
    assert list(parts) == [date(2026, 11, 20), date(2026, 11, 21)]
    assert parts[date(2026, 11, 21)].column("partition_date").to_pylist() == [date(2026, 11, 21)]


def test_split_by_date_refuses_rows_without_a_date() -> None:
    table = pa.table({"t": pa.array([None], pa.timestamp("ms", tz="UTC"))})
    with pytest.raises(DataError, match="1 rows have no t"):
        split_by_date(table, column="t")


def test_every_partitioned_table_names_an_existing_timestamp_column() -> None:
    for name, column in PARTITION_COLUMNS.items():
        assert TABLE_SCHEMAS[name].field(column).type == pa.timestamp("ms", tz="UTC")
