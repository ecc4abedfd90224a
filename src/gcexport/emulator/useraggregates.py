"""User status aggregates (DATASETS.md §2): time in each status per bucket, grouped by userId.

`sum` is the overlap in milliseconds of each status record with each bucket (§2.5); only
(user, bucket, qualifier) with a positive sum are emitted, groups without data are omitted, and
`systemToOrganizationMappings` lists the presences present in the result.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from typing import Any

from gcexport.emulator.agents import AgentTime, Status
from gcexport.emulator.aggregates import AggregateQuery, parse_names
from gcexport.emulator.facts import buckets, parse_zone
from gcexport.emulator.filters import Family, parse_filter, row_lookup
from gcexport.emulator.http import Call, Reply, Routes
from gcexport.emulator.problems import bad_request
from gcexport.emulator.wire import iso

USER_METRICS = ("tSystemPresence", "tOrganizationPresence", "tAgentRoutingStatus")
USER_GROUP_BY = ("userId",)
MAX_USERS = 100  # "to retrieve data for more than 100 users simply break it up" (DATASETS.md §2.2)
FAMILY = Family("UserAggregate", USER_GROUP_BY, ())

Sums = dict[tuple[str, ...], dict[int, dict[tuple[str, str], int]]]


UserAggregateQuery = AggregateQuery  # a validated UserAggregationQuery: the same fields


def parse_query(body: dict[str, Any]) -> UserAggregateQuery:
    """Validate like the service: three metrics, userId the only dimension, at most 100 users."""
    start, end, metrics, group_by = parse_names(
        body,
        metrics=USER_METRICS,
        metrics_enum="UserAggregationQueryMetrics",
        group_by=USER_GROUP_BY,
        group_by_enum="UserAggregateDimension",
    )
    raw_filter = body.get("filter")
    filter_ = None
    if raw_filter is not None:
        filter_ = parse_filter(raw_filter, FAMILY)  # other dimensions: 400 invalid.value
        if _user_predicates(raw_filter) > MAX_USERS:
            raise bad_request(
                f"A user aggregate query may name at most {MAX_USERS} users; break it up into several queries."
            )
    zone = parse_zone(body.get("timeZone", "UTC"))
    intervals = buckets(start, end, body.get("granularity"), zone)
    return UserAggregateQuery(
        start, end, intervals, tuple(group_by), tuple(dict.fromkeys(metrics)), filter_
    )


def _user_predicates(raw: dict[str, Any]) -> int:
    own = sum(1 for p in raw.get("predicates") or [] if p.get("dimension") == "userId")
    return own + sum(_user_predicates(c) for c in raw.get("clauses") or [])


def _qualifiers(kind: str, record: Status, metrics: tuple[str, ...]) -> list[tuple[str, str]]:
    if kind == "routing":
        return [("tAgentRoutingStatus", record.value)] if "tAgentRoutingStatus" in metrics else []
    found = []
    if "tSystemPresence" in metrics:
        found.append(("tSystemPresence", record.value))
    if "tOrganizationPresence" in metrics and record.org_id:
        found.append(("tOrganizationPresence", record.org_id))
    return found


def _overlaps(record: Status, start: int, end: int, now: int) -> bool:
    return record.start < end and (record.end if record.end is not None else now) > start


def bucket_sums(
    records: list[tuple[str, Status]],
    intervals: list[tuple[int, int]],
    metrics: tuple[str, ...],
    now: int,
) -> dict[int, dict[tuple[str, str], int]]:
    """bucket index → (metric, qualifier) → ms: the overlap of each record with each bucket (§2.5);
    an open record counts up to now."""
    sums: dict[int, dict[tuple[str, str], int]] = defaultdict(lambda: defaultdict(int))
    edges = [start for start, _ in intervals]
    for kind, record in records:
        end = record.end if record.end is not None else now
        first = max(0, bisect.bisect_right(edges, record.start) - 1)
        for index in range(first, len(intervals)):
            lo, hi = intervals[index]
            if lo >= end:
                break
            overlap = min(hi, end) - max(lo, record.start)
            if overlap > 0:
                for pair in _qualifiers(kind, record, metrics):
                    sums[index][pair] += overlap
    return sums


def compute(
    agents: AgentTime, query: UserAggregateQuery, now: int
) -> tuple[Sums, dict[str, set[str]]]:
    """group key → bucket index → (metric, qualifier) → ms; and system presence → org presence ids seen."""
    sums: Sums = defaultdict(lambda: defaultdict(lambda: defaultdict(int)))
    mappings: dict[str, set[str]] = defaultdict(set)
    for user_id in agents.user_ids():
        if query.filter is not None and not query.filter.test(row_lookup({"userId": user_id})):
            continue
        key = (user_id,) if query.group_by else ()
        timeline = agents.timeline(user_id, query.start, query.end, now)
        records = [("presence", r) for r in timeline.presence]
        records += [("routing", r) for r in timeline.routing]
        for index, pairs in bucket_sums(records, query.intervals, query.metrics, now).items():
            for pair, ms in pairs.items():
                sums[key][index][pair] += ms
        for record in timeline.presence:
            if record.org_id and _overlaps(record, query.start, query.end, now):
                mappings[record.value].add(record.org_id)
    return sums, mappings


def render(query: UserAggregateQuery, sums: Sums, mappings: dict[str, set[str]]) -> dict[str, Any]:
    """The UserAggregateQueryResponse; metrics in query order, then qualifier order."""
    results = []
    order = {m: i for i, m in enumerate(query.metrics)}
    for key in sorted(sums):
        data = []
        for index in sorted(sums[key]):
            pairs = sorted(sums[key][index].items(), key=lambda kv: (order[kv[0][0]], kv[0][1]))
            metrics = [
                {"metric": m, "qualifier": q, "stats": {"sum": ms}}
                for (m, q), ms in pairs
                if ms > 0
            ]
            if metrics:
                start, end = query.intervals[index]
                data.append({"interval": f"{iso(start)}/{iso(end)}", "metrics": metrics})
        if data:
            results.append({"group": {"userId": key[0]}, "data": data} if key else {"data": data})
    if not results:
        return {}
    body: dict[str, Any] = {}
    if {"tSystemPresence", "tOrganizationPresence"} & set(query.metrics):
        body["systemToOrganizationMappings"] = {
            s: sorted(ids) for s, ids in sorted(mappings.items())
        }
    body["results"] = results
    return body


def add_routes(routes: Routes, agents: AgentTime) -> None:
    """Register POST /api/v2/analytics/users/aggregates/query."""

    def post_query(call: Call) -> Reply:
        query = parse_query(call.json())
        now = agents.backend.now_ms()
        return Reply.json(render(query, *compute(agents, query, now)))

    routes.add("POST", "/api/v2/analytics/users/aggregates/query", post_query)
