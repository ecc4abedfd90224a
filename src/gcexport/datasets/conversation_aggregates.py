"""`conversation_aggregates`: the configured aggregate queries per day, and `queue_kpis` from them.

Each `[[aggregates]]` spec is one query (REFERENCE.md §6); its rows carry the spec's name, so two
queries that differ only in name stay apart. The queue KPIs need the queues snapshot (`lookups`),
fetched once per run (unpublished unless `lookups` is in the run too).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta, timezone
from types import MappingProxyType
from zoneinfo import ZoneInfo

import pyarrow as pa

from gcexport.api import aggregates as aggregates_api
from gcexport.client import GenesysClient
from gcexport.config import Settings
from gcexport.datasets._common import DatasetBase, day_is_final, interval, with_partition_date
from gcexport.datasets.base import DayResult, ExportContext
from gcexport.datasets.lookups import fetch_queues
from gcexport.loading import DayLoad, PartitionOutcome
from gcexport.models import AggregateQuery, Interval
from gcexport.timespan import Window
from gcexport.transform import TABLE_SCHEMAS, compute_queue_kpis, flatten_aggregates

__all__ = ["AGGREGATES", "DATASET", "ConversationAggregates", "zone_day"]

AGGREGATES = "conversation_aggregates"
QUERY_PATH = "/api/v2/analytics/conversations/aggregates/query"
PROBE_WINDOW = Window.for_day(date(2026, 1, 1))  # any day: the models need an interval


def _load_queues(ctx: ExportContext) -> list[PartitionOutcome]:
    """The queues the KPIs name, unless the run's `lookups` step already read them."""
    if ctx.queues is None:
        ctx.queues = fetch_queues(ctx)
    return []


class ConversationAggregates(DatasetBase):
    name = AGGREGATES
    summary = (
        "aggregates query, per configured query (metrics, groupBy, granularity, filter, time zone)"
    )
    permission = "analytics:conversationAggregate:view"
    section = "aggregates"
    tables = MappingProxyType(
        {AGGREGATES: TABLE_SCHEMAS[AGGREGATES], "queue_kpis": TABLE_SCHEMAS["queue_kpis"]}
    )
    run_step = staticmethod(_load_queues)

    def requests(self, settings: Settings) -> Sequence[AggregateQuery]:
        probe = Interval.of(PROBE_WINDOW.start, PROBE_WINDOW.end)
        return [
            AggregateQuery.model_validate(
                {
                    "interval": probe,
                    "metrics": spec.metrics,
                    "granularity": spec.granularity,
                    "time_zone": spec.time_zone,
                    "group_by": spec.group_by,
                    "filter": spec.filter,
                }
            )
            for spec in settings.aggregates
        ]

    def export(self, ctx: ExportContext, window: Window) -> DayResult:
        return _export_aggregates(ctx, window)

    def check(self, client: GenesysClient, interval: str) -> str:
        body = {"interval": interval, "metrics": ["nOffered"]}
        page = client.request("POST", QUERY_PATH, json=body, items_key="results")
        return f"HTTP {page.context.status}"


DATASET = ConversationAggregates()


def _export_aggregates(ctx: ExportContext, window: Window) -> DayResult:
    queries = [q for q in ctx.requests.get(AGGREGATES, ()) if isinstance(q, AggregateQuery)]
    parts: list[pa.Table] = []
    with DayLoad(ctx.load, AGGREGATES, window.day, schemas=dict(DATASET.tables)) as load:
        for query, spec in zip(queries, ctx.settings.aggregates, strict=True):
            spec_pages = aggregates_api.iter_pages(
                ctx.client, query.with_interval(zone_day(window, query.time_zone))
            )
            results = [
                item for page in ctx.pages("aggregates/query", spec_pages) for item in page.items
            ]
            table = flatten_aggregates(
                results,
                granularity=query.granularity,
                time_zone=query.time_zone or "UTC",
                group_by=query.group_by or [],
                query_name=spec.name,
            )
            table = with_partition_date(table, window.day)  # the zone's day, not the UTC date
            parts.append(table)
            load.add({AGGREGATES: table})
        merged = pa.concat_tables(parts) if parts else TABLE_SCHEMAS[AGGREGATES].empty_table()
        kpis = compute_queue_kpis(merged, ctx.queues, custom_kpis=ctx.settings.kpis)
        load.add({"queue_kpis": kpis})
        latest = max((zone_day(window, q.time_zone).end for q in queries), default=window.end)
        # a day in a zone west of UTC ends after the UTC day: final by the later end
        ends = Window(window.start, max(window.end, latest))
        load.provisional = not day_is_final(ctx, DATASET, ends)
        outcomes = load.commit()
    return DayResult(AGGREGATES, window, outcomes, load.provisional, method="query")


def zone_day(window: Window, time_zone: str | None) -> Interval:
    """The window's day in an aggregate query's time zone (REFERENCE.md §16 item 8).

    Calendar buckets (P1D and coarser) follow the zone's days, so a query in a zone other than
    UTC asks for the zone's day — local midnight to local midnight, 23 or 25 hours at a DST
    change — and its rows land in that day's partition. UTC (or no zone): the UTC day.
    """
    if not time_zone or time_zone == "UTC":
        return interval(window)
    zone = ZoneInfo(time_zone)
    start = datetime.combine(window.day, time(), zone)
    end = datetime.combine(window.day + timedelta(days=1), time(), zone)
    return Interval.of(start.astimezone(timezone.utc), end.astimezone(timezone.utc))
