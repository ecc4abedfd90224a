"""What several datasets share: a default `Dataset` to override, day intervals, partition dates."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

import pyarrow as pa
from pydantic import BaseModel

from gcexport.client import GenesysClient, Page
from gcexport.config import Settings, parse_duration
from gcexport.datasets.base import DayResult, ExportContext, RunStep, WindowPlanner
from gcexport.models import Interval
from gcexport.timespan import Window

__all__ = ["DatasetBase", "day_is_final", "interval", "items", "with_partition_date"]


class DatasetBase:
    """The usual answers of a `Dataset`; a dataset module subclasses it and overrides what differs.

    Final rule by default: the day ended at least `export.settle_after` ago (near real time data,
    no watermark).
    """

    name: str = ""
    summary: str = ""
    default: bool = True
    day_partitioned: bool = True
    permission: str = ""
    section: str | None = None
    settings_model: type[BaseModel] | None = None
    tables: Mapping[str, pa.Schema] = {}
    snapshot_tables: frozenset[str] = frozenset()
    plan_windows: WindowPlanner | None = None
    run_step: RunStep | None = None

    @property
    def doc_tables(self) -> str:
        return ", ".join(f"`{name}`" for name in self.tables)

    def table_names(self, settings: Settings) -> tuple[str, ...]:
        return tuple(self.tables)

    def is_final(
        self,
        window: Window,
        *,
        now: datetime,
        watermark: datetime | None,
        settle: timedelta,
        live: bool = False,
    ) -> bool:
        return window.end + settle <= now

    def reread(self, ctx: ExportContext, due: list[Window]) -> list[Window]:
        return []

    def requests(self, settings: Settings) -> Sequence[BaseModel]:
        return ()

    def export(self, ctx: ExportContext, window: Window) -> DayResult:
        raise NotImplementedError(f"{self.name} is not exported day by day")

    def check(self, client: GenesysClient, interval: str) -> str:
        raise NotImplementedError(f"{self.name} has no check probe")

    def __repr__(self) -> str:
        return f"<dataset {self.name}>"


def day_is_final(
    ctx: ExportContext, dataset: DatasetBase, window: Window, *, live: bool = False
) -> bool:
    """Whether `dataset`'s day exported now is final, by its own rule (README "When a day is final")."""
    return dataset.is_final(
        window,
        now=ctx.now,
        watermark=ctx.watermark,
        settle=parse_duration(ctx.settings.export.settle_after),
        live=live,
    )


def interval(window: Window) -> Interval:
    return Interval.of(window.start, window.end)


def with_partition_date(table: pa.Table, day: date) -> pa.Table:
    column = pa.array([day] * table.num_rows, type=pa.date32())
    if "partition_date" in table.column_names:
        index = table.column_names.index("partition_date")
        return table.set_column(index, "partition_date", column)
    return table.append_column("partition_date", column)


def items(ctx: ExportContext, endpoint: str, pages: Iterable[Page]) -> list[dict[str, Any]]:
    """Every item of `pages`, each page audited under `endpoint`."""
    return [e for page in ctx.pages(endpoint, pages) for e in page.items]
