"""The report's default window: whole local days of every feeding aggregate query, never cut short."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest

from gcexport.kpi_report.scope import resolve_scope
from gcexport.kpi_report.source import ReadOnlyDuckDB

UTC = timezone.utc  # datetime.UTC is Python 3.11+
DAY1 = datetime(2026, 11, 29, tzinfo=UTC)


def _warehouse(path: Path) -> Path:
    """Hourly queue buckets from 03:00 on day 1 (a quiet night), daily agent and wrap-up buckets."""
    rows = []
    for hour in range(3, 46):
        start = DAY1 + timedelta(hours=hour)
        rows.append(("queue_hourly", "PT1H", "q1", None, None, start, start + timedelta(hours=1)))
    for day in range(2):
        start = DAY1 + timedelta(days=day)
        rows.append(("agent_daily", "P1D", None, "u1", None, start, start + timedelta(days=1)))
        rows.append(("wrapup_daily", "P1D", None, None, "w1", start, start + timedelta(days=1)))
    with duckdb.connect(str(path)) as con:
        con.execute(
            "create table conversation_aggregates (query_name varchar, granularity varchar, "
            "queue_id varchar, user_id varchar, wrap_up_code varchar, kind varchar, "
            "interval_start timestamptz, interval_end timestamptz)"
        )
        con.executemany(
            "insert into conversation_aggregates values (?, ?, ?, ?, ?, 'metric', ?, ?)", rows
        )
    return path


@pytest.mark.parametrize(
    ("time_zone", "start", "end"),
    [
        ("UTC", DAY1, DAY1 + timedelta(days=2)),
        # 00:00 UTC on day 1 is 19:00 the evening before in New York: that whole day is in
        ("America/New_York", datetime(2026, 11, 28, tzinfo=ZoneInfo("America/New_York")),
         datetime(2026, 12, 1, tzinfo=ZoneInfo("America/New_York"))),
        # the last bucket ends at 05:30 on 1 December in Kolkata: that whole day is in too
        ("Asia/Kolkata", datetime(2026, 11, 29, tzinfo=ZoneInfo("Asia/Kolkata")),
         datetime(2026, 12, 2, tzinfo=ZoneInfo("Asia/Kolkata"))),
    ],
)  # fmt: skip
def test_default_window_is_whole_days_of_every_feeding_query(
    tmp_path: Path, time_zone: str, start: datetime, end: datetime
) -> None:
    source = ReadOnlyDuckDB(_warehouse(tmp_path / "w.duckdb"))
    try:
        scope = resolve_scope(
            source, start=None, end=None, queue_names=[], time_zone=time_zone, tables=set()
        )
        daily = source.query(
            "select count(*) from conversation_aggregates "
            f"where {scope.where('agent_daily', by_queue=False)}"
        )[0][0]
    finally:
        source.close()
    assert (scope.start, scope.end) == (start, end)
    assert daily == 2  # the first day's daily bucket (00:00, before the first busy hour) is in


def test_explicit_window_is_kept(tmp_path: Path) -> None:
    source = ReadOnlyDuckDB(_warehouse(tmp_path / "w.duckdb"))
    try:
        start, end = DAY1 + timedelta(hours=6), DAY1 + timedelta(hours=9)
        scope = resolve_scope(
            source, start=start, end=end, queue_names=[], time_zone="UTC", tables=set()
        )
    finally:
        source.close()
    assert (scope.start, scope.end) == (start, end)
