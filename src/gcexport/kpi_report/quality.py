"""The data-quality panel's facts: which runs fed the window, their parity, provisional days, drift.

A partition (table × day) may have been written by several runs; the last one wrote what the
warehouse holds now, so only that run "fed" the report. Snapshot lookups (no day) count too.

Example::

    quality = fetch_quality(source, scope, tables)
    quality.parity_failures  # partitions whose API, file and warehouse counts differ
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone
from typing import Any

import orjson

from gcexport.kpi_report.scope import Scope, col, lit
from gcexport.kpi_report.source import Source
from gcexport.sinks.warehouse import quote_ident

__all__ = ["PartitionFact", "Quality", "RunFact", "fetch_quality"]


@dataclass(frozen=True)
class PartitionFact:
    """The last write of one table's day (or snapshot, when `day` is None)."""

    run_id: str
    table: str
    day: str | None
    api_rows: int | None
    file_rows: int | None
    warehouse_rows: int | None
    provisional: bool
    parity_ok: bool


@dataclass(frozen=True)
class RunFact:
    """One export run from `gcexport_runs`."""

    run_id: str
    finished_at: datetime | None
    status: str
    parity_ok: bool | None
    requests: int
    rate_limited: int
    waited_s: float
    drift: tuple[str, ...]


@dataclass(frozen=True)
class Quality:
    """Everything the data-quality panel shows; `available` is False without run history."""

    available: bool
    partitions: list[PartitionFact] = field(default_factory=list)
    runs: list[RunFact] = field(default_factory=list)

    @property
    def parity_failures(self) -> list[PartitionFact]:
        return [p for p in self.partitions if not p.parity_ok]

    @property
    def provisional(self) -> list[PartitionFact]:
        return [p for p in self.partitions if p.provisional]

    @property
    def drift(self) -> list[str]:
        return sorted({item for run in self.runs for item in run.drift})


def fetch_quality(source: Source, scope: Scope, tables: set[str]) -> Quality:
    """The latest write of every partition in the window, and the runs that made them."""
    if not {"gcexport_runs", "gcexport_partitions"} <= tables:
        return Quality(available=False)
    partitions = _latest(_partitions(source, scope))
    runs = _runs(source, sorted({p.run_id for p in partitions}))
    return Quality(available=True, partitions=partitions, runs=runs)


def _partitions(source: Source, scope: Scope) -> list[PartitionFact]:
    names = ["run_id", "table_name", "data_date", "api_rows", "file_rows", "warehouse_rows"]
    names += ["provisional", "parity_ok"]
    day = col("data_date")
    first = scope.start.astimezone(timezone.utc).date().isoformat()
    last = scope.end.astimezone(timezone.utc).date().isoformat()
    rows = source.query(
        f"select {', '.join(col(n) for n in names)} from {quote_ident('gcexport_partitions')} "
        f"where {day} is null or ({day} >= DATE {lit(first)} and {day} <= DATE {lit(last)})"
    )
    return [_partition(r) for r in rows if r[2] is None or _day_in(r[2], scope)]


def _day_in(day: Any, scope: Scope) -> bool:
    """A day holds data of the window when [day, day + 1) overlaps [start, end) in UTC."""
    start, end = scope.start.astimezone(timezone.utc), scope.end.astimezone(timezone.utc)
    last = end.date() if end.time() == time.min else end.date() + timedelta(days=1)
    return bool(start.date() <= day < last)


def _partition(row: tuple[Any, ...]) -> PartitionFact:
    return PartitionFact(
        run_id=str(row[0]),
        table=str(row[1]),
        day=None if row[2] is None else row[2].isoformat(),
        api_rows=row[3],
        file_rows=row[4],
        warehouse_rows=row[5],
        provisional=bool(row[6]),
        parity_ok=bool(row[7]),
    )


def _latest(facts: list[PartitionFact]) -> list[PartitionFact]:
    """Run ids begin with their UTC start time, so the greatest id wrote last."""
    latest: dict[tuple[str, str | None], PartitionFact] = {}
    for fact in sorted(facts, key=lambda f: f.run_id):
        latest[(fact.table, fact.day)] = fact
    return sorted(latest.values(), key=lambda f: (f.table, f.day or ""))


def _runs(source: Source, run_ids: list[str]) -> list[RunFact]:
    if not run_ids:
        return []
    names = ["run_id", "finished_at", "status", "parity_ok", "requests", "rate_limited"]
    names += ["waited_s", "drift"]
    rows = source.query(
        f"select {', '.join(col(n) for n in names)} from {quote_ident('gcexport_runs')} "
        f"where {col('run_id')} in ({', '.join(lit(r) for r in run_ids)}) order by {col('run_id')}"
    )
    return [
        RunFact(
            str(r[0]),
            r[1],
            str(r[2]),
            r[3],
            int(r[4] or 0),
            int(r[5] or 0),
            float(r[6] or 0),
            _drift(r[7]),
        )
        for r in rows
    ]


def _drift(text: Any) -> tuple[str, ...]:
    if not text:
        return ()
    items = orjson.loads(text)
    return tuple(_drift_text(item) for item in items) if isinstance(items, list) else (str(items),)


def _drift_text(item: Any) -> str:
    """A drift entry (a JSON object since #20; a string before) as `table.field_path`."""
    if isinstance(item, dict) and "field_path" in item:
        return f"{item.get('table')}.{item['field_path']}"
    return str(item)
