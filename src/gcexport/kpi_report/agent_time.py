"""The report's agent-time section: occupancy and utilisation by agent and hour of day, from
`agent_interval_status` (the per-bucket agent KPIs of the `user_status_aggregates` dataset).

Definitions (the same as `transform/agent_kpis.py`, applied to the sums of the window's buckets):

- occupancy = time INTERACTING ÷ (time INTERACTING + time IDLE): how much of the agent's available
  on-queue time went to ACD work. NOT_RESPONDING, COMMUNICATING and OFF_QUEUE count on neither side.
- utilisation = time in presence ON_QUEUE ÷ time logged in (any presence but OFFLINE).

A bucket counts when it starts in the window; its hour is the hour of day its start falls in, in
the report's time zone, summed over the window's days. Each ratio is a ratio of sums, never an
average of ratios; it is empty where its denominator is 0.

Example::

    agent_time = fetch_agent_time(source, scope, tables)
    agent_time.totals["3b0a…"].occupancy
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone

from gcexport.kpi_report.scope import Scope, col, ts
from gcexport.kpi_report.source import Source
from gcexport.sinks.warehouse import quote_ident

__all__ = ["AGENT_TIME_TABLE", "AgentTime", "AgentTimeCell", "fetch_agent_time"]

AGENT_TIME_TABLE = "agent_interval_status"
_PARTS = ("logged_in_ms", "on_queue_ms", "interacting_ms", "idle_ms")


@dataclass
class AgentTimeCell:
    """Summed milliseconds of one agent (in one hour of day, or over the whole window)."""

    logged_in_ms: int = 0
    on_queue_ms: int = 0
    interacting_ms: int = 0
    idle_ms: int = 0

    def add(self, values: tuple[int, int, int, int]) -> None:
        self.logged_in_ms += values[0]
        self.on_queue_ms += values[1]
        self.interacting_ms += values[2]
        self.idle_ms += values[3]

    @property
    def occupancy(self) -> float | None:
        """INTERACTING ÷ (INTERACTING + IDLE); None when the agent was neither."""
        busy = self.interacting_ms + self.idle_ms
        return self.interacting_ms / busy if busy else None

    @property
    def utilisation(self) -> float | None:
        """ON_QUEUE ÷ logged in; None when the agent was not logged in."""
        return self.on_queue_ms / self.logged_in_ms if self.logged_in_ms else None


@dataclass(frozen=True)
class AgentTime:
    """`available` is False when the warehouse holds no agent time (the section is left out)."""

    available: bool
    hours: dict[str, dict[int, AgentTimeCell]] = field(default_factory=dict)
    totals: dict[str, AgentTimeCell] = field(default_factory=dict)

    def busiest(self, limit: int) -> list[str]:
        """The agents with the most time logged in, most first (ties by id)."""
        ranked = sorted(self.totals.items(), key=lambda kv: (-kv[1].logged_in_ms, kv[0]))
        return [user for user, cell in ranked[:limit] if cell.logged_in_ms > 0]


def fetch_agent_time(source: Source, scope: Scope, tables: set[str]) -> AgentTime:
    """Per agent: the window's sums in total and per local hour of day (one SQL query)."""
    if AGENT_TIME_TABLE not in tables:
        return AgentTime(available=False)
    start, user = col("interval_start"), col("user_id")
    sums = ", ".join(f"coalesce(sum({col(p)}), 0)" for p in _PARTS)
    rows = source.query(
        f"select {user}, {start}, {sums} from {quote_ident(AGENT_TIME_TABLE)} "
        f"where {start} >= {ts(scope.start)} and {start} < {ts(scope.end)} and {user} is not null "
        f"group by {user}, {start}"
    )
    hours: dict[str, dict[int, AgentTimeCell]] = defaultdict(lambda: defaultdict(AgentTimeCell))
    totals: dict[str, AgentTimeCell] = defaultdict(AgentTimeCell)
    for row in rows:
        values = (int(row[2]), int(row[3]), int(row[4]), int(row[5]))
        hour = _aware(row[1]).astimezone(scope.zone).hour
        hours[str(row[0])][hour].add(values)
        totals[str(row[0])].add(values)
    return AgentTime(
        available=True, hours={u: dict(h) for u, h in hours.items()}, totals=dict(totals)
    )


def _aware(moment: datetime) -> datetime:
    """Warehouses hand back UTC instants with or without their zone: make it explicit."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)
