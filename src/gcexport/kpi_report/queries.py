"""The report's numbers, each computed with one SQL query over `conversation_aggregates`.

Averages follow Genesys (REFERENCE.md §6.1): a timer's average is its `sum` divided by its
`count`; counters are `count`; the service level is `oServiceLevel` numerator / denominator.
The KPI columns are `queue_kpis`'s (transform/kpis.py: the sums and counts behind every ratio,
then the ratios), so a user KPI reads the same in both. User KPIs are SQL expressions over those
columns, applied in order, so later ones may use earlier ones.

Example::

    headline = fetch_headline(source, scope, custom_kpis={"hold_share": "hold_ms_sum / nullif(handle_ms_sum, 0)"})
    by_media = fetch_grouped(source, scope, ["media_type"])
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gcexport.errors import ConfigError, GcExportError
from gcexport.kpi_report.scope import AGG, Scope, col, lit
from gcexport.kpi_report.source import Source
from gcexport.sinks.warehouse import quote_ident
from gcexport.transform.kpis import RATIOS, SUMS, TARGET, KpiColumn

__all__ = [
    "AgentRow",
    "BucketRow",
    "QueueHandle",
    "fetch_agents",
    "fetch_buckets",
    "fetch_grouped",
    "fetch_headline",
    "fetch_lookup",
    "fetch_queue_handle",
    "fetch_user_labels",
    "fetch_wrapups",
    "user_labels",
]

_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
Values = dict[str, float | int | None]


def stat(stat_name: str, metric: str) -> str:
    """The sum of one statistic of one metric, as a portable conditional aggregate."""
    return f"sum(case when {col('metric')} = {lit(metric)} then {col(stat_name)} end)"


def ratio(numerator: str, denominator: str) -> str:
    return f"cast({numerator} as double) / nullif({denominator}, 0)"


def average(metric: str) -> str:
    """Genesys's average of a timer: its summed `sum` over its summed `count`."""
    return ratio(stat("sum", metric), stat("count", metric))


def _sums(c: KpiColumn) -> str:
    stat_name, metric = c.parts
    if c.kind == "setting":
        return (
            f"max(case when {col('metric')} = {lit(metric)} then {col(stat_name)} end) as {c.name}"
        )
    return f"coalesce({stat(stat_name, metric)}, 0) as {c.name}"


def _kpi_sql(scope: Scope, group_by: Sequence[str]) -> str:
    """The `queue_kpis` measures (same names and formulas) over the window, per `group_by`."""
    keys = [f"coalesce(cast({col(g)} as varchar), 'unknown') as {g}" for g in group_by]
    measures = [_sums(c) for c in [*SUMS, TARGET]]
    inner = (
        f"select {', '.join([*keys, *measures])} from {AGG} where {scope.where(scope.queue_query)}"
    )
    if group_by:  # by position: DuckDB and Snowflake both accept it
        inner += f" group by {', '.join(str(i + 1) for i in range(len(group_by)))}"
    ratios = [f"{ratio('k.' + c.parts[0], 'k.' + c.parts[1])} as {c.name}" for c in RATIOS]
    return f"select k.*, {', '.join(ratios)} from ({inner}) k"


def _with_custom(source: Source, sql: str, custom_kpis: Mapping[str, str], taken: list[str]) -> str:
    """`sql` with each user KPI appended as a column, checked one by one."""
    for depth, (name, expression) in enumerate(custom_kpis.items()):
        _check_name(name, expression, taken)
        # unquoted like the built-in names, so expressions resolve them alike on every warehouse
        sql = f"select c{depth}.*, cast(({expression}) as double) as {name} from ({sql}) c{depth}"
        taken.append(name)
        _check_kpi(source, sql, name, expression)
    return sql


MEASURES = [c.name for c in [*SUMS, TARGET, *RATIOS]]


