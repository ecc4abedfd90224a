"""`user_status_aggregates`: time in each presence and routing status per agent and half hour.

One query per 100 users (every user, any state), buckets of `PT30M` in UTC (DATASETS.md §2), the
buckets that start in the day; with `agent_interval_status`, the agent KPIs per bucket (occupancy
and utilisation by agent and half hour). Opt-in (`--dataset user_status_aggregates`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from types import MappingProxyType

from gcexport.api import lookups as lookups_api
from gcexport.api import users as users_api
from gcexport.client import GenesysClient
from gcexport.datasets._common import DatasetBase, interval
from gcexport.datasets.agent_lookups import AGENT_LOOKUP_SCHEMAS, publish_agent_lookups
from gcexport.datasets.base import DayResult, ExportContext
from gcexport.loading import DayLoad
from gcexport.timespan import Window
from gcexport.transform.agent_kpis import AGENT_INTERVAL_SCHEMA, agent_interval_status
from gcexport.transform.user_status import USER_AGGREGATES_SCHEMA, aggregate_table

__all__ = ["DATASET", "STATUS_AGGREGATES", "UserStatusAggregates"]

STATUS_AGGREGATES = "user_status_aggregates"
AGGREGATE_GRANULARITY = "PT30M"


class UserStatusAggregates(DatasetBase):
    name = STATUS_AGGREGATES
    summary = (
        "users aggregates query (`tSystemPresence`, `tOrganizationPresence`, "
        "`tAgentRoutingStatus`, grouped by `userId`, 100 users per query, `PT30M` buckets in "
        "UTC); the dims pack (snapshots)"
    )
    default = False
    permission = "analytics:userAggregate:view"
    tables = MappingProxyType(
        {
            "user_status_aggregates": USER_AGGREGATES_SCHEMA,
            "agent_interval_status": AGENT_INTERVAL_SCHEMA,
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
        """The day has ended."""
        return window.end <= now

    def export(self, ctx: ExportContext, window: Window) -> DayResult:
        return _export_status_aggregates(ctx, window)

    def check(self, client: GenesysClient, interval: str) -> str:
        body = {"interval": interval, "metrics": ["tSystemPresence"], "groupBy": ["userId"]}
        page = client.request("POST", users_api.USER_AGGREGATES_PATH, json=body)
        return f"HTTP {page.context.status}"


DATASET = UserStatusAggregates()


def _export_status_aggregates(ctx: ExportContext, window: Window) -> DayResult:
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
        responses, interval(window), granularity=AGGREGATE_GRANULARITY, time_zone="UTC",
        extracted_at=ctx.now,
    )  # fmt: skip
    kpis = agent_interval_status(table.to_pylist())
    schemas = {
        "user_status_aggregates": USER_AGGREGATES_SCHEMA,
        "agent_interval_status": AGENT_INTERVAL_SCHEMA,
    }
    with DayLoad(ctx.load, STATUS_AGGREGATES, window.day, schemas=schemas) as load:
        load.add({"user_status_aggregates": table, "agent_interval_status": kpis})
        load.provisional = not DATASET.is_final(
            window, now=ctx.now, watermark=None, settle=timedelta(0)
        )
        outcomes = load.commit()
    return DayResult(STATUS_AGGREGATES, window, outcomes, load.provisional, method="query")
