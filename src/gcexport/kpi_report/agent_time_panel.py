"""HTML of the agent-time section: occupancy and utilisation by agent and hour of day, as two shaded
tables (a cell's shade grows with its value, and the value is printed, so it reads in greyscale).

Example::

    html = render_agent_time(agent_time, users={"3b0a…": "Ada Lovelace"}, time_zone="UTC")
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from html import escape

from gcexport.kpi_report import formats
from gcexport.kpi_report.agent_time import AgentTime, AgentTimeCell
from gcexport.kpi_report.media import scroll

__all__ = ["AGENT_TIME_DEFINITIONS", "hours", "render_agent_time"]

MAX_AGENTS = 15
AGENT_TIME_DEFINITIONS = {
    "occupancy": "Occupancy = time INTERACTING ÷ (time INTERACTING + time IDLE), routing status "
    "(tAgentRoutingStatus sums): the share of available on-queue time spent on ACD work.",
    "utilisation": "Utilisation = time in presence ON_QUEUE ÷ time logged in (any presence but "
    "OFFLINE; tSystemPresence sums): the share of logged-in time spent on queue.",
}


def hours(value: float | int | None) -> str:
    """Milliseconds as hours with one decimal."""
    return formats.DASH if value is None else f"{float(value) / 3_600_000:.1f} h"


def render_agent_time(agent_time: AgentTime, users: Mapping[str, str], time_zone: str) -> str:
    """The section, or "" when the warehouse holds no agent time."""
    if not agent_time.available:
        return ""
    agents = agent_time.busiest(MAX_AGENTS)
    if not agents:
        body = '<p class="empty">No agent time in the chosen window.</p>'
    else:
        body = _heatmap(agent_time, agents, users, "occupancy", lambda c: c.occupancy)
        body += _heatmap(agent_time, agents, users, "utilisation", lambda c: c.utilisation)
    return (
        '<section class="agent-time" data-section="agent-time"><h2>Agent time: occupancy and '
        f"utilisation by hour</h2>{body}"
        f'<p class="caption">{escape(AGENT_TIME_DEFINITIONS["occupancy"])} '
        f"{escape(AGENT_TIME_DEFINITIONS['utilisation'])} From agent_interval_status (the "
        "user_status_aggregates dataset): each hour of day sums the half-hour buckets starting in "
        f"it over the window's days, in {escape(time_zone)}; ratios of sums, empty where nothing "
        f"was measured. The {MAX_AGENTS} agents logged in longest, longest first.</p></section>"
    )


def _heatmap(
    agent_time: AgentTime,
    agents: list[str],
    users: Mapping[str, str],
    kpi: str,
    value: Callable[[AgentTimeCell], float | None],
) -> str:
    columns = sorted(  # the hours of day in which some agent shown has a value
        {
            h
            for u in agents
            for h, cell in agent_time.hours.get(u, {}).items()
            if value(cell) is not None
        }
    )
    head = "".join(f'<th scope="col">{h:02d}</th>' for h in columns)
    rows = []
    for user in agents:
        by_hour = agent_time.hours.get(user, {})
        cells = "".join(
            _cell(user, h, value(by_hour[h]) if h in by_hour else None) for h in columns
        )
        total = value(agent_time.totals[user])
        rows.append(
            f'<tr data-user="{escape(user)}"><th scope="row">{escape(users.get(user, user))}</th>'
            f"{cells}{_cell(user, None, total)}</tr>"
        )
    return f"<h3>{kpi.capitalize()} by agent and hour</h3>" + scroll(
        f'<table class="heatmap" data-table="{kpi}-by-hour"><thead><tr><th>Agent</th>{head}'
        f'<th scope="col">All</th></tr></thead><tbody>{"".join(rows)}</tbody></table>'
    )


def _cell(user: str, hour: int | None, value: float | None) -> str:
    raw = "" if value is None else repr(value)
    hour_attr = "all" if hour is None else str(hour)
    shade = (
        ""
        if value is None
        else f' style="background: rgba(31, 94, 168, {min(max(value, 0), 1) * 0.55:.3f})"'
    )
    text = formats.DASH if value is None else f"{100 * value:.0f}%"
    title = "" if value is None else f' title="{formats.percent(value)}"'
    return (
        f'<td data-user="{escape(user)}" data-hour="{hour_attr}" data-value="{raw}"{shade}{title}>'
        f"{text}</td>"
    )
