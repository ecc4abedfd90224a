"""The analytics filter grammar (REFERENCE.md §3.2): parse and validate a filter, then test rows against it."""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from gcexport.emulator.problems import bad_request, invalid_value
from gcexport.emulator.vocabulary import (
    AGGREGATE_FILTER_DIMENSIONS,
    CONVERSATION_DIMENSIONS,
    CONVERSATION_METRICS,
    SEGMENT_DIMENSIONS,
)

_TYPES = ("and", "or")
_OPERATORS = ("matches", "exists", "notExists")
_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "gt": operator.gt, "gte": operator.ge, "lt": operator.lt, "lte": operator.le,
}  # fmt: skip


@dataclass(frozen=True)
class Family:
    """What one filter family may name, and the field types its error messages cite."""

    name: str
    dimensions: tuple[str, ...]
    metrics: tuple[str, ...]


CONVERSATION = Family(
    "ConversationDetailQueryPredicate", CONVERSATION_DIMENSIONS, CONVERSATION_METRICS
)
SEGMENT = Family("SegmentDetailQueryPredicate", SEGMENT_DIMENSIONS, ("tSegmentDuration",))
AGGREGATE = Family("ConversationAggregateQueryPredicate", AGGREGATE_FILTER_DIMENSIONS, ())


@dataclass(frozen=True)
class Predicate:
    """One test: a dimension or metric, an operator, and a string value or numeric range."""

    metric: bool
    name: str
    operator: str
    value: str | None
    range: tuple[tuple[str, float], ...]

    def holds(self, values: list[Any]) -> bool:
        if self.operator == "exists":
            return bool(values)
        if self.operator == "notExists":
            return not values
        if self.range:
            return any(_in_range(v, self.range) for v in values)
        return any(_text(v) == self.value for v in values)


@dataclass(frozen=True)
class Filter:
    """`type` and/or over predicates and clauses (clauses are filters without clauses)."""

    type: str
    predicates: tuple[Predicate, ...]
    clauses: tuple[Filter, ...]

    def test(self, lookup: Callable[[Predicate], list[Any]]) -> bool:
        results: Iterable[bool] = (
            *(p.holds(lookup(p)) for p in self.predicates),
            *(c.test(lookup) for c in self.clauses),
        )
        return all(results) if self.type == "and" else any(results)

    def names(self) -> set[str]:
        """Every dimension or metric the filter mentions."""
        return {p.name for p in self.predicates} | {n for c in self.clauses for n in c.names()}


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _in_range(value: Any, bounds: tuple[tuple[str, float], ...]) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return all(_COMPARE[key](value, bound) for key, bound in bounds)


def parse_filters(raw: Any, family: Family) -> list[Filter]:
    """A list of filters (ANDed by the caller); raises ApiError 400 like the real service."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise bad_request()
    return [parse_filter(item, family) for item in raw]


def parse_filter(raw: Any, family: Family, *, depth: int = 0) -> Filter:
    if not isinstance(raw, dict):
        raise bad_request()
    kind = raw.get("type")
    if kind not in _TYPES:
        raise invalid_value(kind, "QueryFilterType", _TYPES)
    predicates = tuple(_predicate(p, family) for p in raw.get("predicates") or [])
    clauses_raw = raw.get("clauses") or []
    if depth > 0 and clauses_raw:
        raise bad_request("Filters may only be nested two levels: filter, clauses, predicates.")
    clauses = tuple(parse_filter(c, family, depth=1) for c in clauses_raw)
    return Filter(kind, predicates, clauses)


def _predicate(raw: Any, family: Family) -> Predicate:
    if not isinstance(raw, dict):
        raise bad_request()
    op = raw.get("operator", "matches")
    if op not in _OPERATORS:
        raise invalid_value(op, "QueryPredicateOperator", _OPERATORS)
    if "metric" in raw:
        name, metric = raw["metric"], True
        if name not in family.metrics:
            raise invalid_value(name, f"{family.name}Metric", family.metrics)
    else:
        name, metric = raw.get("dimension"), False
        if name not in family.dimensions:
            raise invalid_value(name, f"{family.name}Dimension", family.dimensions)
    bounds = raw.get("range") or {}
    if not isinstance(bounds, dict) or any(k not in ("gt", "gte", "lt", "lte") for k in bounds):
        raise bad_request()
    value = raw.get("value")
    if op == "matches" and value is None and not bounds:
        raise bad_request(f"A value or range is required for the predicate on [{name}].")
    return Predicate(
        metric,
        name,
        op,
        None if value is None else str(value),
        tuple((k, float(v)) for k, v in bounds.items()),
    )


def conversation_matches(
    conversation: dict[str, Any], conv_filters: list[Filter], seg_filters: list[Filter]
) -> bool:
    """Details semantics: conversation filters on conversation fields/metrics; segment filters on any one segment."""
    if conv_filters:
        lookup = _conversation_lookup(conversation)
        if not all(f.test(lookup) for f in conv_filters):
            return False
    if seg_filters:
        rows = list(segment_rows(conversation))
        return all(any(f.test(_row_lookup(row)) for row in rows) for f in seg_filters)
    return True


def _conversation_lookup(conversation: dict[str, Any]) -> Callable[[Predicate], list[Any]]:
    def lookup(pred: Predicate) -> list[Any]:
        if pred.metric:
            return [m["value"] for p in conversation["participants"] for s in p["sessions"]
                    for m in s.get("metrics", ()) if m["name"] == pred.name]  # fmt: skip
        if pred.name == "divisionId":
            return list(conversation.get("divisionIds", ()))
        value = conversation.get(pred.name)
        return [] if value is None else [value]

    return lookup


def _row_lookup(row: dict[str, Any]) -> Callable[[Predicate], list[Any]]:
    def lookup(pred: Predicate) -> list[Any]:
        value = row.get(pred.name)
        return [] if value is None else [value]

    return lookup


def row_lookup(row: dict[str, Any]) -> Callable[[Predicate], list[Any]]:
    """Lookup over one flat row of dimension values (aggregate facts)."""
    return _row_lookup(row)


def segment_rows(conversation: dict[str, Any]) -> Iterable[dict[str, Any]]:
    """One flat row per segment: conversation, participant, session and segment scalars merged."""
    base = {k: v for k, v in conversation.items() if not isinstance(v, (list, dict))}
    for part in conversation["participants"]:
        part_row = {**base, **{k: v for k, v in part.items() if not isinstance(v, (list, dict))}}
        for session in part["sessions"]:
            sess_row = {
                **part_row,
                **{k: v for k, v in session.items() if not isinstance(v, (list, dict))},
            }
            for seg in session["segments"]:
                yield {
                    **sess_row,
                    **{k: v for k, v in seg.items() if not isinstance(v, (list, dict))},
                }
