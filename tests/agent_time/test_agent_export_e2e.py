"""End to end through the CLI: three days of agent time into Parquet + DuckDB, row for row with the emulator;
the backfill reads jobs, the incremental run the query; aggregate buckets equal the detail overlap."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import duckdb

from gcexport.emulator.wire import to_ms
from tests.pipeline.conftest import Served, export

UTC = timezone.utc
AGENT = ("--dataset", "user_status_details", "--dataset", "user_status_aggregates")
DETAILS_ONLY = ("--dataset", "user_status_details", "--set", 'export.first_start="P1D"')


def _ms(day: date) -> int:
    return to_ms(datetime.combine(day, time(), tzinfo=UTC))


def _truth(
    served: Served, day: date
) -> tuple[set[tuple[str, int, str]], set[tuple[str, int, str]]]:
    lo, hi = _ms(day), _ms(day + timedelta(days=1))
    now, agents = served.emulator.backend.now_ms(), served.emulator.agents
    presence: set[tuple[str, int, str]] = set()
    routing: set[tuple[str, int, str]] = set()
    for user in agents.user_ids():
        line = agents.timeline(user, lo, hi, now)
        presence |= {(user, r.start, r.value) for r in line.presence if lo <= r.start < hi}
        routing |= {(user, r.start, r.value) for r in line.routing if lo <= r.start < hi}
    return presence, routing


def _rows(
    con: duckdb.DuckDBPyConnection, table: str, column: str, day: date
) -> set[tuple[str, int, str]]:
    sql = f"select user_id, epoch_ms(start_time), {column} from {table} where partition_date = ?"
    return {(u, int(s), v) for u, s, v in con.execute(sql, [day]).fetchall()}


def test_three_days_of_agent_time_match_the_emulator(served: Served, tmp_path: Path) -> None:
    today = served.clock.now().date()
    days = [today - timedelta(days=n) for n in (3, 2, 1)]
    result = export(
        served, tmp_path, *AGENT, "--start", days[0].isoformat(), "--end", today.isoformat()
    )
    assert result.code == 0, result.stderr
    db = tmp_path / "out" / "gcexport.duckdb"
    with duckdb.connect(str(db), read_only=True) as con:
        for day in days:
            presence, routing = _truth(served, day)
            assert _rows(con, "user_presence", "system_presence", day) == presence
            assert _rows(con, "user_routing_status", "routing_status", day) == routing
            assert len(presence) > 100
        sources = con.execute("select distinct source from user_presence").fetchall()
        assert sources == [("job",)]  # a backfill: every day lies before the jobs' watermark
        for table, rows in (
            ("presence_definitions", 13),
            ("teams", 7),
            ("skills", 12),
            ("groups", 5),
        ):
            assert con.execute(f"select count(*) from {table}").fetchone() == (rows,)
        bucket_totals = con.execute(
            "select distinct sum(sum_ms) from user_status_aggregates where metric = 'tSystemPresence'"
            " group by user_id, interval_start"
        ).fetchall()
        assert bucket_totals == [(1_800_000,)]
        _check_interacting_identity(con, days[1])
    files = sorted((tmp_path / "out" / "user_presence" / f"date={days[1]}").glob("*.parquet"))
    parquet = duckdb.sql(f"select count(*) from read_parquet({[str(f) for f in files]!r})")
    assert files and parquet.fetchall() == [(len(_truth(served, days[1])[0]),)]


def test_incremental_runs_read_the_tail_with_the_query_and_re_read_provisional_days(
    served: Served, tmp_path: Path
) -> None:
    today = served.clock.now().date()
    (tmp_path / "inc").mkdir()
    incremental = export(served, tmp_path / "inc", *DETAILS_ONLY)
    assert incremental.code == 0, incremental.stderr
    with duckdb.connect(str(tmp_path / "inc" / "out" / "gcexport.duckdb"), read_only=True) as con:
        latest = con.execute(
            "select source, count(*) from user_presence where partition_date = ? group by source",
            [today],
        ).fetchall()
    assert [s for s, _ in latest] == ["query"]  # the tail after the watermark: the query
    before = _open_rows(tmp_path / "inc", today)
    assert before > 0  # today's records still open: the day is provisional
    served.clock.advance(timedelta(days=1))
    # the emulator's clock runs on: the job's watermark lies between these two
    earliest = served.emulator.backend.watermark_ms()
    again = export(served, tmp_path / "inc", *DETAILS_ONLY)
    assert again.code == 0, again.stderr
    presence, _ = _truth(served, today)
    latest_mark = served.emulator.backend.watermark_ms()
    with duckdb.connect(str(tmp_path / "inc" / "out" / "gcexport.duckdb"), read_only=True) as con:
        assert _rows(con, "user_presence", "system_presence", today) == presence
        sources = con.execute(
            "select distinct source from user_presence where partition_date = ?", [today]
        ).fetchall()
        still_open = con.execute(
            "select user_id, epoch_ms(start_time) from user_presence where partition_date = ? and is_open",
            [today],
        ).fetchall()
    assert sources == [("job",)]  # the provisional day, now before the watermark, re-read by a job
    agents = served.emulator.agents
    for user, start in still_open:  # open only if it was still open at the job's watermark
        line = agents.timeline(user, int(start), int(start) + 1, latest_mark)
        end = next(r for r in line.presence if r.start == start).end
        assert end is None or end > earliest, (user, start, end, earliest)


def _open_rows(workdir: Path, day: date) -> int:
    with duckdb.connect(str(workdir / "out" / "gcexport.duckdb"), read_only=True) as con:
        ((count,),) = con.execute(
            "select count(*) from user_presence where partition_date = ? and is_open", [day]
        ).fetchall()
    return int(count)


def _check_interacting_identity(con: duckdb.DuckDBPyConnection, day: date) -> None:
    """Each user's INTERACTING sum over the day's buckets = overlap of the INTERACTING records with the day."""
    aggregated = dict(con.execute(
        "select user_id, sum(sum_ms) from user_status_aggregates where qualifier = 'INTERACTING'"
        " and partition_date = ? group by user_id", [day]).fetchall())  # fmt: skip
    lo, hi = (
        datetime.combine(day, time(), tzinfo=UTC),
        datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC),
    )
    detailed = dict(con.execute(
        "select user_id, sum(epoch_ms(least(end_time, ?)) - epoch_ms(greatest(start_time, ?)))"
        " from user_routing_status where routing_status = 'INTERACTING' and end_time > ? and start_time < ?"
        " group by user_id", [hi, lo, lo, hi]).fetchall())  # fmt: skip
    assert aggregated and {u: int(v) for u, v in aggregated.items()} == {
        u: int(v) for u, v in detailed.items()
    }
    kpis = dict(
        con.execute(
            "select user_id, interacting_ms from agent_daily_status"
            " where partition_date = ? and interacting_ms > 0",
            [day],
        ).fetchall()
    )
    assert kpis == {u: int(v) for u, v in aggregated.items()}
    bad = con.execute(
        "select count(*) from agent_daily_status where on_queue_ms > logged_in_ms or occupancy > 1"
    ).fetchall()
    assert bad == [(0,)]
    per_interval = dict(
        con.execute(
            "select user_id, sum(interacting_ms) from agent_interval_status"
            " where partition_date = ? group by user_id having sum(interacting_ms) > 0",
            [day],
        ).fetchall()
    )
    assert {u: int(v) for u, v in per_interval.items()} == kpis


def test_check_probes_the_agent_time_permissions(served: Served, tmp_path: Path) -> None:
    from tests.conftest import run_cli

    datasets = 'export.datasets=["user_status_details", "user_status_aggregates"]'
    result = run_cli(
        ["check", "--set", f'export.out="{tmp_path / "out"}"', "--set", datasets],
        cwd=tmp_path,
        env=served.env(),
    )
    assert result.code == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    details = next(line for line in lines if "user_status_details" in line)
    assert details.startswith("PASS") and "analytics:userDetail:view" in details
    assert "definitions HTTP 200" in details and "teams HTTP 200" in details
    aggregates = next(line for line in lines if "user_status_aggregates" in line)
    assert aggregates.startswith("PASS") and "analytics:userAggregate:view" in aggregates
