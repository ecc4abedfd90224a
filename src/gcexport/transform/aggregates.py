"""Aggregate query results (REFERENCE.md §6.1) → the long `conversation_aggregates` table."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

import orjson
import pyarrow as pa

from gcexport.errors import DataError
from gcexport.timespan import parse_timestamp
from gcexport.transform.columns import TIMESTAMP
from gcexport.transform.schemas import TAIL
from gcexport.transform.spec import snake

# The common group dimensions of §6.2 get their own column; the other ~70 go to `group_extra`.
GROUP_COLUMNS = (
    "queueId",
    "mediaType",
    "userId",
    "wrapUpCode",
    "direction",
    "originatingDirection",
    "purpose",
    "divisionId",
    "teamId",
    "messageType",
    "interactionType",
    "disconnectType",
    "usedRouting",
    "requestedLanguageId",
    "outboundCampaignId",
    "dnis",
    "flowOutType",
)
# StatisticalSummary, §6.1: which are filled depends on the metric's class.
STATS: dict[str, pa.DataType] = {
    "max": pa.float64(),
    "min": pa.float64(),
    "count": pa.int64(),
    "countNegative": pa.int64(),
    "countPositive": pa.int64(),
    "sum": pa.float64(),
    "current": pa.float64(),
    "ratio": pa.float64(),
    "numerator": pa.float64(),
    "denominator": pa.float64(),
    "target": pa.float64(),
    "p95": pa.int64(),
    "p99": pa.int64(),
    "calculatedMetricValue": pa.int64(),
}

AGGREGATES_SCHEMA = pa.schema(
    [
        pa.field("interval_start", TIMESTAMP),
        pa.field("interval_end", TIMESTAMP),
        pa.field("granularity", pa.string()),
        pa.field("time_zone", pa.string()),
        pa.field("query_name", pa.string()),
        *(pa.field(snake(d), pa.string()) for d in GROUP_COLUMNS),
        pa.field("group_extra", pa.string()),
        pa.field("kind", pa.string()),
        pa.field("metric", pa.string()),
        pa.field("qualifier", pa.string()),
        *(pa.field(snake(s), t) for s, t in STATS.items()),
        *TAIL,
    ]
)


def flatten_aggregates(
    results: Sequence[dict[str, Any]],
    *,
    granularity: str | None,
    time_zone: str,
    group_by: Sequence[str],
    query_name: str,
) -> pa.Table:
    """One row per (group, interval, metric or view); every stat a column.

    `results` is the `results` array of one or more responses. Rows of views (`data[].views`)
    carry `kind="view"` and the view's name in `metric`. `group_by` names the requested
    dimensions; those without a column of their own land in `group_extra`::

        table = flatten_aggregates(body["results"], granularity="PT1H", time_zone="UTC",
                                   group_by=["queueId", "mediaType"], query_name="queues")
    """
    del group_by  # the groups in the response are authoritative; kept for the caller's record
    context = {"granularity": granularity, "time_zone": time_zone, "query_name": query_name}
    rows = [row for result in results for row in _result_rows(result, context)]
    columns = {f.name: [row.get(f.name) for row in rows] for f in AGGREGATES_SCHEMA}
    return pa.Table.from_pydict(columns, schema=AGGREGATES_SCHEMA)


def _result_rows(result: dict[str, Any], context: dict[str, Any]) -> list[dict[str, Any]]:
    group = dict(result.get("group") or {})
    base = dict(context)
    for dim in GROUP_COLUMNS:
        if dim in group:
            base[snake(dim)] = str(group.pop(dim))
    base["group_extra"] = orjson.dumps(group).decode() if group else None
    leftovers = {k: v for k, v in result.items() if k not in ("group", "data")}
    rows = []
    for bucket in result.get("data") or []:
        start, end = parse_interval(bucket.get("interval", ""))
        bucket_base = {
            **base,
            "interval_start": start,
            "interval_end": end,
            "partition_date": start.date(),
        }
        bucket_extra = {
            k: v for k, v in bucket.items() if k not in ("interval", "metrics", "views")
        }
        for kind, key, items in (("metric", "metric", "metrics"), ("view", "name", "views")):
            for item in bucket.get(items) or []:
                rows.append(_stat_row(bucket_base, kind, key, item, {**leftovers, **bucket_extra}))
    return rows


def _stat_row(
    base: dict[str, Any], kind: str, key: str, item: dict[str, Any], outer: dict[str, Any]
) -> dict[str, Any]:
    row = {**base, "kind": kind, "metric": item.get(key), "qualifier": item.get("qualifier")}
    stats = dict(item.get("stats") or {})
    for stat in STATS:
        if stat in stats:
            row[snake(stat)] = stats.pop(stat)
    extra = {k: v for k, v in item.items() if k not in (key, "qualifier", "stats")}
    if stats:
        extra["stats"] = stats
    extra.update(outer)
    row["extra"] = orjson.dumps(extra).decode() if extra else None
    return row


def parse_interval(interval: str) -> tuple[datetime, datetime]:
    """`"2025-03-01T00:00:00.000Z/2025-03-02T00:00:00.000Z"` → two UTC datetimes."""
    try:
        start, end = (parse_timestamp(part) for part in interval.split("/"))
    except ValueError as exc:
        raise DataError(f"aggregate interval {interval!r} is not 'start/end' in ISO-8601") from exc
    return _utc(start), _utc(end)


def _utc(stamp: datetime) -> datetime:
    return stamp.astimezone(timezone.utc) if stamp.tzinfo else stamp.replace(tzinfo=timezone.utc)
