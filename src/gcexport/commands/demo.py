"""`gcexport demo`: the emulator in-process, the default datasets for N days, parity checked, KPIs
printed (the opt-in datasets it leaves out are named).

Needs no Genesys account and no network: the emulator answers over an in-process httpx transport.

Example::

    run_demo(out=Path("gcexport-demo"), days=3, conversations_per_day=1500, quiet=True)
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from rich.table import Table

from gcexport.clock import Clock, SystemClock
from gcexport.commands.export import run_export_command
from gcexport.commands.progress import summary_console
from gcexport.config import Settings
from gcexport.datasets.settings import load_settings
from gcexport.run import ExportRequest
from gcexport.timespan import day_floor

__all__ = ["dataset_lines", "demo_settings", "headline_kpis", "run_demo"]

DEMO_RATE = 1200  # requests/minute the demo emulator allows; the exporter takes 90% of it


def demo_settings(out: Path) -> Settings:
    """Settings for an export from the in-process emulator into `out`."""
    return load_settings(
        env={
            "GENESYS_CLIENT_ID": "emulator-client",
            "GENESYS_CLIENT_SECRET": "emulator-secret",
            "GENESYS_API_URL": "https://api.emulator.invalid",
            "GENESYS_LOGIN_URL": "https://login.emulator.invalid",
        },
        dotenv_path=None,
        overrides={
            "genesys": {"requests_per_minute": int(DEMO_RATE * 0.9)},
            "export": {"out": str(out), "state_dir": str(out / ".gcexport")},
            "details": {"poll_seconds": 0.5},
            # ratios of sums (never of averages); `*_share` declares a fraction in [0, 1]
            "kpis": {
                "talk_share": "talk_ms_sum / nullif(handle_ms_sum, 0)",
                "hold_share": "hold_ms_sum / nullif(handle_ms_sum, 0)",
                "acw_share": "acw_ms_sum / nullif(handle_ms_sum, 0)",
            },
        },
    )


def run_demo(
    *, out: Path, days: int, conversations_per_day: int, quiet: bool, clock: Clock | None = None
) -> int:
    """Export `days` whole days before today from a fresh emulator; print the KPIs; return 0.

    `clock` (default: the real one) is shared by the emulator and the exporter, so a test can run
    the demo at any instant; a `FakeClock` also makes the job polling instant.
    """
    from gcexport.emulator import Emulator, EmulatorConfig

    clock = clock or SystemClock()
    emulator = Emulator(
        EmulatorConfig(
            seed=7,
            conversations_per_day=conversations_per_day,
            rate_limit=DEMO_RATE,
            job_queued_seconds=0.2,
            job_pending_seconds=0.3,
            export_running_seconds=0.3,
            # A day's lag puts the jobs watermark inside yesterday at any hour: older days come
            # from async jobs and are final, yesterday from the query and stays provisional.
            availability_lag=timedelta(hours=24),
        ),
        clock=clock,
    )
    today = day_floor(clock.now())
    settings = demo_settings(out)
    request = ExportRequest(start=today - timedelta(days=days), end=today)
    for line in dataset_lines(settings):
        print(line, flush=True)
    code = run_export_command(
        settings,
        request,
        quiet=quiet,
        json_output=False,
        transport=emulator.transport(),
        clock=clock,
    )
    warehouse_url = settings.export.warehouse_url()
    assert warehouse_url is not None
    _print_kpis(headline_kpis(warehouse_url), out)
    from gcexport.kpi_report import build_report

    report = build_report(
        warehouse_url,
        start=request.start,
        end=request.end,
        queues=[],
        out=out / "report.html",
        custom_kpis=settings.kpis,
    )
    summary_console(stderr=False).print(f"KPI report: {report.path}")
    return code


def dataset_lines(settings: Settings) -> list[str]:
    """What the demo exports: the default datasets, and the opt-in ones it leaves out."""
    from gcexport.datasets.registry import DATASETS

    chosen = list(settings.export.datasets)
    lines = [f"Datasets exported (the default set): {', '.join(chosen)}"]
    left_out = [d.name for d in DATASETS if d.name not in chosen]
    if left_out:
        lines.append(
            f"Opt-in, not exported: {', '.join(left_out)} (`gcexport export --dataset NAME`)"
        )
    return lines


def headline_kpis(warehouse_url: str) -> list[dict[str, Any]]:
    """Offered, answered, abandon rate, AHT, ASA and service level per media type, from the warehouse."""
    from gcexport.sinks import open_warehouse

    sql = """
        select media_type,
               sum(case when metric = 'nOffered' then "count" end) as offered,
               sum(case when metric = 'tAnswered' then "count" end) as answered,
               sum(case when metric = 'tAbandon' then "count" end) as abandoned,
               sum(case when metric = 'tHandle' then "sum" end)
                 / nullif(sum(case when metric = 'tHandle' then "count" end), 0) as aht_ms,
               sum(case when metric = 'tAnswered' then "sum" end)
                 / nullif(sum(case when metric = 'tAnswered' then "count" end), 0) as asa_ms,
               sum(case when metric = 'oServiceLevel' then numerator end)
                 / nullif(sum(case when metric = 'oServiceLevel' then denominator end), 0) as service_level
        from conversation_aggregates
        where query_name = 'queue_hourly'
        group by media_type order by offered desc nulls last
    """
    warehouse = open_warehouse(warehouse_url)
    try:
        rows = warehouse.query(sql)
    finally:
        warehouse.close()
    keys = ("media_type", "offered", "answered", "abandoned", "aht_ms", "asa_ms", "service_level")
    return [dict(zip(keys, row, strict=True)) for row in rows]


def _print_kpis(rows: list[dict[str, Any]], out: Path) -> None:
    table = Table(title="Contact-centre KPIs (demo data)")
    for column in ("media", "offered", "answered", "abandon rate", "AHT", "ASA", "service level"):
        table.add_column(column, justify="left" if column == "media" else "right")
    for r in rows:
        offered = r["offered"] or 0
        table.add_row(
            str(r["media_type"]),
            f"{offered:,}",
            f"{r['answered'] or 0:,}",
            _pct((r["abandoned"] or 0) / offered if offered else None),
            _secs(r["aht_ms"]),
            _secs(r["asa_ms"]),
            _pct(r["service_level"]),
        )
    console = summary_console(stderr=False)
    console.print(table)
    console.print(f"Files and DuckDB warehouse: {out / 'gcexport.duckdb'}")


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * float(value):.1f}%"


def _secs(ms: float | None) -> str:
    return "-" if ms is None else f"{float(ms) / 1000:.0f}s"
