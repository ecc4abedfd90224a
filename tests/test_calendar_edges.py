"""The instants real calendars bring — just after midnight at a month's and a year's turn, the EU
and US daylight-saving changes both ways, a leap day — through the demo, the report and the
incremental window planning. Each runs on a FakeClock set to that instant."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pytest

from gcexport.clock import FakeClock
from gcexport.commands.demo import demo_settings, run_demo
from gcexport.kpi_report import build_report
from gcexport.kpi_report.scope import resolve_scope
from gcexport.kpi_report.source import ReadOnlyDuckDB
from gcexport.timespan import day_floor, incremental_days

UTC = timezone.utc  # datetime.UTC is Python 3.11+
SECONDS = timedelta(seconds=30)
EDGES = {
    "month turn": datetime(2026, 12, 1, tzinfo=UTC) + SECONDS,
    "year turn": datetime(2027, 1, 1, tzinfo=UTC) + SECONDS,
    "EU summer time starts": datetime(2027, 3, 28, 1, tzinfo=UTC) + SECONDS,
    "EU summer time ends": datetime(2026, 10, 25, 1, tzinfo=UTC) + SECONDS,
    "US daylight time starts": datetime(2027, 3, 14, 7, tzinfo=UTC) + SECONDS,
    "US daylight time ends": datetime(2026, 11, 1, 6, tzinfo=UTC) + SECONDS,
    "leap day": datetime(2028, 2, 29, tzinfo=UTC) + SECONDS,
    "after a leap day": datetime(2028, 3, 1, tzinfo=UTC) + SECONDS,
}
ZONES = ["UTC", "Europe/London", "America/New_York", "Australia/Sydney"]


def _partition_days(out: Path, table: str) -> list[date]:
    return sorted(date.fromisoformat(p.name[5:]) for p in (out / table).glob("date=*"))


@pytest.mark.slow
@pytest.mark.parametrize("now", EDGES.values(), ids=EDGES.keys())
def test_demo_and_report_at_the_edge(now: datetime, tmp_path: Path) -> None:
    out = tmp_path / "demo"
    code = run_demo(out=out, days=2, conversations_per_day=40, quiet=True, clock=FakeClock(now))
    assert code == 0
    today = now.date()
    assert _partition_days(out, "conversation_aggregates") == [
        today - timedelta(days=2),
        today - timedelta(days=1),
    ]
    url = demo_settings(out).export.warehouse_url()
    assert url is not None
    with duckdb.connect(str(out / "gcexport.duckdb"), read_only=True) as con:
        (offered,) = con.execute(
            "select sum(count) from conversation_aggregates "
            "where query_name = 'queue_hourly' and metric = 'nOffered'"
        ).fetchone() or (None,)
        rows_by_query = dict(
            con.execute(
                "select query_name, count(*) from conversation_aggregates group by 1"
            ).fetchall()
        )
    for zone in ZONES:
        result = build_report(
            url, start=None, end=None, queues=[], out=tmp_path / f"{zone[:3]}.html", time_zone=zone
        )
        assert result.headline["offered"] == offered > 0, zone
        _assert_scope_holds_every_row(out / "gcexport.duckdb", zone, rows_by_query)


def _assert_scope_holds_every_row(db: Path, zone: str, rows_by_query: dict[str, int]) -> None:
    source = ReadOnlyDuckDB(db)
    try:
        scope = resolve_scope(
            source, start=None, end=None, queue_names=[], time_zone=zone, tables=set()
        )
        for name in [scope.kinds.queue, scope.kinds.agent, scope.kinds.wrapup]:
            assert name is not None
            sql = f"select count(*) from conversation_aggregates where {scope.where(name)}"
            kept = source.query(sql.replace(" and \"kind\" = 'metric'", ""))[0][0]
            assert kept == rows_by_query[name], (zone, name)
    finally:
        source.close()
    local_start = scope.start.astimezone(scope.zone)
    assert (local_start.hour, local_start.minute) == (0, 0), zone  # whole local days


@pytest.mark.parametrize("now", EDGES.values(), ids=EDGES.keys())
def test_incremental_planning_at_the_edge(now: datetime) -> None:
    today = day_floor(now)
    first = incremental_days(
        now=now, final_through=None, provisional=[], lookback=timedelta(hours=6),
        first_start=today - timedelta(days=3),
    )  # fmt: skip
    assert [w.start for w in first] == [today - timedelta(days=n) for n in (3, 2, 1, 0)]
    assert all(w.end - w.start == timedelta(days=1) for w in first)
    assert all(a.end == b.start for a, b in itertools.pairwise(first))
    assert first[-1].start <= now < first[-1].end

    yesterday = (today - timedelta(days=1)).date()
    again = incremental_days(
        now=now, final_through=today, provisional=[yesterday], lookback=timedelta(hours=6),
        first_start=today - timedelta(days=3),
    )  # fmt: skip
    assert [w.day for w in again] == [yesterday, today.date()]
