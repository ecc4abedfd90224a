"""Agent time datasets: `user_status_details`, `user_status_aggregates` and the dims pack that names their ids.

Self-contained so it can move onto the dataset registry (issue #18) as it is: each exporter takes
the shared `ExportContext` and one day's `Window` and returns a `DayResult`.

- `user_status_details`: a day wholly before the user details jobs' own availability watermark
  is read with a job (a backfill); later days with the query (the tail, an incremental run).
  The day owns the records that start in it, unclipped; a day holding a record still open is
  provisional, so later runs re-read it until every record that starts in it has closed.
- `user_status_aggregates`: one query per 100 users (every user, any state), buckets of
  `PT30M` in UTC (DATASETS.md §2), the buckets that start in the day; with `agent_interval_status`,
  the agent KPIs per bucket (occupancy and utilisation by agent and half hour).
- The dims pack (`presence_definitions`, `queue_members`, `skills`, `divisions`, `teams`,
  `groups`) is published as snapshots once per run that exports either dataset.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from typing import Any

import pyarrow as pa

from gcexport.api import lookups as lookups_api
from gcexport.api import users as users_api
from gcexport.api.paging import PollPolicy
from gcexport.client import Page
from gcexport.datasets import DayResult, ExportContext
from gcexport.loading import DayLoad, PartitionOutcome
from gcexport.models import Interval
from gcexport.timespan import Window
from gcexport.transform.agent_kpis import (
    AGENT_DAILY_SCHEMA,
    AGENT_INTERVAL_SCHEMA,
    agent_daily_status,
    agent_interval_status,
)
from gcexport.transform.agent_lookups import AGENT_LOOKUP_SCHEMAS, flatten_agent_lookup
from gcexport.transform.user_status import (
    PRESENCE_SCHEMA,
    ROUTING_SCHEMA,
    USER_AGGREGATES_SCHEMA,
    aggregate_table,
    status_rows,
    status_tables,
)

__all__ = [
    "AGENT_DATASETS",
    "AGENT_TABLE_SCHEMAS",
    "EXPORTERS",
    "STATUS_AGGREGATES",
    "STATUS_DETAILS",
    "agent_probes",
    "export_agent_lookups",
]

STATUS_DETAILS = "user_status_details"
STATUS_AGGREGATES = "user_status_aggregates"
AGENT_DATASETS = (STATUS_DETAILS, STATUS_AGGREGATES)
AGGREGATE_GRANULARITY = "PT30M"
_EARLIEST = datetime(2000, 1, 1, tzinfo=timezone.utc)
AGENT_TABLE_SCHEMAS: dict[str, pa.Schema] = {
    "user_presence": PRESENCE_SCHEMA,
    "user_routing_status": ROUTING_SCHEMA,
    "user_status_aggregates": USER_AGGREGATES_SCHEMA,
    "agent_daily_status": AGENT_DAILY_SCHEMA,
    "agent_interval_status": AGENT_INTERVAL_SCHEMA,
    **AGENT_LOOKUP_SCHEMAS,
}


def export_status_details(ctx: ExportContext, window: Window) -> DayResult:
    """One day of `user_presence` and `user_routing_status`, from a job or the query."""
    watermark = users_api.get_user_availability(ctx.client)
    use_job = ctx.settings.details.use_jobs and window.end <= watermark
    if use_job:
        pages: Iterable[Page] = users_api.iter_user_job_pages(
            ctx.client, window.start, window.end,
            page_size=ctx.settings.details.job_page_size,
            poll=PollPolicy.quick_first(ctx.settings.details.poll_seconds),
        )  # fmt: skip
    else:
        pages = users_api.iter_user_detail_pages(ctx.client, window.start, window.end)
    method = "job" if use_job else "query"
    details = [d for page in ctx.pages(f"users/details/{method}", pages) for d in page.items]
    presence, routing = status_tables(
        details, _interval(window), source=method, extracted_at=ctx.now
    )
    kpis = _daily_kpis(ctx, details, window)
    schemas = {"user_presence": PRESENCE_SCHEMA, "user_routing_status": ROUTING_SCHEMA,
               "agent_daily_status": AGENT_DAILY_SCHEMA}  # fmt: skip
    with DayLoad(ctx.load, STATUS_DETAILS, window.day, schemas=schemas) as load:
        load.add(
            {"user_presence": presence, "user_routing_status": routing, "agent_daily_status": kpis}
        )
        still_open = any(t.filter(t["is_open"]).num_rows for t in (presence, routing))
        load.provisional = still_open or window.end > ctx.now
        outcomes = load.commit()
    return DayResult(STATUS_DETAILS, window, outcomes, load.provisional, method=method)


def _daily_kpis(ctx: ExportContext, details: list[dict[str, Any]], window: Window) -> pa.Table:
    """`agent_daily_status` from every record the day's read returned, the earlier-starting ones too
    (the query misses only records spanning the whole day, which are OFFLINE / OFF_QUEUE in practice)."""
    everything = Interval.of(_EARLIEST, window.end)
    presence, routing = status_rows(details, everything, source="", extracted_at=ctx.now)
    return agent_daily_status(presence, routing, day=window.day, now=min(ctx.now, window.end))


def export_status_aggregates(ctx: ExportContext, window: Window) -> DayResult:
    """One day of `user_status_aggregates`: every user, batched by 100 per query."""
    user_ids = [
        u["id"]
        for page in ctx.pages("lookups/users", lookups_api.iter_users(ctx.client, state="any"))
        for u in page.items
    ]
    pages = users_api.iter_user_aggregate_pages(
        ctx.client, window.start, window.end, user_ids, granularity=AGGREGATE_GRANULARITY
    )
    responses = [page.json() for page in ctx.pages("users/aggregates/query", pages)]
    table = aggregate_table(
        responses, _interval(window), granularity=AGGREGATE_GRANULARITY, time_zone="UTC",
        extracted_at=ctx.now,
    )  # fmt: skip
    kpis = agent_interval_status(table.to_pylist())
    schemas = {
        "user_status_aggregates": USER_AGGREGATES_SCHEMA,
        "agent_interval_status": AGENT_INTERVAL_SCHEMA,
    }
    with DayLoad(ctx.load, STATUS_AGGREGATES, window.day, schemas=schemas) as load:
        load.add({"user_status_aggregates": table, "agent_interval_status": kpis})
        load.provisional = window.end > ctx.now
        outcomes = load.commit()
    return DayResult(STATUS_AGGREGATES, window, outcomes, load.provisional, method="query")


EXPORTERS: dict[str, Callable[[ExportContext, Window], DayResult]] = {
    STATUS_DETAILS: export_status_details,
    STATUS_AGGREGATES: export_status_aggregates,
}


def export_agent_lookups(ctx: ExportContext) -> list[PartitionOutcome]:
    """Publish the dims pack as snapshots dated the run's day."""
    client = ctx.client
    queues = [q["id"] for page in lookups_api.iter_queues(client) for q in page.items]
    sources: dict[str, Callable[[], list[dict[str, Any]]]] = {
        "presence_definitions": lambda: _all(ctx, "presence", users_api.iter_presence_definitions(client)),
        "queue_members": lambda: [
            {**m, "queueId": q}
            for q in queues
            for m in _all(ctx, "queue_members", users_api.iter_queue_members(client, q))
        ],
        "skills": lambda: _all(ctx, "skills", users_api.iter_skills(client)),
        "divisions": lambda: _all(ctx, "divisions", users_api.iter_divisions(client)),
        "teams": lambda: _all(ctx, "teams", users_api.iter_teams(client)),
        "groups": lambda: _all(ctx, "groups", users_api.iter_groups(client)),
    }  # fmt: skip
    outcomes: list[PartitionOutcome] = []
    day = ctx.now.date()
    with ctx.audit.context(dataset=STATUS_DETAILS, window="snapshot"):
        for name, fetch in sources.items():
            table = flatten_agent_lookup(name, fetch(), as_of=day)
            with DayLoad(ctx.load, "lookups", day, schemas={}, snapshot=True) as load:
                load.add({name: table})
                outcomes.extend(load.commit())
    return outcomes


