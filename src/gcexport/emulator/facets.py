"""Details-query `aggregations` (REFERENCE.md §3.4): termFrequency over a dimension, numericRange over a metric.

termFrequency counts matching conversations per value (a conversation counts once per value it
carries on any segment); numericRange counts metric values (ms for timers) per `[gte, lt)` range.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from gcexport.emulator.filters import segment_rows
from gcexport.emulator.problems import bad_request, invalid_value
from gcexport.emulator.vocabulary import (
    CONVERSATION_DIMENSIONS,
    CONVERSATION_METRICS,
    SEGMENT_DIMENSIONS,
)

_TYPES = ("termFrequency", "numericRange")
_DIMENSIONS = tuple(sorted(set(CONVERSATION_DIMENSIONS) | set(SEGMENT_DIMENSIONS)))


@dataclass(frozen=True)
class Facet:
    """One requested aggregation."""

    type: str
    name: str
    size: int
    ranges: tuple[tuple[float | None, float | None], ...]


def parse_facets(raw: Any) -> list[Facet]:
    """Validate `aggregations`; 400s name the bad value like the service does."""
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        raise bad_request()
    return [_facet(item) for item in raw]


def _facet(item: dict[str, Any]) -> Facet:
    kind = item.get("type")
    if kind not in _TYPES:
        raise invalid_value(kind, "AnalyticsQueryAggregationType", _TYPES)
    if kind == "termFrequency":
        dimension = item.get("dimension")
        if dimension not in _DIMENSIONS:
            raise invalid_value(dimension, "AnalyticsQueryAggregationDimension", _DIMENSIONS)
        return Facet(kind, dimension, int(item.get("size", 10)), ())
    metric = item.get("metric")
    if metric not in CONVERSATION_METRICS:
        raise invalid_value(metric, "AnalyticsQueryAggregationMetric", CONVERSATION_METRICS)
    ranges = tuple(
        (r.get("gte"), r.get("lt")) for r in item.get("ranges") or [] if isinstance(r, dict)
    )
    if not ranges:
        raise bad_request("A numericRange aggregation needs at least one range.")
    return Facet(kind, metric, 0, ranges)


def compute_facets(
    facets: list[Facet], conversations: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """One AggregationResult per facet, over every matching conversation."""
    return [
        _term(f, conversations) if f.type == "termFrequency" else _range(f, conversations)
        for f in facets
    ]


def _term(facet: Facet, conversations: list[dict[str, Any]]) -> dict[str, Any]:
    counts: Counter[str] = Counter()
    for conversation in conversations:
        values = {row[facet.name] for row in segment_rows(conversation) if facet.name in row}
        counts.update(str(v).lower() if isinstance(v, bool) else str(v) for v in values)
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[: facet.size]
    return {"type": facet.type, "dimension": facet.name, "count": sum(counts.values()),
            "results": [{"value": value, "count": count} for value, count in top]}  # fmt: skip


def _range(facet: Facet, conversations: list[dict[str, Any]]) -> dict[str, Any]:
    values = [m["value"] for c in conversations for p in c["participants"] for s in p["sessions"]
              for m in s.get("metrics", ()) if m["name"] == facet.name]  # fmt: skip
    results = []
    for gte, lt in facet.ranges:
        inside = sum(1 for v in values if (gte is None or v >= gte) and (lt is None or v < lt))
        entry: dict[str, Any] = {"count": inside}
        if gte is not None:
            entry["gte"] = gte
        if lt is not None:
            entry["lt"] = lt
        results.append(entry)
    return {"type": facet.type, "metric": facet.name, "count": len(values), "results": results}