def fetch_headline(source: Source, scope: Scope, *, custom_kpis: Mapping[str, str] = {}) -> Values:
    """The window's KPIs (the sums behind each ratio included), then each user KPI in order."""
    names = list(MEASURES)
    sql = _with_custom(source, _kpi_sql(scope, []), custom_kpis, names)
    row = source.query(sql)[0]
    return {name: _number(value) for name, value in zip(names, row, strict=True)}


def fetch_grouped(
    source: Source, scope: Scope, group_by: Sequence[str], *, custom_kpis: Mapping[str, str] = {}
) -> list[tuple[tuple[str, ...], Values]]:
    """The same KPIs per group (e.g. per media type), busiest group first."""
    names = [*group_by, *MEASURES]
    sql = _with_custom(source, _kpi_sql(scope, group_by), custom_kpis, names)
    rows = source.query(
        f"select * from ({sql}) g order by g.offered desc, {', '.join(f'g.{g}' for g in group_by)}"
    )
    out = []
    for row in rows:
        values = dict(zip(names, row, strict=True))
        key = tuple(str(values.pop(g)) for g in group_by)
        out.append((key, {n: _number(v) for n, v in values.items()}))
    return out


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
    hold_per_handled_ms: float | None = None


def fetch_agents(source: Source, scope: Scope, *, limit: int = 15) -> list[AgentRow]:
    """The agents who handled most in the window (agent aggregates are not split by queue)."""
    if scope.kinds.agent is None:
        return []
    user, handled = col("user_id"), stat("count", "tHandle")
    timers = ", ".join(average(m) for m in ("tHandle", "tTalk", "tHeld", "tAcw"))
    timers += f", {ratio(stat('sum', 'tHeld'), handled)}"
    rows = source.query(
        f"select {user}, coalesce({handled}, 0), {timers}, coalesce({stat('count', 'nTransferred')}, 0) "
        f"from {AGG} where {scope.where(scope.kinds.agent, by_queue=False)} and {user} is not null "
        f"group by {user} order by coalesce({handled}, 0) desc, {user} limit {int(limit)}"
    )
    return [
        AgentRow(
            str(r[0]),
            int(r[1]),
            _opt(r[2]),
            _opt(r[3]),
            _opt(r[4]),
            _opt(r[5]),
            int(r[7]),
            _opt(r[6]),
        )
        for r in rows
    ]


def _opt(value: Any) -> float | None:
    return None if value is None else float(value)


def fetch_lookup(source: Source, table: str, tables: set[str]) -> dict[str, str]:
    """id → name from a lookup table (`users`, `wrapup_codes`); empty when it was not exported."""
    if table not in tables:
        return {}
    rows = source.query(f"select {col('id')}, {col('name')} from {quote_ident(table)}")
    return {str(r[0]): str(r[1]) for r in rows if r[0] is not None and r[1] not in (None, "")}


def fetch_user_labels(source: Source, tables: set[str]) -> dict[str, str]:
    """id → the name to show; names shared by several users get the email (or an id suffix)."""
    if "users" not in tables:
        return {}
    rows = source.query(
        f"select {col('id')}, {col('name')}, {col('email')} from {quote_ident('users')}"
    )
    people = {
        str(r[0]): (str(r[1]), r[2]) for r in rows if r[0] is not None and r[1] not in (None, "")
    }
    return user_labels(people)


def user_labels(people: Mapping[str, tuple[str, str | None]]) -> dict[str, str]:
    """Each name once it is unique; a shared name plus the email, else plus `#` and the id's end."""
    seen: dict[str, int] = {}
    for name, _ in people.values():
        seen[name.casefold()] = seen.get(name.casefold(), 0) + 1
    labels = {}
    for user_id, (name, email) in people.items():
        if seen[name.casefold()] == 1:
            labels[user_id] = name
        else:
            labels[user_id] = f"{name} ({email})" if email else f"{name} #{user_id[-6:]}"
    return labels
