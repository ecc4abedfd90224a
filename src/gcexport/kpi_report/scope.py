"""What a report covers: the window, the queues, and which aggregate queries feed which chart.

Example::

    scope = resolve_scope(source, start=None, end=None, queue_names=["Billing"], time_zone="UTC")
    sql = f"select count(*) from {AGG} where {scope.where(scope.queue_query)}"
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from gcexport.config import parse_duration
from gcexport.errors import ConfigError, DestinationError
from gcexport.kpi_report.source import Source
from gcexport.sinks.warehouse import quote_ident

__all__ = ["AGG", "QueryKinds", "Scope", "col", "lit", "resolve_scope", "ts", "zone"]

AGG = quote_ident("conversation_aggregates")


def col(name: str) -> str:
    """A quoted column name: Snowflake keeps our lower-case names only when quoted."""
    return quote_ident(name)


def lit(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def ts(moment: datetime) -> str:
    """A portable timestamp-with-time-zone literal (DuckDB and Snowflake both read it)."""
    return f"CAST({lit(moment.isoformat())} AS TIMESTAMP WITH TIME ZONE)"


def zone(name: str) -> ZoneInfo:
    """The IANA time zone `name`; ConfigError when there is no such zone."""
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError) as exc:  # ZoneInfoNotFoundError is a KeyError
        raise ConfigError(
            f"unknown time zone {name!r}; use an IANA name such as Europe/London"
        ) from exc


@dataclass(frozen=True)
class QueryKinds:
    """The aggregate query names that group by queue, by agent and by wrap-up code."""

    queue: str
    granularity: str
    agent: str | None = None
    wrapup: str | None = None


@dataclass(frozen=True)
class Scope:
    """The report's window `[start, end)`, queue filter, and feeding aggregate queries."""

    start: datetime
    end: datetime
    kinds: QueryKinds
    time_zone: str = "UTC"
    queue_ids: tuple[str, ...] = ()
    queue_names: dict[str, str] = field(default_factory=dict)

    @property
    def zone(self) -> ZoneInfo:
        return zone(self.time_zone)

    @property
    def queue_query(self) -> str:
        return self.kinds.queue

    def where(self, query_name: str, *, by_queue: bool = True) -> str:
        """Rows of `query_name` whose bucket starts in the window (and, if asked, in the queues)."""
        parts = [
            f"{col('query_name')} = {lit(query_name)}",
            f"{col('kind')} = 'metric'",
            f"{col('interval_start')} >= {ts(self.start)}",
            f"{col('interval_start')} < {ts(self.end)}",
        ]
        if by_queue and self.queue_ids:
            parts.append(f"{col('queue_id')} in ({', '.join(lit(q) for q in self.queue_ids)})")
        return " and ".join(parts)


def resolve_scope(
    source: Source,
    *,
    start: datetime | None,
    end: datetime | None,
    queue_names: Sequence[str],
    time_zone: str,
    tables: set[str],
) -> Scope:
    """Pick the feeding queries, default the window to all data, and resolve queue names to ids.

    The default window is the whole days, in `time_zone`, that hold any bucket of any feeding
    query: a daily bucket starting at midnight is never cut off by a first hour without traffic.
    """
    tz = zone(time_zone)
    kinds = _query_kinds(source)
    first, last = _data_bounds(source, kinds)
    names = _queue_lookup(source) if "queues" in tables else {}
    scope = Scope(
        start=start or _day_start(first, tz),
        end=end or _day_end(last, tz),
        kinds=kinds,
        time_zone=time_zone,
        queue_ids=_queue_ids(queue_names, names),
        queue_names=names,
    )
    _require_rows(source, scope, first, last)
    return scope


def _query_kinds(source: Source) -> QueryKinds:
    def has(name: str) -> str:
        return f"max(case when {col(name)} is not null then 1 else 0 end)"

    rows = source.query(
        f"select {col('query_name')}, {col('granularity')}, {has('queue_id')}, {has('user_id')}, "
        f"{has('wrap_up_code')} from {AGG} group by {col('query_name')}, {col('granularity')}"
    )
    queue = sorted((_length(r[1]), str(r[0]), str(r[1])) for r in rows if r[2] and not r[3] + r[4])
    if not queue:
        raise DestinationError(
            "the warehouse holds no queue aggregates (a conversation_aggregates query grouped by "
            "queueId): export the conversation_aggregates dataset first"
        )
    agent = next((str(r[0]) for r in sorted(rows) if r[3]), None)
    wrapup = next((str(r[0]) for r in sorted(rows) if r[4]), None)
    return QueryKinds(queue=queue[0][1], granularity=queue[0][2], agent=agent, wrapup=wrapup)


def _length(granularity: object) -> timedelta:
    try:
        return parse_duration(str(granularity))
    except ConfigError:  # months and the like: coarser than anything parse_duration knows
        return timedelta(days=31)


def _data_bounds(source: Source, kinds: QueryKinds) -> tuple[datetime, datetime]:
    names = [name for name in (kinds.queue, kinds.agent, kinds.wrapup) if name is not None]
    rows = source.query(
        f"select min({col('interval_start')}), max({col('interval_end')}) from {AGG} "
        f"where {col('query_name')} in ({', '.join(lit(name) for name in names)})"
    )
    first, last = rows[0] if rows else (None, None)
    if first is None or last is None:
        raise DestinationError(f"the warehouse holds no rows of the aggregate query {kinds.queue}")
    return first, last


def _day_start(moment: datetime, tz: ZoneInfo) -> datetime:
    """Local midnight at or before `moment`, in `tz` (DST-safe: built from the local date)."""
    local = moment.astimezone(tz)
    return datetime(local.year, local.month, local.day, tzinfo=tz)


def _day_end(moment: datetime, tz: ZoneInfo) -> datetime:
    """Local midnight at or after `moment`, in `tz`."""
    start = _day_start(moment, tz)
    if start >= moment:
        return start
    following = start.date() + timedelta(days=1)
    return datetime(following.year, following.month, following.day, tzinfo=tz)


def _queue_lookup(source: Source) -> dict[str, str]:
    rows = source.query(f"select {col('id')}, {col('name')} from {quote_ident('queues')}")
    # a queue without a name keeps its id on the page (never "None"), like one deleted since
    return {str(r[0]): str(r[1]) for r in rows if r[0] is not None and r[1] not in (None, "")}


def _queue_ids(wanted: Sequence[str], names: dict[str, str]) -> tuple[str, ...]:
    by_name = {name.casefold(): qid for qid, name in names.items()}
    unknown = [name for name in wanted if name.casefold() not in by_name]
    if unknown:
        known = ", ".join(sorted(names.values())) or "none (the queues lookup is empty)"
        raise ConfigError(f"unknown queue {unknown[0]!r}; known queues: {known}")
    return tuple(sorted({by_name[name.casefold()] for name in wanted}))


def _require_rows(source: Source, scope: Scope, first: datetime, last: datetime) -> None:
    if scope.start >= scope.end:
        raise ConfigError(
            f"the report window is empty: start {scope.start} is not before end {scope.end}"
        )
    rows = source.query(f"select count(*) from {AGG} where {scope.where(scope.queue_query)}")
    if not rows or not rows[0][0]:
        raise ConfigError(
            f"no queue data between {scope.start.isoformat()} and {scope.end.isoformat()}"
            f"{' for the chosen queues' if scope.queue_ids else ''}; the warehouse holds "
            f"{first.isoformat()} to {last.isoformat()}"
        )
