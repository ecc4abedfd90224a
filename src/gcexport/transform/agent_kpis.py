"""Agent KPIs per agent per UTC day (from the status records) and per interval (from the aggregates).

Definitions (DATASETS.md §1.8; industry-standard — Genesys's own occupancy formula is unverified):

- `login_at`: the start of the agent's first non-OFFLINE presence record that starts in the day.
- `logout_at`: the start of the last OFFLINE presence record that starts in the day.
- `logged_in_ms`: time in any presence other than OFFLINE, records clipped to the day.
- `on_queue_ms`: time in presence ON_QUEUE, clipped to the day.
- `<status>_ms` (`idle`, `interacting`, `not_responding`, `communicating`, `off_queue`): time in each
  routing status, clipped to the day.
- `occupancy` = interacting / (interacting + idle); with `include_communicating`, communicating is
  added to both sides. Null when the denominator is 0.
- `utilisation` = on_queue / logged_in. Null when the agent was never logged in.

An open record counts up to `now`. The per-interval table applies the same formulas to the
`sum_ms` of each `user_status_aggregates` bucket (`tSystemPresence`, `tAgentRoutingStatus`)::

    daily = agent_daily_status(presence_rows, routing_rows, day=date(2026, 3, 3), now=now)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import pyarrow as pa

from gcexport.transform.columns import TIMESTAMP
from gcexport.transform.schemas import TAIL

__all__ = [
    "AGENT_DAILY_SCHEMA",
    "AGENT_INTERVAL_SCHEMA",
    "agent_daily_status",
    "agent_interval_status",
]

ROUTING_STATUSES = ("IDLE", "INTERACTING", "NOT_RESPONDING", "COMMUNICATING", "OFF_QUEUE")
_MS = timedelta(milliseconds=1)
_DURATIONS = [
    pa.field("logged_in_ms", pa.int64()),
    pa.field("on_queue_ms", pa.int64()),
    *(pa.field(f"{s.lower()}_ms", pa.int64()) for s in ROUTING_STATUSES),
    pa.field("occupancy", pa.float64()),
    pa.field("utilisation", pa.float64()),
]
AGENT_DAILY_SCHEMA = pa.schema(
    [pa.field("user_id", pa.string()), pa.field("day", pa.date32()), pa.field("login_at", TIMESTAMP),
     pa.field("logout_at", TIMESTAMP), *_DURATIONS, *TAIL]
)  # fmt: skip
AGENT_INTERVAL_SCHEMA = pa.schema(
    [pa.field("user_id", pa.string()), pa.field("interval_start", TIMESTAMP),
     pa.field("interval_end", TIMESTAMP), *_DURATIONS, *TAIL]
)  # fmt: skip


def _ratios(ms: Mapping[str, int], *, include_communicating: bool) -> dict[str, float | None]:
    busy, idle = ms["interacting_ms"], ms["idle_ms"]
    if include_communicating:
        busy, idle = busy + ms["communicating_ms"], idle + ms["communicating_ms"]
    return {
        "occupancy": busy / (busy + idle) if busy + idle else None,
        "utilisation": ms["on_queue_ms"] / ms["logged_in_ms"] if ms["logged_in_ms"] else None,
    }


def _empty() -> dict[str, int]:
    return {"logged_in_ms": 0, "on_queue_ms": 0, **{f"{s.lower()}_ms": 0 for s in ROUTING_STATUSES}}


def agent_daily_status(
    presence: Iterable[Mapping[str, Any]],
    routing: Iterable[Mapping[str, Any]],
    *,
    day: date,
    now: datetime,
    include_communicating: bool = False,
) -> pa.Table:
    """One row per agent with any record overlapping `day` (rows of `user_presence` / `user_routing_status`)."""
    lo = datetime.combine(day, time(), tzinfo=timezone.utc)
    hi = lo + timedelta(days=1)
    ms: dict[str, dict[str, int]] = defaultdict(_empty)
    logins: dict[str, list[datetime]] = defaultdict(list)
    logouts: dict[str, list[datetime]] = defaultdict(list)
    for row in presence:
        user, start, value = row["user_id"], row["start_time"], row["system_presence"]
        if lo <= start < hi:
            (logouts if value == "OFFLINE" else logins)[user].append(start)
        spent = _clipped(start, row["end_time"] or now, lo, hi)
        if spent is None:
            continue
        ms[user]["logged_in_ms"] += spent if value != "OFFLINE" else 0
        ms[user]["on_queue_ms"] += spent if value == "ON_QUEUE" else 0
    for row in routing:
        spent = _clipped(row["start_time"], row["end_time"] or now, lo, hi)
        if spent is not None and row["routing_status"] in ROUTING_STATUSES:
            ms[row["user_id"]][f"{row['routing_status'].lower()}_ms"] += spent
    rows = [
        {"user_id": user, "day": day, "partition_date": day, "login_at": min(logins[user], default=None),
         "logout_at": max(logouts[user], default=None), **values,
         **_ratios(values, include_communicating=include_communicating)}
        for user, values in sorted(ms.items())
    ]  # fmt: skip
    return pa.Table.from_pylist(rows, schema=AGENT_DAILY_SCHEMA)


def _clipped(start: datetime, end: datetime, lo: datetime, hi: datetime) -> int | None:
    if end <= lo or start >= hi:
        return None
    return (min(end, hi) - max(start, lo)) // _MS


def agent_interval_status(
    aggregates: Iterable[Mapping[str, Any]], *, include_communicating: bool = False
) -> pa.Table:
    """Per (agent, bucket) KPIs from `user_status_aggregates` rows (login/logout need the details)."""
    ms: dict[tuple[str, datetime, datetime], dict[str, int]] = defaultdict(_empty)
    for row in aggregates:
        key = (row["user_id"], row["interval_start"], row["interval_end"])
        metric, qualifier, value = row["metric"], row["qualifier"], int(row["sum_ms"] or 0)
        if metric == "tSystemPresence":
            ms[key]["logged_in_ms"] += value if qualifier != "OFFLINE" else 0
            ms[key]["on_queue_ms"] += value if qualifier == "ON_QUEUE" else 0
        elif metric == "tAgentRoutingStatus" and qualifier in ROUTING_STATUSES:
            ms[key][f"{qualifier.lower()}_ms"] += value
    rows = [
        {"user_id": user, "interval_start": start, "interval_end": end, "partition_date": start.date(), **values,
         **_ratios(values, include_communicating=include_communicating)}
        for (user, start, end), values in sorted(ms.items())
    ]  # fmt: skip
    return pa.Table.from_pylist(rows, schema=AGENT_INTERVAL_SCHEMA)
