"""The public Python API: `__all__` sorted and complete (as httpx checks), and `export` / `report`
work without the command line, against the in-process emulator."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

import gcexport
from gcexport.emulator import Emulator, EmulatorConfig
from tests.conftest import emulator_settings

DAY = date(2026, 6, 10)


def test_all_is_sorted_and_every_name_resolves() -> None:
    assert gcexport.__all__ == sorted(gcexport.__all__)
    for name in gcexport.__all__:
        assert getattr(gcexport, name) is not None, name


def test_all_is_complete() -> None:
    public = {n for n in dir(gcexport) if not n.startswith("_")}
    # Submodules become attributes of the package when imported; they are not the API.
    modules = {n for n in public if type(getattr(gcexport, n)).__name__ == "module"}
    assert public - modules == {n for n in gcexport.__all__ if not n.startswith("_")}


def test_importing_the_package_loads_no_heavy_module() -> None:
    code = "import sys, gcexport; print(sorted(m for m in ('pyarrow', 'duckdb', 'httpx') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == "[]", out


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        gcexport.nope  # noqa: B018


def test_export_and_report_run_without_the_command_line(tmp_path: Path) -> None:
    clock = gcexport.FakeClock(datetime(2026, 6, 12, 9, 30, tzinfo=timezone.utc))
    emulator = Emulator(  # one clock: the exporter's waits move the emulator's jobs on
        EmulatorConfig(seed=3, conversations_per_day=60, availability_lag=timedelta(hours=1)),
        clock=clock,
    )
    settings = emulator_settings(tmp_path, ["conversation_details", "conversation_aggregates"])
    summary = gcexport.export(
        settings,
        start=DAY,
        end=DAY + timedelta(days=1),
        transport=emulator.transport(),
        clock=clock,
    )
    assert isinstance(summary, gcexport.RunSummary)
    assert summary.status == "success" and summary.parity_ok
    assert summary.windows["conversation_details"] == ["2026-06-10T00:00:00Z/2026-06-11T00:00:00Z"]
    conversations = summary.tables["conversations"]
    assert conversations["api_rows"] == conversations["warehouse_rows"] > 0
    result = gcexport.report(settings, out=tmp_path / "r.html", start=DAY)
    assert isinstance(result, gcexport.ReportResult)
    assert result.path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_a_value_that_is_no_date_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(gcexport.ConfigError, match="start must be a date or a datetime, not str"):
        gcexport.export(gcexport.load_settings(env={}, dotenv_path=None), start="2026-06-10")  # type: ignore[arg-type]
