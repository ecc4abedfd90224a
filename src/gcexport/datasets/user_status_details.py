"""`user_status_details`: each agent's presence and routing-status records of a day, and their daily KPIs.

A day wholly before the user details jobs' own availability watermark is read with a job (a
backfill); later days with the query (the tail, an incremental run). The day owns the records that
start in it, unclipped; a day holding a record still open is provisional, so later runs re-read it
until every record that starts in it has closed. Opt-in (`--dataset user_status_details`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from types import MappingProxyType
from typing import Any

import pyarrow as pa

from gcexport.api import users as users_api
from gcexport.api.paging import PollPolicy
from gcexport.client import GenesysClient, Page
from gcexport.datasets._common import DatasetBase, interval
from gcexport.datasets.agent_lookups import AGENT_LOOKUP_SCHEMAS, publish_agent_lookups
from gcexport.datasets.base import DayResult, ExportContext
from gcexport.loading import DayLoad
from gcexport.models import Interval
from gcexport.timespan import Window
from gcexport.transform.agent_kpis import AGENT_DAILY_SCHEMA, agent_daily_status
from gcexport.transform.user_status import (
    PRESENCE_SCHEMA,
    ROUTING_SCHEMA,
    status_rows,
    status_tables,
)

__all__ = ["DATASET", "STATUS_DETAILS", "UserStatusDetails"]

STATUS_DETAILS = "user_status_details"
_EARLIEST = datetime(2000, 1, 1, tzinfo=timezone.utc)
_DIMS_PATHS = (
    "/api/v2/presence/definitions",
    "/api/v2/routing/skills",
    "/api/v2/teams",
    "/api/v2/authorization/divisions",
    "/api/v2/groups",
)


class UserStatusDetails(DatasetBase):
    name = STATUS_DETAILS
    summary = (
        "users details jobs for days before their own availability watermark, the users "
        "details query for the tail; the dims pack (snapshots)"
    )
    default = False
    permission = (
        "analytics:userDetail:view, presence:presenceDefinition:view, routing:skill:view,"
        " groups:team:view"
    )
    section = "details"
    tables = MappingProxyType(
        {
            "user_presence": PRESENCE_SCHEMA,
            "user_routing_status": ROUTING_SCHEMA,
            "agent_daily_status": AGENT_DAILY_SCHEMA,
            **AGENT_LOOKUP_SCHEMAS,
        }
    )
    snapshot_tables = frozenset(AGENT_LOOKUP_SCHEMAS)  # the dims pack, taken by the run step
    run_step = staticmethod(publish_agent_lookups)

    def is_final(
        self,
        window: Window,
        *,
        now: datetime,
        watermark: datetime | None,
        settle: timedelta,
        live: bool = False,
    ) -> bool:
        """The day has ended and none of the records that start in it is still open."""
        return not live and window.end <= now

    def export(self, ctx: ExportContext, window: Window) -> DayResult:
        return _export_status_details(ctx, window)

    def check(self, client: GenesysClient, interval: str) -> str:
        body = {"interval": interval, "paging": {"pageSize": 1, "pageNumber": 1}}
        query = client.request("POST", users_api.USER_DETAILS_QUERY_PATH, json=body)
        mark = users_api.get_user_availability(client).isoformat()
        names = [
            f"{path.rsplit('/', 1)[-1]} HTTP {client.request('GET', path).context.status}"
            for path in _DIMS_PATHS
        ]
        return f"HTTP {query.context.status}; jobs watermark {mark}; " + ", ".join(names)


DATASET = UserStatusDetails()


def _export_status_details(ctx: ExportContext, window: Window) -> DayResult:
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
        details, interval(window), source=method, extracted_at=ctx.now
    )
    kpis = _daily_kpis(ctx, details, window)
    schemas = {"user_presence": PRESENCE_SCHEMA, "user_routing_status": ROUTING_SCHEMA,
               "agent_daily_status": AGENT_DAILY_SCHEMA}  # fmt: skip
    with DayLoad(ctx.load, STATUS_DETAILS, window.day, schemas=schemas) as load:
        load.add(
            {"user_presence": presence, "user_routing_status": routing, "agent_daily_status": kpis}
        )
        still_open = any(t.filter(t["is_open"]).num_rows for t in (presence, routing))
        load.provisional = not DATASET.is_final(
            window, now=ctx.now, watermark=None, settle=timedelta(0), live=still_open
        )
        outcomes = load.commit()
    return DayResult(STATUS_DETAILS, window, outcomes, load.provisional, method=method)


def _daily_kpis(ctx: ExportContext, details: list[dict[str, Any]], window: Window) -> pa.Table:
    """`agent_daily_status` from every record the day's read returned, the earlier-starting ones too
    (the query misses only records spanning the whole day, which are OFFLINE / OFF_QUEUE in practice)."""
    everything = Interval.of(_EARLIEST, window.end)
    presence, routing = status_rows(details, everything, source="", extracted_at=ctx.now)
    return agent_daily_status(presence, routing, day=window.day, now=min(ctx.now, window.end))
