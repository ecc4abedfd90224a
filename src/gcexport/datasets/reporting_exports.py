"""`reporting_exports`: the configured analytics reporting exports (CSV views), one table per view.

Each `[[reporting_exports]]` spec is one export job per day (REFERENCE.md §9); its CSV becomes
`report_<view_type>` with the spec's `column_map`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from types import MappingProxyType

from gcexport.api import exports as exports_api
from gcexport.client import GenesysClient
from gcexport.config import Settings
from gcexport.datasets._common import DatasetBase, day_is_final, interval, with_partition_date
from gcexport.datasets.base import DayResult, ExportContext
from gcexport.loading import DayLoad, PartitionOutcome
from gcexport.models import Interval, ReportExportRequest
from gcexport.timespan import Window
from gcexport.transform import parse_report_csv

__all__ = ["DATASET", "REPORTS", "ReportingExports"]

REPORTS = "reporting_exports"
METADATA_PATH = "/api/v2/analytics/reporting/exports/metadata"
PROBE_WINDOW = Window.for_day(date(2026, 1, 1))  # any day: the models need an interval


def report_table(view_type: str) -> str:
    """The table a view's export lands in."""
    return f"report_{view_type.lower()}"


class ReportingExports(DatasetBase):
    name = REPORTS
    summary = "reporting (view) exports: create, poll, download the CSV"
    permission = "analytics:dataExport:view"
    section = "reporting_exports"
    tables = MappingProxyType(
        {}
    )  # one per configured view: `report_<view_type>`, schema from the CSV's header
    doc_tables = "`report_<view type lowercased>`"

    def table_names(self, settings: Settings) -> tuple[str, ...]:
        return tuple(report_table(spec.view_type) for spec in settings.reporting_exports)

    def requests(self, settings: Settings) -> Sequence[ReportExportRequest]:
        probe = Interval.of(PROBE_WINDOW.start, PROBE_WINDOW.end)
        return [
            ReportExportRequest.model_validate(
                {
                    "name": f"gcexport {spec.view_type}",
                    "view_type": spec.view_type,
                    "interval": probe,
                    "period": spec.period,
                    "time_zone": spec.time_zone,
                    "filter": spec.filter,
                }
            )
            for spec in settings.reporting_exports
        ]

    def export(self, ctx: ExportContext, window: Window) -> DayResult:
        return _export_reports(ctx, window)

    def check(self, client: GenesysClient, interval: str) -> str:
        page = client.request("GET", METADATA_PATH, params={"pageSize": 1}, items_key="entities")
        return f"metadata HTTP {page.context.status}"


DATASET = ReportingExports()


def _export_reports(ctx: ExportContext, window: Window) -> DayResult:
    requests = [r for r in ctx.requests.get(REPORTS, ()) if isinstance(r, ReportExportRequest)]
    outcomes: list[PartitionOutcome] = []
    provisional = not day_is_final(ctx, DATASET, window)
    for request, spec in zip(requests, ctx.settings.reporting_exports, strict=True):
        result = exports_api.run_export(
            ctx.client, request.model_copy(update={"interval": interval(window)})
        )
        table = parse_report_csv(result.csv, view_type=spec.view_type, column_map=spec.column_map)
        table = with_partition_date(table, window.day)
        ctx.audit.page(endpoint="reporting/exports", rows=table.num_rows, context=None)
        ctx.on_rows(table.num_rows)
        name = report_table(spec.view_type)
        with DayLoad(ctx.load, REPORTS, window.day, schemas={name: table.schema}) as load:
            load.add({name: table})
            load.provisional = provisional
            outcomes.extend(load.commit())
    return DayResult(REPORTS, window, outcomes, provisional, method="export")
