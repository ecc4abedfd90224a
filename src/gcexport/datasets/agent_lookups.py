"""The dims pack that names agent time's ids: `presence_definitions`, `queue_members`, `skills`,
`divisions`, `teams`, `groups` — published as snapshots once per run that exports either agent-time
dataset (their shared run step)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gcexport.api import lookups as lookups_api
from gcexport.api import users as users_api
from gcexport.datasets._common import items
from gcexport.datasets.base import ExportContext
from gcexport.loading import DayLoad, PartitionOutcome
from gcexport.transform.agent_lookups import AGENT_LOOKUP_SCHEMAS, flatten_agent_lookup

__all__ = ["AGENT_LOOKUP_SCHEMAS", "publish_agent_lookups"]


def publish_agent_lookups(ctx: ExportContext) -> list[PartitionOutcome]:
    """Publish the dims pack as snapshots dated the run's day."""
    client = ctx.client
    queues = [q["id"] for page in lookups_api.iter_queues(client) for q in page.items]
    sources: dict[str, Callable[[], list[dict[str, Any]]]] = {
        "presence_definitions": lambda: items(ctx, "lookups/presence", users_api.iter_presence_definitions(client)),
        "queue_members": lambda: [
            {**m, "queueId": q}
            for q in queues
            for m in items(ctx, "lookups/queue_members", users_api.iter_queue_members(client, q))
        ],
        "skills": lambda: items(ctx, "lookups/skills", users_api.iter_skills(client)),
        "divisions": lambda: items(ctx, "lookups/divisions", users_api.iter_divisions(client)),
        "teams": lambda: items(ctx, "lookups/teams", users_api.iter_teams(client)),
        "groups": lambda: items(ctx, "lookups/groups", users_api.iter_groups(client)),
    }  # fmt: skip
    outcomes: list[PartitionOutcome] = []
    day = ctx.now.date()
    with ctx.audit.context(dataset="user_status_details", window="snapshot"):
        for name, fetch in sources.items():
            table = flatten_agent_lookup(name, fetch(), as_of=day)
            with DayLoad(ctx.load, "lookups", day, schemas={}, snapshot=True) as load:
                load.add({name: table})
                outcomes.extend(load.commit())
    return outcomes
