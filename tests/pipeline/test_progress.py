"""Progress a person can read (issue #20): live requests, 429s and waits; conversations with an ETA;
an end summary with duration, throughput, where the output went and the provisional days, at 80
columns on an 80-column terminal — and whole lines, never wrapped, when it goes to a pipe or file."""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from rich.console import Console

from gcexport.clock import FakeClock
from gcexport.commands.progress import Reporter, render_summary, summary_console, summary_lines
from gcexport.datasets.settings import load_settings
from gcexport.emulator import Emulator, EmulatorConfig
from gcexport.run import ExportRequest, run_export

UTC = timezone.utc
NOW = datetime(2026, 3, 12, 12, tzinfo=UTC)
DAY = datetime(2026, 3, 10, tzinfo=UTC)


def _console(*, terminal: bool = False) -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    console = Console(file=buffer, width=80, force_terminal=terminal, color_system=None)
    return console, buffer


def test_the_bar_counts_conversations_and_shows_live_requests_429s_and_waits() -> None:
    console, buffer = _console()
    counts = {"requests": 0, "rate_limited": 0, "waited_s": 0.0}
    with Reporter(enabled=True, console=console) as reporter:
        reporter.counts = counts
        reporter.start(3, conversations=True)
        reporter.expect(200)
        reporter.conversations(50)
        counts.update(requests=1234, rate_limited=2, waited_s=3.4)  # the audit counts, live
        reporter.task_done()
        assert reporter.line() == "days 1/3 · 1,234 req · 2×429 · waited 3s"
    text = buffer.getvalue()
    assert "conversations" in text and "50/200" in text
    assert "1,234 req · 2×429 · waited 3s" in text
    assert max(len(line) for line in text.splitlines()) <= 80


def test_a_run_feeds_the_reporter_the_audit_counts_and_the_summary_says_it_all(
    tmp_path: Path,
) -> None:
    clock = FakeClock(NOW)
    emulator = Emulator(EmulatorConfig(seed=3, conversations_per_day=60, rate_limit=0), clock=clock)
    settings = load_settings(
        env={
            "GENESYS_CLIENT_ID": "emulator-client",
            "GENESYS_CLIENT_SECRET": "emulator-secret",
            "GENESYS_API_URL": "https://api.test",
            "GENESYS_LOGIN_URL": "https://login.test",
        },
        dotenv_path=None,
        overrides={
            "export": {
                "out": str(tmp_path / "out"),
                "state_dir": str(tmp_path / "state"),
                "datasets": ["conversation_details", "conversation_aggregates"],
                "workers": 1,
            }
        },
    )
    reporter = Reporter(enabled=False)
    summary = run_export(
        settings,
        ExportRequest(DAY, DAY + timedelta(days=3)),  # the last day is today: provisional
        transport=emulator.transport(),
        clock=clock,
        reporter=reporter,
    )
    assert summary.requests > 0
    # two datasets x three days, and the lookups snapshot
    assert reporter.line() == f"days 7/7 · {summary.requests:,} req · 0×429 · waited 0s"
    console, buffer = _console(terminal=True)  # a person at an 80-column terminal
    render_summary(summary.to_dict(), console)
    text = buffer.getvalue()
    conversations = summary.tables["conversations"]["api_rows"]
    assert f"{conversations:,} conversations" in text
    assert f"output {tmp_path / 'out'} (parquet)" in text.replace("\n", "")
    assert (  # sorted, whatever order the days finished in; rich wraps lines at 80 columns
        "provisional (exported again next run): conversation_aggregates:2026-03-12, "
        "conversation_details:2026-03-12"
    ) in text.replace("\n", "")
    assert "parity OK" in text
    assert max(len(line) for line in text.splitlines()) <= 80


SUMMARY = {
    "run_id": "20260312T120000Z-abcdef",
    "status": "success",
    "tables": {
        "report_agent_performance_detail_view": {
            "partitions": 1, "api_rows": 1234, "file_rows": 1234, "warehouse_rows": 1234,
        },
    },
    "requests": 1234, "rate_limited": 5, "waited_s": 12.5, "files": 40, "parity_ok": True,
    "started_at": "2026-03-12T12:00:00+00:00", "finished_at": "2026-03-12T12:01:00+00:00",
    "out": "/srv/gcexport/exports/a-long-folder-name/that-goes-on-and-on (parquet)",
    "warehouse": "duckdb:///srv/gcexport/exports/a-long-folder-name/gcexport.duckdb",
    "manifest": "file:///srv/gcexport/exports/a-long-folder-name/_manifests/run.json",
    "provisional": [f"conversation_details:2026-03-{day:02}" for day in range(5, 13)],
}  # fmt: skip


def test_a_summary_to_a_pipe_keeps_each_line_whole(capsys: pytest.CaptureFixture[str]) -> None:
    """A pipeline reading the summary (stderr not a terminal) gets each line unbroken, the table's
    names unclipped: rich wrapped them at 80 columns."""
    render_summary(SUMMARY, summary_console())
    lines = capsys.readouterr().err.splitlines()
    for line in summary_lines(SUMMARY):
        assert len(line) > 80 or line.startswith("took ")  # each would have wrapped
        assert line in lines
    assert any("│ report_agent_performance_detail_view │" in line for line in lines)
    console, buffer = _console()  # any console that is not a terminal, whatever its width
    render_summary(SUMMARY, console)
    assert set(summary_lines(SUMMARY)) <= set(buffer.getvalue().splitlines())


def test_a_summary_on_a_terminal_wraps_at_its_width() -> None:
    console, buffer = _console(terminal=True)
    render_summary(SUMMARY, console)
    text = buffer.getvalue()
    assert max(len(line) for line in text.splitlines()) <= 80
    assert all(line in text.replace("\n", "") for line in summary_lines(SUMMARY)[2:])
