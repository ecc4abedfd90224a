"""`gcexport report`: a self-contained HTML KPI report with charts, built with SQL over the warehouse.

The file needs no network to open: styles and charts (SVG) are inline, nothing is fetched.

Example::

    result = build_report("duckdb:///data/gcexport.duckdb", start=None, end=None, queues=[],
                          out=Path("report.html"), time_zone="Europe/London")
    result.headline["abandon_rate"]
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from gcexport.errors import ConfigError, DestinationError, GcExportError
from gcexport.kpi_report import queries
from gcexport.kpi_report.agent_time import fetch_agent_time
from gcexport.kpi_report.checks import KpiFlag, impossible_shares
from gcexport.kpi_report.names import fetch_unnamed
from gcexport.kpi_report.page import ReportData, render_page
from gcexport.kpi_report.quality import fetch_quality
from gcexport.kpi_report.scope import Scope, resolve_scope
from gcexport.kpi_report.source import Source, open_source, require_tables

if TYPE_CHECKING:
    from gcexport.config import Settings

__all__ = ["MIN_VOLUME", "ReportResult", "build_report", "build_report_command"]

MIN_VOLUME = 10  # rate points resting on fewer interactions are marked as low volume


@dataclass(frozen=True)
class ReportResult:
    """The written file and the headline KPIs shown in it (user KPIs included)."""

    path: Path
    headline: dict[str, float | int | None]


def build_report(
    warehouse_url: str,
    *,
    start: datetime | None,
    end: datetime | None,
    queues: Sequence[str],
    out: Path,
    time_zone: str = "UTC",
    service_level_target: float | None = None,
    custom_kpis: Mapping[str, str] = {},
    min_volume: int = MIN_VOLUME,
) -> ReportResult:
    """Query the warehouse for `[start, end)` (default: all its data) and write the HTML to `out`.

    Rate points resting on fewer than `min_volume` interactions are marked as low volume.
    """
    if min_volume < 0:
        raise ConfigError(f"the minimum volume must be 0 or more, not {min_volume}")
    source = open_source(warehouse_url)
    try:
        tables = require_tables(source, warehouse_url)
        scope = resolve_scope(
            source, start=start, end=end, queue_names=queues, time_zone=time_zone, tables=tables
        )
        data = _collect(source, scope, tables, custom_kpis, service_level_target)
        data = replace(data, min_volume=min_volume)
    finally:
        source.close()
    _write(out, render_page(data))
    return ReportResult(path=out, headline=dict(data.headline))


def _collect(
    source: Source,
    scope: Scope,
    tables: set[str],
    custom_kpis: Mapping[str, str],
    target: float | None,
) -> ReportData:
    headline = queries.fetch_headline(source, scope, custom_kpis=custom_kpis)
    if target is not None:
        headline["service_level_target"] = target
    target_value = headline.get("service_level_target")
    by_media = queries.fetch_grouped(source, scope, ["media_type"], custom_kpis=custom_kpis)
    users = queries.fetch_user_labels(source, tables)
    wrapup_names = queries.fetch_lookup(source, "wrapup_codes", tables)
    return ReportData(
        scope=scope,
        headline=headline,
        service_level_target=None if target_value is None else float(target_value),
        buckets=queries.fetch_buckets(source, scope),
        queue_handle=queries.fetch_queue_handle(source, scope),
        wrapups=queries.fetch_wrapups(source, scope),
        agents=queries.fetch_agents(source, scope),
        quality=fetch_quality(source, scope, tables),
        custom_kpis=dict(custom_kpis),
        users=users,
        wrapup_names=wrapup_names,
        unnamed=fetch_unnamed(source, scope, wrapup_names=wrapup_names, users=users),
        by_media=[(key[0], values) for key, values in by_media],
        kpi_flags=_flags(source, scope, headline, by_media, custom_kpis),
        agent_time=fetch_agent_time(source, scope, tables),
    )


def _flags(
    source: Source,
    scope: Scope,
    headline: dict[str, float | int | None],
    by_media: list[tuple[tuple[str, ...], dict[str, float | int | None]]],
    custom_kpis: Mapping[str, str],
) -> list[KpiFlag]:
    """Shares outside [0, 1] over the window: in total, per media type, per queue × media type.

    Not per interval: a conversation's timers are emitted when each ends, so one hour may hold
    a talk time whose handle time falls in the next, and a true share may leave [0, 1] there.
    """
    cells = queries.fetch_grouped(
        source, scope, ["queue_id", "media_type"], custom_kpis=custom_kpis
    )
    names = scope.queue_names
    rows = [("all media", headline), *((key[0], values) for key, values in by_media)]
    rows += [(f"{names.get(q, q)} · {m}", values) for (q, m), values in cells]
    return impossible_shares(rows)


def _write(out: Path, html: str) -> None:
    """Write next to the target and rename, so a reader never sees half a report."""
    partial = out.with_name(out.name + ".partial")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        partial.write_text(html, encoding="utf-8")
        partial.replace(out)
    except OSError as exc:
        raise DestinationError(f"cannot write the report to {out}: {exc.strerror or exc}") from exc


def build_report_command(
    settings: Settings,
    *,
    start: datetime | None,
    end: datetime | None,
    queues: list[str],
    out: Path,
    min_volume: int = MIN_VOLUME,
    presign: str | None = None,
) -> int:
    """The CLI's `gcexport report`: build from the configured warehouse, print the path, exit code.

    With `presign` (e.g. "24h") the report is also uploaded next to the s3:// output and a
    presigned link to it is printed on a second line.
    """
    from gcexport.sharing import parse_presign, share_report

    try:
        expires = parse_presign(presign, out=settings.export.out) if presign else None
        url = settings.export.warehouse_url()
        if url is None:
            raise ConfigError(
                "no warehouse to report from: pass --warehouse duckdb:///path/file.duckdb"
            )
        result = build_report(
            url,
            start=start,
            end=end,
            queues=queues,
            out=out,
            time_zone=_time_zone(settings),
            custom_kpis=settings.kpis,
            min_volume=min_volume,
        )
        link = share_report(settings, result.path, expires=expires) if expires else None
    except GcExportError as exc:
        print(f"gcexport: error: {exc}", file=sys.stderr)
        return exc.exit_code
    print(result.path)
    if link:
        print(link)
    return 0


def _time_zone(settings: Settings) -> str:
    """The zone of the first aggregate query grouped by queue (its buckets follow that zone)."""
    for spec in settings.aggregates:
        if "queueId" in spec.group_by and "userId" not in spec.group_by:
            return spec.time_zone
    return settings.aggregates[0].time_zone if settings.aggregates else "UTC"
