"""The library API an engine (Dagster, Airflow, a script) calls per org and date range.

`Exporter` wraps one org's settings. It prints nothing and never exits: results come back as
typed values, failures as the typed errors of `gcexport.errors`, and `retryable(exc)` says which of
them an engine should retry.

Example::

    import gcexport

    exporter = gcexport.Exporter.from_config("gcexport.toml", org="acme")
    exporter.catalog()                      # datasets and tables; static, no network
    exporter.pending()                      # [Partition(org, dataset, day)]: new, provisional, failed
    result = exporter.export(
        date(2026, 3, 1), date(2026, 3, 8), on_commit=lambda p: print(p.table, p.day, p.api_rows)
    )
    assert result.parity_ok

Retry classification (`retryable`):

========================================  =========  =====================================
error                                     retry?     why
========================================  =========  =====================================
`InputError` (`ConfigError`, …)           never      bad input; fix it first (exit 2)
`ParityError`                             no         rows were lost; an engine may retry
                                                     once by its own policy (exit 3)
`TransientError` (429, 5xx, network)      yes        the server may answer next time
`LockedError`                             yes, later another process holds the org
`ApiError` (retries exhausted, 408/429/   yes        the API may recover; a failed async
5xx, a failed async job)                             job is resubmitted
`AuthError`, other 4xx `ApiError`         never      credentials or request are wrong
`UnreachableError`, `SinkError`,          no         retrying the same call will not help
`DataError`
========================================  =========  =====================================
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import httpx

from gcexport.clock import Clock
from gcexport.config import Settings
from gcexport.engine_bridge import (
    DEFAULT_ORG,
    final_check,
    load_org_settings,
    org_of,
    pending_days,
    run_and_report,
)
from gcexport.errors import (
    ApiError,
    AuthError,
    ConfigError,
    InputError,
    LockedError,
    TransientError,
)

__all__ = [
    "DatasetSpec",
    "ExportResult",
    "Exporter",
    "OrgPartition",
    "Partition",
    "retryable",
]


@dataclass(frozen=True)
class DatasetSpec:
    """One dataset of the catalog: the tables it writes, and whether they are partitioned by day."""

    name: str
    tables: tuple[str, ...]
    partitioned: bool


@dataclass(frozen=True)
class Partition:
    """One (org, dataset, UTC day) that gcexport says still needs exporting."""

    org: str
    dataset: str
    day: date


@dataclass(frozen=True)
class OrgPartition:
    """One committed (dataset, table, day): its row counts on every side and what was written.

    `day` is None for a snapshot table (lookups). `parity_ok` is False when the counts differ.
    """

    org: str
    dataset: str
    table: str
    day: date | None
    api_rows: int
    file_rows: int
    warehouse_rows: int | None
    provisional: bool
    parity_ok: bool
    files: int
    bytes: int


@dataclass(frozen=True)
class ExportResult:
    """What one `Exporter.export` call did; `run_id` is None when every day was already final."""

    org: str
    parity_ok: bool
    requests: int
    rate_limited: int
    waited_s: float
    run_id: str | None
    run_ids: tuple[str, ...]
    outcomes: tuple[OrgPartition, ...]
    skipped: tuple[Partition, ...] = ()  # already final, not exported again (`skip_final`)


OnCommit = Callable[[OrgPartition], None]


class Exporter:
    """One org's exporter: catalog, pending days and exports, as values and typed errors."""

    def __init__(
        self,
        settings: Settings,
        *,
        org: str | None = None,
        transport: httpx.BaseTransport | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.settings = settings
        self.org = org or org_of(settings) or DEFAULT_ORG
        self.transport = transport
        self.clock = clock

    @classmethod
    def from_config(
        cls,
        path: str | Path | None,
        org: str | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        clock: Clock | None = None,
    ) -> Exporter:
        """Load the settings of `org` from the config file `path` (then `.env`, the environment)."""
        settings = load_org_settings(Path(path) if path is not None else None, org)
        return cls(settings, org=org, transport=transport, clock=clock)

    def catalog(self) -> list[DatasetSpec]:
        """The configured datasets and the tables each writes; static, no network."""
        return catalog(self.settings)

    def pending(self) -> list[Partition]:
        """Days that still need exporting (new, provisional or failed), from saved state."""
        now = self.now()
        return [
            Partition(self.org, spec.name, day)
            for spec in self.catalog()
            if spec.partitioned
            for day in pending_days(self.settings, spec.name, now)
        ]

    def export(
        self,
        start: date | datetime,
        end: date | datetime,
        datasets: Sequence[str] | None = None,
        *,
        skip_final: bool = True,
        on_commit: OnCommit | None = None,
    ) -> ExportResult:
        """Export `[start, end)` in whole UTC days; `on_commit` is called per committed partition.

        With `skip_final`, days every selected dataset already has final are not exported again,
        so a retried batch redoes only what is not yet final. Raises a `GcExportError`.
        """
        first, stop = _day(start, "start"), _day(end, "end")
        if stop <= first:
            raise ConfigError(f"end {stop} must be after start {first}")
        names = self._select(datasets)
        batches, skipped = self._batches(names, first, stop, skip_final=skip_final)
        report = None if on_commit is None else lambda f: on_commit(OrgPartition(**f))
        reports = [
            run_and_report(
                self._with_datasets(chosen),
                self.org,
                _midnight(lo),
                _midnight(hi),
                table_datasets=self._table_datasets(),
                on_commit=report,
                transport=self.transport,
                clock=self.clock,
            )
            for chosen, lo, hi in batches
        ]
        outcomes = tuple(OrgPartition(**o) for r in reports for o in r.outcomes)
        return ExportResult(
            org=self.org,
            parity_ok=all(o.parity_ok for o in outcomes),
            requests=sum(r.requests for r in reports),
            rate_limited=sum(r.rate_limited for r in reports),
            waited_s=round(sum(r.waited_s for r in reports), 3),
            run_id=reports[-1].run_id if reports else None,
            run_ids=tuple(r.run_id for r in reports),
            outcomes=outcomes,
            skipped=skipped,
        )

    def _select(self, datasets: Sequence[str] | None) -> list[str]:
        configured = [spec.name for spec in self.catalog()]
        if datasets is None:
            return configured
        unknown = [d for d in datasets if d not in configured]
        if unknown:
            raise ConfigError(
                f"dataset {unknown[0]!r} is not configured for org {self.org!r}; "
                f"configured: {', '.join(configured)}"
            )
        return [d for d in configured if d in datasets]

    def _batches(
        self, names: list[str], first: date, stop: date, *, skip_final: bool
    ) -> tuple[list[tuple[list[str], date, date]], tuple[Partition, ...]]:
        """Runs of contiguous days, each with the datasets that need every one of its days;
        and the (dataset, day) partitions skipped as already final."""
        days = [first + timedelta(days=n) for n in range((stop - first).days)]
        from gcexport.datasets import registry

        snapshot = set(registry.names(day_partitioned=False))  # exported whole each run
        partitioned = [n for n in names if n not in snapshot]
        snapshots = [n for n in names if n in snapshot]
        final = final_check(self.settings, self.now()) if skip_final else None
        needed = {d: [n for n in partitioned if not (final and final(n, d))] for d in days}
        # each dataset's own runs of needed days; datasets with the same run share one export,
        # so no (dataset, day) already final is exported again alongside another dataset's day
        runs: dict[tuple[date, date], list[str]] = {}
        for name in partitioned:
            for lo, hi in _runs([d for d in days if name in needed[d]]):
                runs.setdefault((lo, hi), []).append(name)
        batches = [(chosen, lo, hi) for (lo, hi), chosen in sorted(runs.items())]
        exported = {(n, d) for chosen, lo, hi in batches for d in _span(lo, hi) for n in chosen}
        skipped = tuple(
            Partition(self.org, n, d) for d in days for n in partitioned if (n, d) not in exported
        )
        if snapshots:
            if batches:
                batches[0] = ([*snapshots, *batches[0][0]], batches[0][1], batches[0][2])
            else:
                batches.append((snapshots, first, stop))
        return batches, skipped

    def _with_datasets(self, names: list[str]) -> Settings:
        export = self.settings.export.model_copy(update={"datasets": names})
        return self.settings.model_copy(update={"export": export})

    def _table_datasets(self) -> dict[str, str]:
        return {table: spec.name for spec in self.catalog() for table in spec.tables}

    def now(self) -> datetime:
        """The exporter's clock (the injected one, else the system's)."""
        from gcexport.clock import SystemClock

        return (self.clock or SystemClock()).now()


def catalog(settings: Settings) -> list[DatasetSpec]:
    """Every configured dataset with its tables, in the configured order; no network.

    A day-partitioned dataset's snapshot tables (agent time's dims pack) are listed under the
    snapshot dataset (`lookups`), configured or not, as that is how they land: whole, each run.
    """
    from gcexport.datasets import registry

    specs: list[DatasetSpec] = []
    riding: list[str] = []
    for name in settings.export.datasets:
        dataset = registry.get(name)
        tables = dataset.table_names(settings)
        ride = dataset.snapshot_tables if dataset.day_partitioned else frozenset()
        riding += [t for t in tables if t in ride and t not in riding]
        specs.append(
            DatasetSpec(name, tuple(t for t in tables if t not in ride), dataset.day_partitioned)
        )
    if riding:
        at = next((i for i, s in enumerate(specs) if not s.partitioned), None)
        if at is None:
            specs.append(
                DatasetSpec(registry.names(day_partitioned=False)[0], tuple(riding), False)
            )
        else:
            held = specs[at].tables
            specs[at] = DatasetSpec(
                specs[at].name, held + tuple(t for t in riding if t not in held), False
            )
    return specs


def retryable(exc: BaseException) -> bool:
    """Whether an engine should retry the call that raised `exc` (table in the module doc)."""
    if isinstance(exc, (InputError, AuthError)):
        return False
    if isinstance(exc, (TransientError, LockedError)):
        return True
    if isinstance(exc, ApiError):
        return exc.status is None or exc.status in (408, 429) or exc.status >= 500
    return False


def retry_later(exc: BaseException) -> bool:
    """A retry that should wait for another process to finish (a held lock or lease)."""
    return isinstance(exc, LockedError)


def _day(value: date | datetime, name: str) -> date:
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        moment = moment.astimezone(timezone.utc)
        if moment.time() != time(0):
            raise ConfigError(f"{name} {moment.isoformat()} is not midnight UTC: give whole days")
        return moment.date()
    if isinstance(value, date):
        return value
    raise ConfigError(f"{name} must be a date or a datetime, not {type(value).__name__}")


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=timezone.utc)


def _span(lo: date, hi: date) -> Iterable[date]:
    return (lo + timedelta(days=n) for n in range((hi - lo).days))


def _runs(days: list[date]) -> list[tuple[date, date]]:
    """Contiguous runs of sorted `days` as half-open `[first, last + 1)` pairs."""
    runs: list[tuple[date, date]] = []
    for day in days:
        if runs and runs[-1][1] == day:
            runs[-1] = (runs[-1][0], day + timedelta(days=1))
        else:
            runs.append((day, day + timedelta(days=1)))
    return runs
