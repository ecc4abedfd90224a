"""Bad inputs give one sentence and an exit code; filters, time zones and the CLI do what they say."""

from __future__ import annotations

import re
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import duckdb
import pytest

from gcexport.errors import ConfigError, DestinationError, GcExportError
from gcexport.kpi_report import build_report

UTC = timezone.utc  # datetime.UTC is Python 3.11+

Demo = Any  # the `demo` fixture of conftest.py


def _window(demo: Demo) -> tuple[datetime, datetime]:
    first, last = demo.sql(
        "select min(interval_start), max(interval_end) from conversation_aggregates "
        "where query_name = 'queue_hourly'"
    )[0]
    return first, last


def _build(demo: Demo, tmp_path: Path, **kwargs: Any) -> Any:
    args: dict[str, Any] = {"start": None, "end": None, "queues": [], "out": tmp_path / "r.html"}
    args.update(kwargs)
    return build_report(demo.warehouse_url, **args)


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, nullcontext()),
        ({"queues": ["No Such Queue"]}, pytest.raises(ConfigError, match=r"unknown queue 'No Such Queue'; known queues: .*Billing")),
        ({"start": datetime(2001, 1, 1, tzinfo=UTC), "end": datetime(2001, 1, 2, tzinfo=UTC)}, pytest.raises(ConfigError, match=r"^no queue data between 2001-01-01T00:00:00\+00:00 and 2001-01-02")),
        ({"start": datetime(2030, 1, 2, tzinfo=UTC), "end": datetime(2030, 1, 1, tzinfo=UTC)}, pytest.raises(ConfigError, match="the report window is empty")),
        ({"custom_kpis": {"bad": "no_such_column * 2"}}, pytest.raises(ConfigError, match=r"^user KPI 'bad' = 'no_such_column \* 2' failed")),
        ({"custom_kpis": {"Bad Name": "1"}}, pytest.raises(ConfigError, match="lower_snake_case")),
        ({"custom_kpis": {"x": "1; drop table queues"}}, pytest.raises(ConfigError, match="without ';'")),
        ({"time_zone": "Mars/Olympus"}, pytest.raises(ConfigError, match="unknown time zone 'Mars/Olympus'")),
    ],
)  # fmt: skip
def test_bad_inputs_raise_one_sentence(
    demo: Demo, tmp_path: Path, kwargs: dict[str, Any], expected: AbstractContextManager[Any]
) -> None:
    with expected as caught:
        result = _build(demo, tmp_path, **kwargs)
    if caught is None:
        assert result.path.stat().st_size > 10_000
    else:
        assert "\n" not in str(caught.value)
        assert not (tmp_path / "r.html").exists()


def test_missing_warehouse_file_is_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "nope.duckdb"
    with pytest.raises(DestinationError, match=r"does not exist: run `gcexport export`"):
        build_report(
            f"duckdb://{missing}", start=None, end=None, queues=[], out=tmp_path / "r.html"
        )
    assert not missing.exists()


def test_warehouse_without_export_tables(tmp_path: Path) -> None:
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    with pytest.raises(DestinationError, match="has no table conversation_aggregates"):
        build_report(f"duckdb://{empty}", start=None, end=None, queues=[], out=tmp_path / "r.html")


def test_queue_filter_narrows_every_number(demo: Demo, tmp_path: Path) -> None:
    (offered,) = demo.sql(
        "select sum(a.count) from conversation_aggregates a join queues q on q.id = a.queue_id "
        "where a.query_name = 'queue_hourly' and a.metric = 'nOffered' and q.name = 'Billing'"
    )[0]
    result = _build(demo, tmp_path, queues=["billing"])
    html = result.path.read_text(encoding="utf-8")
    assert result.headline["offered"] == offered > 0
    assert "Billing" in html and "the queue filter does not apply" in html
    handle = re.search(r'data-chart="handle_time_by_queue".*?</svg>', html, re.S)
    assert handle is not None and handle.group(0).count('class="tick" x="202"') == 1


