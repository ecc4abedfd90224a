"""The report's numbers, each computed with one SQL query over `conversation_aggregates`.

Averages follow Genesys (REFERENCE.md §6.1): a timer's average is its `sum` divided by its
`count`; counters are `count`; the service level is `oServiceLevel` numerator / denominator.
User KPIs are SQL expressions over the headline columns, applied in order, so later ones may use
earlier ones (as in `queue_kpis`).

Example::

    headline = fetch_headline(source, scope, custom_kpis={"talk_ratio": "avg_talk_ms / avg_handle_ms"})
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gcexport.errors import ConfigError, GcExportError
from gcexport.kpi_report.scope import AGG, Scope, col, lit
from gcexport.kpi_report.source import Source
from gcexport.sinks.warehouse import quote_ident

__all__ = [
    "AgentRow",
    "BucketRow",
    "QueueHandle",
    "fetch_agents",
    "fetch_buckets",
    "fetch_headline",
    "fetch_lookup",
    "fetch_queue_handle",
    "fetch_wrapups",
]

_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
HEADLINE_COUNTS = {
    "offered": "nOffered",
    "answered": "tAnswered",
    "abandoned": "tAbandon",
    "transferred": "nTransferred",
}
HEADLINE_AVERAGES = {
    "avg_speed_of_answer_ms": "tAnswered",
    "avg_handle_ms": "tHandle",
    "avg_talk_ms": "tTalk",
    "avg_hold_ms": "tHeld",
    "avg_acw_ms": "tAcw",
}


def stat(stat_name: str, metric: str) -> str:
    """The sum of one statistic of one metric, as a portable conditional aggregate."""
    return f"sum(case when {col('metric')} = {lit(metric)} then {col(stat_name)} end)"


def ratio(numerator: str, denominator: str) -> str:
    return f"cast({numerator} as double) / nullif({denominator}, 0)"


def average(metric: str) -> str:
    """Genesys's average of a timer: its summed `sum` over its summed `count`."""
    return ratio(stat("sum", metric), stat("count", metric))


def _headline_sql(scope: Scope) -> str:
    counts = [f"coalesce({stat('count', m)}, 0) as {n}" for n, m in HEADLINE_COUNTS.items()]
    averages = [f"{average(m)} as {n}" for n, m in HEADLINE_AVERAGES.items()]
    service = [
        f"{ratio(stat('numerator', 'oServiceLevel'), stat('denominator', 'oServiceLevel'))} as service_level",
        f"max(case when {col('metric')} = 'oServiceLevel' then {col('target')} end) as service_level_target",
    ]
    inner = (
        f"select {', '.join(counts + averages + service)} from {AGG} "
        f"where {scope.where(scope.queue_query)}"
    )
    return (
        "select k.*, cast(k.abandoned as double) / nullif(k.offered, 0) as abandon_rate, "
        f"cast(k.transferred as double) / nullif(k.answered, 0) as transfer_rate from ({inner}) k"
    )


def fetch_headline(
    source: Source, scope: Scope, *, custom_kpis: Mapping[str, str] = {}
) -> dict[str, float | int | None]:
    """The headline KPIs of the window, then each user KPI evaluated over them in order."""
    base = _headline_sql(scope)
    names = [*HEADLINE_COUNTS, *HEADLINE_AVERAGES, "service_level", "service_level_target"]
    names += ["abandon_rate", "transfer_rate"]
    sql = base
    for depth, (name, expression) in enumerate(custom_kpis.items()):
        _check_name(name, expression, names)
        # unquoted like the built-in names, so expressions resolve them alike on every warehouse
        sql = f"select k{depth}.*, cast(({expression}) as double) as {name} from ({sql}) k{depth}"
        names.append(name)
        _check_kpi(source, sql, name, expression)
    row = source.query(sql)[0]
    return {name: _number(value) for name, value in zip(names, row, strict=True)}


def _check_name(name: str, expression: str, taken: list[str]) -> None:
    if not _NAME.match(name) or name in taken:
        raise ConfigError(f"user KPI {name!r}: the name must be a new lower_snake_case column name")
    if ";" in expression:
        raise ConfigError(f"user KPI {name!r}: one SQL expression, without ';'")


def _check_kpi(source: Source, sql: str, name: str, expression: str) -> None:
    """Fail early naming the user KPI whose expression the warehouse rejects."""
    try:
        source.query(f"select * from ({sql}) probe where 1 = 0")
    except GcExportError as exc:
        raise ConfigError(f"user KPI {name!r} = {expression!r} failed: {exc}") from exc


def _number(value: Any) -> float | int | None:
    if value is None or isinstance(value, int):
        return value
    return float(value)


