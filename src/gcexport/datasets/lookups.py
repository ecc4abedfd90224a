"""`lookups`: queues, users (any state) and wrap-up codes, published as snapshots dated the run's day.

Not day-partitioned: its run step publishes the snapshots once per run that names it (and hands
the queues to `conversation_aggregates`' KPIs).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from types import MappingProxyType
from typing import Any

import pyarrow as pa

from gcexport.api import lookups as lookups_api
from gcexport.client import GenesysClient, Page
from gcexport.datasets._common import DatasetBase, items, with_partition_date
from gcexport.datasets.base import ExportContext
from gcexport.loading import DayLoad, PartitionOutcome
from gcexport.transform import TABLE_SCHEMAS, flatten_queues, flatten_users, flatten_wrapup_codes

__all__ = ["DATASET", "LOOKUPS", "Lookups", "fetch_queues"]

LOOKUPS = "lookups"
_Source = tuple[
    Callable[[GenesysClient], Iterable[Page]], Callable[[list[dict[str, Any]]], pa.Table]
]
SOURCES: dict[str, _Source] = {
    "queues": (lookups_api.iter_queues, flatten_queues),
    "users": (lambda client: lookups_api.iter_users(client, state="any"), flatten_users),
    "wrapup_codes": (lookups_api.iter_wrapup_codes, flatten_wrapup_codes),
}


def fetch_queues(ctx: ExportContext) -> pa.Table:
    """The queues snapshot, read (and audited) but not published."""
    with ctx.audit.context(dataset=LOOKUPS, window="snapshot"):
        return _table(ctx, "queues")


def publish_lookups(ctx: ExportContext) -> list[PartitionOutcome]:
    """Publish every lookup as a snapshot dated the run's day; the queues also go to `ctx.queues`."""
    outcomes: list[PartitionOutcome] = []
    with ctx.audit.context(dataset=LOOKUPS, window="snapshot"):
        for name in SOURCES:
            table = _table(ctx, name)
            ctx.queues = table if name == "queues" else ctx.queues
            with DayLoad(ctx.load, LOOKUPS, ctx.now.date(), schemas={}, snapshot=True) as load:
                load.add({name: table})
                outcomes.extend(load.commit())
    return outcomes


def _table(ctx: ExportContext, name: str) -> pa.Table:
    iter_pages, flatten = SOURCES[name]
    entities = items(ctx, f"lookups/{name}", iter_pages(ctx.client))
    return with_partition_date(flatten(entities), ctx.now.date())


class Lookups(DatasetBase):
    name = LOOKUPS
    summary = "queues, users (`state=any`, so deleted agents still resolve), wrap-up codes"
    day_partitioned = False
    permission = "routing:queue:view, users"
    tables = MappingProxyType({name: TABLE_SCHEMAS[name] for name in SOURCES})
    run_step = staticmethod(publish_lookups)

    def check(self, client: GenesysClient, interval: str) -> str:
        found = []
        for path in ("/api/v2/routing/queues", "/api/v2/users"):
            page = client.request("GET", path, params={"pageSize": 1}, items_key="entities")
            found.append(f"{path.rsplit('/', 1)[-1]} HTTP {page.context.status}")
        return "; ".join(found)


DATASET = Lookups()
