"""What a dataset is: the `Dataset` protocol, the context an export runs in and what a day yields.

A dataset is one module under `datasets/` holding one object that satisfies `Dataset`; the
registry (`datasets/registry.py`) lists them, and the CLI's `--dataset` help, `check`, the config's
dataset names, the request-model checks and the README's dataset table all read that list.

Example::

    dataset = get("conversation_aggregates")
    result = dataset.export(ctx, Window.for_day(date(2026, 11, 20)))
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

import pyarrow as pa
from pydantic import BaseModel

from gcexport.audit import AuditLog
from gcexport.client import GenesysClient, Page
from gcexport.config import Settings
from gcexport.loading import LoadContext, PartitionOutcome
from gcexport.sinks import FileRecord
from gcexport.state import StateStore
from gcexport.timespan import Window
from gcexport.transform import DriftField

__all__ = ["Dataset", "DayResult", "ExportContext", "RunStep", "WindowPlanner"]


@dataclass
class DayResult:
    """What exporting one dataset-day produced."""

    dataset: str
    window: Window | None
    outcomes: list[PartitionOutcome]
    provisional: bool = False
    expected_conversations: int | None = None
    drift: list[DriftField] = field(default_factory=list)
    method: str = ""
    raw_files: list[FileRecord] = field(default_factory=list)  # export.raw_pages
    # Served by the query although meant for a job: no participant attributes (only job results
    # carry them, REFERENCE.md §16 item 3), so the day stays due until a job serves it.
    without_attributes: bool = False


@dataclass
class ExportContext:
    """Everything an exporter needs, shared by all worker threads."""

    settings: Settings
    client: GenesysClient
    load: LoadContext
    audit: AuditLog
    state: StateStore
    now: datetime
    watermark: datetime | None
    queues: pa.Table | None = None
    on_rows: Callable[[int], None] = lambda rows: None
    on_expected: Callable[[int], None] = lambda conversations: None  # a day's count, for progress
    on_conversations: Callable[[int], None] = lambda conversations: None  # details progress
    # Each dataset's request models, validated once by the plan (`Dataset.requests`), by name.
    requests: Mapping[str, Sequence[BaseModel]] = field(default_factory=dict)
    # Incremental runs re-read recently ended conversations (`Dataset.reread`): an open one then
    # does not hold its settled day provisional — its day is due again when it ends.
    rereads_ended: bool = False
    _raw: threading.local = field(default_factory=threading.local)

    def pages(self, endpoint: str, pages: Iterable[Page]) -> Generator[Page, None, None]:
        """Pass pages through, writing one audit record each, counting rows, keeping raw bodies if asked."""
        for page in pages:
            self.record_page(endpoint, page, rows=len(page.items))
            yield page

    def record_page(self, endpoint: str, page: Page, *, rows: int) -> None:
        """One page's audit record and progress; its raw body kept if asked (this thread's day)."""
        self.audit.page(endpoint=endpoint, rows=rows, context=page.context)
        self.on_rows(rows)
        if self.settings.export.raw_pages:
            self._raw.pages.append(page.raw)


# A run-level step (snapshots, shared lookups) done once per run before the days, however many of
# the run's datasets name it.
RunStep = Callable[[ExportContext], list[PartitionOutcome]]
# A dataset's own windows from the standard daily plan (None on a dataset: the daily plan as is).
WindowPlanner = Callable[[list[Window]], list[Window]]


class Dataset(Protocol):
    """One dataset: everything the run, the CLI, `check`, the config and the docs need of it."""

    @property
    def name(self) -> str:
        """The name users give `--dataset` and `export.datasets`."""

    @property
    def summary(self) -> str:
        """The README dataset table's "Genesys endpoints" cell: what it reads."""

    @property
    def doc_tables(self) -> str:
        """The README dataset table's "tables" cell (the `tables` keys unless they vary by config)."""

    @property
    def default(self) -> bool:
        """Exported when `export.datasets` is not set (opt-in datasets say False)."""

    @property
    def day_partitioned(self) -> bool:
        """Exported day by day (False: a snapshot taken by its run step)."""

    @property
    def permission(self) -> str:
        """The Genesys Cloud permission(s) it needs, as `check` prints them."""

    @property
    def section(self) -> str | None:
        """The config section it reads (None: none); shared sections live in `config.py`."""

    @property
    def settings_model(self) -> type[BaseModel] | None:
        """A config section of its own, contributed under `[<name>]` (None: none)."""

    @property
    def tables(self) -> Mapping[str, pa.Schema]:
        """The tables it writes and their Arrow schemas (the data contract)."""

    @property
    def snapshot_tables(self) -> frozenset[str]:
        """Those of its tables that are snapshots taken by its run step, not days (e.g. a dims pack)."""

    def table_names(self, settings: Settings) -> tuple[str, ...]:
        """The tables it writes with these settings (`tables`' keys unless config names them)."""

    @property
    def plan_windows(self) -> WindowPlanner | None:
        """Its own windows from the daily plan, or None for the standard daily plan."""

    @property
    def run_step(self) -> RunStep | None:
        """Done once per run that exports it, before the days (None: nothing)."""

    def is_final(
        self,
        window: Window,
        *,
        now: datetime,
        watermark: datetime | None,
        settle: timedelta,
        live: bool = False,
    ) -> bool:
        """Whether a day exported now is final (README "When a day is final")."""

    def reread(self, ctx: ExportContext, due: list[Window]) -> list[Window]:
        """Final days an incremental run must export again, decided with the API (may be empty)."""

    def requests(self, settings: Settings) -> Sequence[BaseModel]:
        """Its request models, validated from the settings before anything runs (may be empty)."""

    def export(self, ctx: ExportContext, window: Window) -> DayResult:
        """Export one window: fetch, transform, load; the day's outcomes."""

    def check(self, client: GenesysClient, interval: str) -> str:
        """`gcexport check`'s probe of its permission: one tiny request; a short finding."""
