"""The public Python API's two calls: `export` and `report`, the library behind the command line.

Nothing here prints or exits: results come back as values (`RunSummary`, `ReportResult`) and
failures as the typed errors of `gcexport.errors` (each carries its `exit_code`).

Example::

    import gcexport

    settings = gcexport.load_settings(overrides={"export": {"out": "/data/genesys"}})
    summary = gcexport.export(settings, start=date(2026, 11, 1), end=date(2026, 11, 8))
    assert summary.parity_ok
    gcexport.report(settings, out=Path("/data/genesys/report.html"))
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timezone
from pathlib import Path

import httpx

from gcexport.clock import Clock
from gcexport.config import Settings, find_config_file
from gcexport.datasets.settings import load_settings
from gcexport.errors import ConfigError
from gcexport.kpi_report import ReportResult, build_report
from gcexport.run import CommittedPartition, ExportRequest, RunSummary, SilentReporter, run_export

__all__ = ["export", "report"]

When = date | datetime | None


def export(
    settings: Settings | None = None,
    *,
    start: When = None,
    end: When = None,
    transport: httpx.BaseTransport | None = None,
    clock: Clock | None = None,
    on_commit: Callable[[CommittedPartition], None] | None = None,
) -> RunSummary:
    """Run one export: `[start, end)` in whole UTC days, or incrementally when both are None.

    `settings` defaults to `load_settings()` over `./gcexport.toml` when present (then `.env`,
    the environment, defaults). A date means
    midnight UTC; a naive datetime is taken as UTC. `transport` points the client at another
    HTTP transport (the emulator's, in tests). `on_commit` is called once per (dataset, table,
    day) as it lands — exported, counted and recorded in the state — from the run's thread. Raises a `GcExportError`; the run's summary rides
    on the error's `.summary` when the run had started.
    """
    settings = settings if settings is not None else load_settings(config_file=find_config_file())
    request = ExportRequest(start=_instant(start, "start"), end=_instant(end, "end"))
    reporter = SilentReporter(on_commit=on_commit)
    return run_export(settings, request, transport=transport, clock=clock, reporter=reporter)


def report(
    settings: Settings | None = None,
    *,
    out: Path,
    start: When = None,
    end: When = None,
    queues: Sequence[str] = (),
) -> ReportResult:
    """Write the HTML KPI report of the configured warehouse for `[start, end)` (default: all)."""
    settings = settings if settings is not None else load_settings(config_file=find_config_file())
    url = settings.export.warehouse_url()
    if url is None:
        raise ConfigError("no warehouse to report from: set export.warehouse")
    zones = [s.time_zone for s in settings.aggregates if "queueId" in s.group_by]
    return build_report(
        url,
        start=_instant(start, "start"),
        end=_instant(end, "end"),
        queues=list(queues),
        out=out,
        time_zone=zones[0] if zones else "UTC",
        custom_kpis=settings.kpis,
    )


def _instant(value: When, name: str) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, date):
        return datetime.combine(value, time(0), tzinfo=timezone.utc)
    raise ConfigError(f"{name} must be a date or a datetime, not {type(value).__name__}")