@dataclass(frozen=True)
class BucketRow:
    """One interval × media type: offered, abandoned, and the service level's parts."""

    interval_start: datetime
    media_type: str
    offered: int
    abandoned: int
    sl_numerator: float
    sl_denominator: float


def fetch_buckets(source: Source, scope: Scope) -> list[BucketRow]:
    """Per interval and media type of the queue query, in time order."""
    start, media = col("interval_start"), col("media_type")
    rows = source.query(
        f"select {start}, coalesce({media}, 'unknown'), coalesce({stat('count', 'nOffered')}, 0), "
        f"coalesce({stat('count', 'tAbandon')}, 0), coalesce({stat('numerator', 'oServiceLevel')}, 0), "
        f"coalesce({stat('denominator', 'oServiceLevel')}, 0) from {AGG} "
        f"where {scope.where(scope.queue_query)} group by {start}, {media} order by {start}, {media}"
    )
    return [
        BucketRow(r[0], str(r[1]), int(r[2]), int(r[3]), float(r[4]), float(r[5])) for r in rows
    ]


@dataclass(frozen=True)
class QueueHandle:
    """Handle time of one queue split into talk, hold and after-call work, in ms per handled."""

    queue_id: str
    handled: int
    talk_ms: float
    hold_ms: float
    acw_ms: float


def fetch_queue_handle(source: Source, scope: Scope) -> list[QueueHandle]:
    """Talk, hold and ACW per handled interaction, per queue, longest handle time first."""
    handled = stat("count", "tHandle")
    parts = [f"coalesce({ratio(stat('sum', m), handled)}, 0)" for m in ("tTalk", "tHeld", "tAcw")]
    rows = source.query(
        f"select {col('queue_id')}, {handled}, {', '.join(parts)} from {AGG} "
        f"where {scope.where(scope.queue_query)} and {col('queue_id')} is not null "
        f"group by {col('queue_id')} having {handled} > 0"
    )
    result = [
        QueueHandle(str(r[0]), int(r[1]), float(r[2]), float(r[3]), float(r[4])) for r in rows
    ]
    return sorted(result, key=lambda q: -(q.talk_ms + q.hold_ms + q.acw_ms))


def fetch_wrapups(source: Source, scope: Scope, *, limit: int = 10) -> list[tuple[str, int]]:
    """The most used wrap-up codes (ids) and how many handled interactions ended with each."""
    if scope.kinds.wrapup is None:
        return []
    code, handled = col("wrap_up_code"), stat("count", "tHandle")
    rows = source.query(
        f"select {code}, {handled} from {AGG} where {scope.where(scope.kinds.wrapup)} "
        f"and {code} is not null group by {code} having {handled} > 0 "
        f"order by {handled} desc, {code} limit {int(limit)}"
    )
    return [(str(r[0]), int(r[1])) for r in rows]


@dataclass(frozen=True)
class AgentRow:
    """One agent's league-table line; averages are Genesys's (timer sum / timer count)."""

    user_id: str
    handled: int
    aht_ms: float | None
    talk_ms: float | None
    hold_ms: float | None
    acw_ms: float | None
    transfers: int


def fetch_agents(source: Source, scope: Scope, *, limit: int = 15) -> list[AgentRow]:
    """The agents who handled most in the window (agent aggregates are not split by queue)."""
    if scope.kinds.agent is None:
        return []
    user, handled = col("user_id"), stat("count", "tHandle")
    timers = ", ".join(average(m) for m in ("tHandle", "tTalk", "tHeld", "tAcw"))
    rows = source.query(
        f"select {user}, coalesce({handled}, 0), {timers}, coalesce({stat('count', 'nTransferred')}, 0) "
        f"from {AGG} where {scope.where(scope.kinds.agent, by_queue=False)} and {user} is not null "
        f"group by {user} order by coalesce({handled}, 0) desc, {user} limit {int(limit)}"
    )
    return [
        AgentRow(str(r[0]), int(r[1]), _opt(r[2]), _opt(r[3]), _opt(r[4]), _opt(r[5]), int(r[6]))
        for r in rows
    ]


def _opt(value: Any) -> float | None:
    return None if value is None else float(value)


def fetch_lookup(source: Source, table: str, tables: set[str]) -> dict[str, str]:
    """id → name from a lookup table (`users`, `wrapup_codes`); empty when it was not exported."""
    if table not in tables:
        return {}
    rows = source.query(f"select {col('id')}, {col('name')} from {quote_ident(table)}")
    return {str(r[0]): str(r[1]) for r in rows if r[0] is not None and r[1] is not None}
