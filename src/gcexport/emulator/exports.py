"""Reporting (view) exports (REFERENCE.md §7): create, list, metadata, and a CSV download.

Status moves SUBMITTED → RUNNING → COMPLETED on the emulator clock. The CSV is served the way the
real API serves it (another origin, then a redirect to a signed URL): see `downloads.py`.
Data exists for QUEUE_PERFORMANCE_SUMMARY_VIEW and AGENT_PERFORMANCE_SUMMARY_VIEW (computed from the
same facts as aggregates, one row per period bucket × entity × media type; a deleted queue's rows
have its id and an empty name); any other valid view type ends FAILED with
`exportErrorMessagesType` FAILED_CONVERTING_EXPORT_JOB.
"""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass, field
from typing import Any

from gcexport.emulator.aggregates import AggregateQuery, compute, stats
from gcexport.emulator.backend import Backend
from gcexport.emulator.downloads import download_url
from gcexport.emulator.facts import Fact, buckets, parse_zone
from gcexport.emulator.filters import AGGREGATE, parse_filter
from gcexport.emulator.http import Call, Reply, Routes
from gcexport.emulator.lookups import listing
from gcexport.emulator.problems import bad_request, invalid_value, not_found
from gcexport.emulator.vocabulary import VIEW_TYPES
from gcexport.emulator.wire import iso, parse_interval

REQUIRED = (
    "name",
    "timeZone",
    "exportFormat",
    "interval",
    "period",
    "viewType",
    "filter",
    "locale",
)
_ECHO = ("timeZone", "exportFormat", "interval", "viewType", "period", "filter", "read", "locale",
         "hasFormatDurations", "hasSplitFilters", "excludeEmptyRows", "hasSplitByMedia", "hasSummaryRow",
         "csvDelimiter", "selectedColumns", "hasCustomParticipantAttributes", "recipientEmails",
         "includeDurationFormatInHeader", "durationFormat", "chartColumns")  # fmt: skip
_FILTER_DIMS = (("mediaTypes", "mediaType"), ("queueIds", "queueId"), ("userIds", "userId"),
                ("wrapUpCodes", "wrapUpCode"), ("directions", "direction"), ("originatingDirections", "originatingDirection"))  # fmt: skip
QUEUE_VIEW, AGENT_VIEW = "QUEUE_PERFORMANCE_SUMMARY_VIEW", "AGENT_PERFORMANCE_SUMMARY_VIEW"
_QUEUE_COLUMNS = (("Offer", "nOffered", "count"), ("Answer", "tAnswered", "count"), ("Abandon", "tAbandon", "count"),
                  ("Avg Answer", "tAnswered", "avg"), ("Avg Abandon", "tAbandon", "avg"), ("Avg Talk", "tTalk", "avg"),
                  ("Total Talk", "tTalk", "sum"), ("Avg Hold", "tHeld", "avg"), ("Total Hold", "tHeld", "sum"),
                  ("Avg ACW", "tAcw", "avg"), ("Total ACW", "tAcw", "sum"), ("Avg Handle", "tHandle", "avg"),
                  ("Total Handle", "tHandle", "sum"), ("Transfer", "nTransferred", "count"), ("Service Level %", "oServiceLevel", "sl"))  # fmt: skip
_AGENT_COLUMNS = (("Answer", "tAnswered", "count"), ("Avg Talk", "tTalk", "avg"), ("Total Talk", "tTalk", "sum"),
                  ("Avg Hold", "tHeld", "avg"), ("Total Hold", "tHeld", "sum"), ("Avg ACW", "tAcw", "avg"),
                  ("Total ACW", "tAcw", "sum"), ("Avg Handle", "tHandle", "avg"), ("Total Handle", "tHandle", "sum"),
                  ("Transfer", "nTransferred", "count"), ("Outbound", "nOutbound", "count"))  # fmt: skip


@dataclass
class Export:
    """One export job as requested, and when it was created."""

    id: str
    request: dict[str, Any]
    created_mono: float
    created_ms: int
    base_url: str
    download_id: str = field(default_factory=lambda: uuid.uuid4().hex[:16])
    deleted: bool = False


