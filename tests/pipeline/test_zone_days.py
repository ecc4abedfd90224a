"""Aggregates in a time zone other than UTC (REFERENCE.md §16 item 10): a day is the zone's day —
local midnight to local midnight, 25 hours on the autumn DST change — and its P1D bucket is one row
per metric in that day's partition, in New York and in Berlin."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pytest

from gcexport.emulator import Emulator, EmulatorConfig, serve
from tests.conftest import run_cli
from tests.pipeline.conftest import OffsetClock, Served

NOW = datetime(2026, 11, 3, 12, 0, tzinfo=timezone.utc)
ZONES = '[{name="ny", granularity="P1D", time_zone="America/New_York", metrics=["nOffered"], group_by=[]},' \
    ' {name="berlin", granularity="P1D", time_zone="Europe/Berlin", metrics=["nOffered"], group_by=[]}]'  # fmt: skip


@pytest.fixture
def autumn() -> Iterator[Served]:
    clock = OffsetClock(NOW)
    config = EmulatorConfig(
        seed=5, conversations_per_day=200, rate_limit=0, client_id="pipeline-client",
        client_secret="s3cr3t-PIPELINE-test-9f2c",
    )  # fmt: skip
    emulator = Emulator(config, clock=clock)
    with serve(emulator, host="127.0.0.1", port=0) as server:
        yield Served(emulator, clock, server.base_url)


def _buckets(db: Path) -> dict[tuple[str, date], list[tuple[datetime, datetime, float]]]:
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "select query_name, partition_date, interval_start, interval_end, count"
            " from conversation_aggregates where metric = 'nOffered' order by interval_start"
        ).fetchall()
    found: dict[tuple[str, date], list[tuple[datetime, datetime, float]]] = {}
    for name, day, start, end, count in rows:
        found.setdefault((name, day), []).append((_utc(start), _utc(end), count))
    return found


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


def test_p1d_buckets_are_the_zone_days_at_a_dst_change(autumn: Served, tmp_path: Path) -> None:
    args = ["export", "--out", str(tmp_path / "out"), "--state-dir", str(tmp_path / "state"),
            "--start", "2026-10-24", "--end", "2026-11-02", "--quiet", "--requests-per-minute", "6000",
            "--set", 'export.datasets=["conversation_aggregates"]', "--set", f"aggregates={ZONES}"]  # fmt: skip
    env = autumn.env(GCEXPORT_NOW=NOW.isoformat())
    result = run_cli(args, cwd=tmp_path, env=env, timeout=240)
    assert result.code == 0, result.stderr
    found = _buckets(tmp_path / "out" / "gcexport.duckdb")
    z = timezone.utc
    assert [(s, e) for s, e, _ in found[("ny", date(2026, 11, 1))]] == [
        (datetime(2026, 11, 1, 4, tzinfo=z), datetime(2026, 11, 2, 5, tzinfo=z))  # 25 hours
    ]
    assert [(s, e) for s, e, _ in found[("berlin", date(2026, 10, 25))]] == [
        (datetime(2026, 10, 24, 22, tzinfo=z), datetime(2026, 10, 25, 23, tzinfo=z))  # 25 hours
    ]
    assert [(s, e) for s, e, _ in found[("ny", date(2026, 10, 31))]] == [
        (datetime(2026, 10, 31, 4, tzinfo=z), datetime(2026, 11, 1, 4, tzinfo=z))  # 24 hours
    ]
    assert all(len(buckets) == 1 for buckets in found.values())  # one bucket per zone day
    assert timedelta(hours=25) == (
        found[("ny", date(2026, 11, 1))][0][1] - found[("ny", date(2026, 11, 1))][0][0]
    )