def test_window_and_time_zone(demo: Demo, tmp_path: Path) -> None:
    first, _ = _window(demo)
    start, end = first + timedelta(hours=6), first + timedelta(hours=12)
    (offered,) = demo.sql(
        "select sum(count) from conversation_aggregates where query_name = 'queue_hourly' "
        f"and metric = 'nOffered' and interval_start >= '{start.isoformat()}' "
        f"and interval_start < '{end.isoformat()}'"
    )[0]
    result = _build(demo, tmp_path, start=start, end=end, time_zone="Asia/Kolkata")
    html = result.path.read_text(encoding="utf-8")
    assert result.headline["offered"] == offered
    # 06:00 UTC is 11:30 in Kolkata: the first column is labelled in local time
    assert ">Hour starting (Asia/Kolkata)<" in html
    first_tip = re.search(
        r'data-chart="volume_by_hour".*?<title>[^<]*</title>.*?<title>([^<]*)</title>', html, re.S
    )
    assert first_tip is not None and first_tip.group(1).split(" · ")[0].endswith("11:30")


def test_cli_writes_the_report_and_prints_its_path(demo: Demo, cli: Any, tmp_path: Path) -> None:
    out = tmp_path / "k.html"
    result = cli(
        "report", "--warehouse", demo.warehouse_url, "--queue", "Billing", "--out", str(out)
    )
    assert (result.code, result.stderr) == (0, "")
    assert result.stdout.strip() == str(out)
    assert 'data-kpi="offered"' in out.read_text(encoding="utf-8")


def test_cli_min_volume_decides_which_rate_points_are_marked(
    demo: Demo, cli: Any, tmp_path: Path
) -> None:
    def low_points(volume: int) -> int:
        out = tmp_path / f"v{volume}.html"
        args = ["--warehouse", demo.warehouse_url, "--min-volume", str(volume), "--out", str(out)]
        assert cli("report", *args).code == 0
        html = out.read_text(encoding="utf-8")
        assert f"Hollow points rest on fewer than {volume:,} interactions" in html
        return html.count('class="mark low"')

    none, some, most = low_points(0), low_points(10), low_points(1000)
    assert none == 0 < some < most
    with pytest.raises(ConfigError, match="minimum volume must be 0 or more"):
        build_report(
            demo.warehouse_url,
            start=None,
            end=None,
            queues=[],
            out=tmp_path / "x.html",
            min_volume=-1,
        )
    assert not (tmp_path / "x.html").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--warehouse", "duckdb:///no/such/dir/x.duckdb"], "does not exist"),
        (["--queue", "Nowhere"], "unknown queue 'Nowhere'"),
        (["--start", "2001-01-01", "--end", "2001-01-02"], "no queue data between"),
    ],
)
def test_cli_bad_inputs_exit_2_with_one_line(
    demo: Demo, cli: Any, args: list[str], message: str
) -> None:
    if "--warehouse" not in args:
        args = ["--warehouse", demo.warehouse_url, *args]
    result = cli("report", *args)
    assert result.code == 2
    assert result.stderr.count("\n") == 1 and message in result.stderr
    assert result.stderr.startswith("gcexport: error: ") and "Traceback" not in result.stderr


def test_errors_are_gcexport_errors(tmp_path: Path) -> None:
    with pytest.raises(GcExportError):
        build_report("ftp://x/y", start=None, end=None, queues=[], out=tmp_path / "r.html")


def test_service_level_target_override_is_shown(demo: Demo, tmp_path: Path) -> None:
    result = _build(demo, tmp_path, service_level_target=0.8)
    html = result.path.read_text(encoding="utf-8")
    assert result.headline["service_level_target"] == 0.8
    assert ">Service-level target 80%<" in html and "Target 80.0%: " in html


def test_quality_panel_covers_only_the_window(demo: Demo, tmp_path: Path) -> None:
    first, _ = _window(demo)
    provisional = demo.sql("select count(*) from gcexport_partitions where provisional")[0][0]
    whole = _build(demo, tmp_path, out=tmp_path / "whole.html").path.read_text(encoding="utf-8")
    day_one = _build(demo, tmp_path, end=first + timedelta(days=1)).path.read_text(encoding="utf-8")
    assert f"{provisional} provisional partitions" in whole and provisional > 0
    assert "0 provisional partitions" in day_one
    assert "Provisional partitions</h3>" in whole and "Provisional partitions</h3>" not in day_one
