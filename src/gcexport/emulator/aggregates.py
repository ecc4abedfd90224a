"""The conversation aggregates query (REFERENCE.md §6): buckets × groups × metrics, stats per metric class."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from gcexport.emulator.backend import Backend
from gcexport.emulator.facts import Fact, buckets, iter_facts, parse_zone
from gcexport.emulator.filters import AGGREGATE, Filter, parse_filter, row_lookup
from gcexport.emulator.http import Call, Reply, Routes
from gcexport.emulator.problems import bad_request, invalid_value
from gcexport.emulator.vocabulary import AGGREGATE_GROUP_BY, AGGREGATE_METRICS
from gcexport.emulator.wire import iso, parse_interval


@dataclass(frozen=True)
class AggregateQuery:
    """A validated ConversationAggregationQuery."""

    start: int
    end: int
    intervals: list[tuple[int, int]]
    group_by: tuple[str, ...]
    metrics: tuple[str, ...]
    filter: Filter | None


def parse_names(
    body: dict[str, Any],
    *,
    metrics: tuple[str, ...] | list[str],
    metrics_enum: str,
    group_by: tuple[str, ...] | list[str],
    group_by_enum: str,
) -> tuple[int, int, list[str], list[str]]:
    """The interval, metrics and groupBy of any aggregation query, validated like the service."""
    try:
        start, end = parse_interval(body.get("interval"))
    except ValueError:
        raise bad_request(
            "The interval is required and must be 'start/end' ISO-8601 instants."
        ) from None
    asked = body.get("metrics")
    if not isinstance(asked, list) or not asked:
        raise bad_request("At least one metric is required.")
    for name in asked:
        if name not in metrics:
            raise invalid_value(name, metrics_enum, metrics)
    grouped = body.get("groupBy") or []
    for name in grouped:
        if name not in group_by:
            raise invalid_value(name, group_by_enum, group_by)
    return start, end, asked, grouped


def parse_query(body: dict[str, Any]) -> AggregateQuery:
    """Validate like the service: required interval and metrics, known names, a usable granularity."""
    start, end, metrics, group_by = parse_names(
        body,
        metrics=AGGREGATE_METRICS,
        metrics_enum="ConversationAggregationQueryMetrics",
        group_by=AGGREGATE_GROUP_BY,
        group_by_enum="ConversationAggregationQueryGroupBy",
    )
    zone = parse_zone(body.get("timeZone", "UTC"))
    raw_filter = body.get("filter")
    filter_ = parse_filter(raw_filter, AGGREGATE) if raw_filter is not None else None
    intervals = buckets(start, end, body.get("granularity"), zone)
    return AggregateQuery(
        start, end, intervals, tuple(group_by), tuple(dict.fromkeys(metrics)), filter_
    )


def _bucket_of(intervals: list[tuple[int, int]], emit: int) -> int:
    lo, hi = 0, len(intervals) - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if intervals[mid][0] <= emit:
            lo = mid
        else:
            hi = mid - 1
    return lo


def compute(
    backend: Backend, query: AggregateQuery
) -> dict[tuple[tuple[str, str], ...], dict[int, dict[str, list[Fact]]]]:
    """group key → bucket index → metric → facts."""
    wanted = set(query.metrics)
    sl = bool(wanted & {"oServiceLevel", "oServiceTarget"})
    table: dict[tuple[tuple[str, str], ...], dict[int, dict[str, list[Fact]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(list))
    )
    for fact in iter_facts(backend, query.start, query.end):
        if fact.metric not in wanted and not (sl and fact.metric == "oServiceLevel"):
            continue
        if query.filter is not None and not query.filter.test(row_lookup(fact.dims)):
            continue
        key = tuple((d, str(fact.dims[d])) for d in query.group_by if d in fact.dims)
        table[key][_bucket_of(query.intervals, fact.emit)][fact.metric].append(fact)
    return table


def stats(metric: str, facts: list[Fact]) -> dict[str, Any] | None:
    """The StatisticalSummary for a metric class (§6.1): timers, counters, oServiceLevel, oServiceTarget."""
    if metric in ("oServiceLevel", "oServiceTarget"):
        targets = {f.sl_target for f in facts}
        target = targets.pop() if len(targets) == 1 else None
        if metric == "oServiceTarget":
            return None if target is None else {"current": target}
        numerator = sum(1 for f in facts if f.answered_in_sl)
        body: dict[str, Any] = {
            "ratio": numerator / len(facts),
            "numerator": numerator,
            "denominator": len(facts),
        }
        if target is not None:
            body["target"] = target
        return body
    if metric.startswith("n"):
        return {"count": sum(f.value for f in facts)}
    values = [f.value for f in facts]
    return {"max": max(values), "min": min(values), "count": len(values), "sum": sum(values)}


def render(
    query: AggregateQuery,
    table: dict[tuple[tuple[str, str], ...], dict[int, dict[str, list[Fact]]]],
) -> dict[str, Any]:
    """The response body; metrics, buckets and groups without data are omitted; nothing at all → {}."""
    results = []
    for key in sorted(table):
        data = []
        for index in sorted(table[key]):
            by_metric = table[key][index]
            source = {
                m: by_metric.get("oServiceLevel" if m == "oServiceTarget" else m)
                for m in query.metrics
            }
            metrics = [
                {"metric": m, "stats": s}
                for m, facts in source.items()
                if facts
                for s in [stats(m, facts)]
                if s
            ]
            if metrics:
                start, end = query.intervals[index]
                data.append({"interval": f"{iso(start)}/{iso(end)}", "metrics": metrics})
        if data:
            results.append({"group": dict(key), "data": data} if key else {"data": data})
    return {"results": results} if results else {}


def add_routes(routes: Routes, backend: Backend) -> None:
    """Register POST /api/v2/analytics/conversations/aggregates/query."""

    def post_query(call: Call) -> Reply:
        query = parse_query(call.json())
        return Reply.json(render(query, compute(backend, query)))

    routes.add("POST", "/api/v2/analytics/conversations/aggregates/query", post_query)