class ExportBook:
    """Every export of one emulator."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.exports: list[Export] = []

    def create(self, body: dict[str, Any], base_url: str) -> Export:
        for name in REQUIRED:
            if body.get(name) in (None, ""):
                raise bad_request(f"The field [{name}] is required.")
        if body["viewType"] not in VIEW_TYPES:
            raise invalid_value(body["viewType"], "ViewType", VIEW_TYPES)
        if body["exportFormat"] not in ("CSV", "PDF"):
            raise invalid_value(body["exportFormat"], "ExportFormat", ("CSV", "PDF"))
        if not isinstance(body["filter"], dict):
            raise bad_request("The field [filter] must be a ViewFilter object.")
        for name in _required_filters(body["viewType"]):  # as its metadata says (§16 item 6)
            if not body["filter"].get(name):
                raise bad_request(
                    f"The filter [{name}] is required for the view type [{body['viewType']}]."
                )
        self._query(body)  # validate interval, period and time zone now, not at download time
        export = Export(
            str(uuid.uuid4()), body, self.backend.clock.monotonic(), self.backend.now_ms(), base_url
        )
        self.exports.append(export)
        return export

    def status(self, export: Export) -> str:
        elapsed = self.backend.clock.monotonic() - export.created_mono
        running = self.backend.config.export_running_seconds
        if elapsed < running / 2:
            return "SUBMITTED"
        if elapsed < running:
            return "RUNNING"
        return "COMPLETED" if export.request["viewType"] in (QUEUE_VIEW, AGENT_VIEW) else "FAILED"

    def entity(self, export: Export) -> dict[str, Any]:
        """The ReportingExportJobResponse."""
        status, req = self.status(export), export.request
        body: dict[str, Any] = {
            "id": export.id,
            "name": req["name"],
            "runId": export.id,
            "status": status,
        }
        body.update((k, req[k]) for k in _ECHO[:3] if k in req)
        if status == "COMPLETED":
            body["downloadUrl"] = download_url(export.base_url, export.download_id)
        body["viewType"] = req["viewType"]
        if status == "FAILED":
            body["exportErrorMessagesType"] = "FAILED_CONVERTING_EXPORT_JOB"
        body.update((k, req[k]) for k in _ECHO[4:] if k in req)
        body.setdefault("read", False)  # required in ReportingExportJobResponse (§16 item 9)
        done = {"COMPLETED": 100.0, "FAILED": 100.0, "RUNNING": 50.0}.get(status, 0.0)
        body.update(
            createdDateTime=iso(export.created_ms),
            modifiedDateTime=iso(export.created_ms),
            percentageComplete=done,
        )
        body.update(
            exportAllowedToRerun=True,
            enabled=False,
            selfUri=f"/api/v2/analytics/reporting/exports/{export.id}",
        )
        return body

    def file(self, download_id: str) -> bytes | None:
        """The CSV behind a download id, or None when no finished export has that id."""
        export = next(
            (e for e in self.exports if e.download_id == download_id and not e.deleted), None
        )
        if export is None or self.status(export) != "COMPLETED":
            return None
        return self.csv(export)

    def _query(self, req: dict[str, Any]) -> AggregateQuery:
        try:
            start, end = parse_interval(req["interval"])
        except ValueError:
            raise bad_request("The interval must be 'start/end' ISO-8601 instants.") from None
        intervals = buckets(start, end, req["period"], parse_zone(req["timeZone"]))
        group = (
            ("queueId", "mediaType") if req["viewType"] == QUEUE_VIEW else ("userId", "mediaType")
        )
        metrics = tuple(dict.fromkeys(m for _, m, _ in _QUEUE_COLUMNS + _AGENT_COLUMNS))
        return AggregateQuery(start, end, intervals, group, metrics, _view_filter(req["filter"]))

    def csv(self, export: Export) -> bytes:
        """The export file: header row, then one row per bucket × entity × media type."""
        req = export.request
        query = self._query(req)
        table = compute(self.backend, query)
        queue_view = req["viewType"] == QUEUE_VIEW
        columns = _QUEUE_COLUMNS if queue_view else _AGENT_COLUMNS
        # A deleted queue keeps its rows (its conversations still count) but the real export can no
        # longer resolve its name: "Queue Id" carries the id, "Queue Name" is left empty, as a name
        # lookup that finds nothing leaves it (§16 item 9). Empty, not the id again: the id has its
        # own column, and an empty cell is what a consumer joins or coalesces on (the exporter's
        # typed parse reads it as null, like the null `queue_name` of `queue_kpis`).
        names = {q.id: q.name for q in self.backend.org.listed_queues()} | {
            u["id"]: u["name"] for u in self.backend.org.users
        }
        head = ["Interval Start", "Interval End", "Queue Id" if queue_view else "Agent Id",
                "Queue Name" if queue_view else "Agent Name", "Media Type", *(c[0] for c in columns)]  # fmt: skip
        rows = []
        for key, by_bucket in table.items():
            group = dict(key)
            if group.get(query.group_by[0]) is None or "mediaType" not in group:
                continue
            entity = group[query.group_by[0]]
            for index, by_metric in by_bucket.items():
                start, end = query.intervals[index]
                cells = [
                    _cell(by_metric.get(metric, []), metric, how) for _, metric, how in columns
                ]
                rows.append(
                    [
                        iso(start),
                        iso(end),
                        entity,
                        names.get(entity, ""),
                        group["mediaType"],
                        *cells,
                    ]
                )
        rows.sort(key=lambda r: (r[0], r[3], r[2], r[4]))
        out = io.StringIO()
        writer = csv.writer(
            out,
            delimiter=";" if req.get("csvDelimiter") == "SEMICOLON" else ",",
            lineterminator="\n",
        )
        writer.writerows([head, *rows])
        return out.getvalue().encode()


def _cell(facts: list[Fact], metric: str, how: str) -> str:
    if not facts:
        return "0" if how in ("count", "sum") else ""
    summary = stats(metric, facts) or {}
    if how == "sl":
        return f"{summary['ratio'] * 100:.2f}"
    if how == "count":
        return str(summary["count"])
    return str(summary["sum"]) if how == "sum" else str(round(summary["sum"] / summary["count"]))


def _view_filter(view_filter: dict[str, Any]) -> Any:
    clauses = [{"type": "or", "predicates": [{"dimension": dim, "value": str(v)} for v in view_filter[key]]}
               for key, dim in _FILTER_DIMS if view_filter.get(key)]  # fmt: skip
    return parse_filter({"type": "and", "clauses": clauses}, AGGREGATE) if clauses else None


def _required_filters(view_type: str) -> list[str]:
    listed = view_type in (QUEUE_VIEW, AGENT_VIEW)
    return list(_metadata(view_type)["requiredFilters"]) if listed else []


def _metadata(view_type: str) -> dict[str, Any]:
    columns = _QUEUE_COLUMNS if view_type == QUEUE_VIEW else _AGENT_COLUMNS
    return {
        "id": view_type, "name": view_type, "viewType": view_type, "dateLimitations": "Up to 1 year of history",
        "requiredFilters": ["mediaTypes"], "supportedFilters": [k for k, _ in _FILTER_DIMS],
        "requiredColumnIds": [], "availableColumnIds": [c[0] for c in columns],
        "selfUri": f"/api/v2/analytics/reporting/exports/metadata/{view_type}",
    }  # fmt: skip


def add_routes(routes: Routes, book: ExportBook) -> None:
    """Register create, list and metadata (downloads: `downloads.add_routes`)."""

    def post_export(call: Call) -> Reply:
        return Reply.json(book.entity(book.create(call.json(), call.base_url)))

    def get_exports(call: Call) -> Reply:
        return Reply.json(listing(call, [book.entity(e) for e in book.exports if not e.deleted]))

    def delete_export(call: Call) -> Reply:
        """Accepted by the real API though SDK 269 does not document it (§16 item 8)."""
        export = next((e for e in book.exports if e.id == call.params["exportId"]), None)
        if export is None or export.deleted:
            raise not_found()
        export.deleted = True
        return Reply(204)

    def get_metadata(call: Call) -> Reply:
        return Reply.json(listing(call, [_metadata(v) for v in (QUEUE_VIEW, AGENT_VIEW)]))

    routes.add("POST", "/api/v2/analytics/reporting/exports", post_export)
    routes.add("GET", "/api/v2/analytics/reporting/exports", get_exports)
    routes.add("GET", "/api/v2/analytics/reporting/exports/metadata", get_metadata)
    routes.add("DELETE", "/api/v2/analytics/reporting/exports/{exportId}", delete_export)