def _all(ctx: ExportContext, name: str, pages: Iterable[Page]) -> list[dict[str, Any]]:
    return [e for page in ctx.pages(f"lookups/{name}", pages) for e in page.items]


def _interval(window: Window) -> Interval:
    return Interval.of(window.start, window.end)


def agent_probes(client: Any, interval: str) -> dict[str, tuple[str, Callable[[], str]]]:
    """`check` probes of the permissions agent time needs (DATASETS.md §1.1, §2.1, §3)."""

    def details() -> str:
        body = {"interval": interval, "paging": {"pageSize": 1, "pageNumber": 1}}
        query = client.request("POST", users_api.USER_DETAILS_QUERY_PATH, json=body)
        mark = users_api.get_user_availability(client).isoformat()
        names = [
            f"{path.rsplit('/', 1)[-1]} HTTP {client.request('GET', path).context.status}"
            for path in ("/api/v2/presence/definitions", "/api/v2/routing/skills", "/api/v2/teams",
                         "/api/v2/authorization/divisions", "/api/v2/groups")
        ]  # fmt: skip
        return f"HTTP {query.context.status}; jobs watermark {mark}; " + ", ".join(names)

    def aggregates() -> str:
        body = {"interval": interval, "metrics": ["tSystemPresence"], "groupBy": ["userId"]}
        page = client.request("POST", users_api.USER_AGGREGATES_PATH, json=body)
        return f"HTTP {page.context.status}"

    return {
        STATUS_DETAILS: (
            "analytics:userDetail:view, presence:presenceDefinition:view, routing:skill:view,"
            " groups:team:view",
            details,
        ),
        STATUS_AGGREGATES: ("analytics:userAggregate:view", aggregates),
    }
