"""PRE-MERGE ADAPTER between `gcexport.engine` and the core, for the integrator to replace.

Issue #21 is built in parallel: the org core (orgs config, state in the destination, the lease)
and the per-partition commit event of the run land at merge. Until then this module stands in
for them with what main has today, and every function names what replaces it:

- `load_org_settings`  -> `load_settings(path, org=org)` (orgs config): today one file per org.
- `org_of`             -> `Settings.org`.
- `pending_days`       -> `gcexport.state.pending_days(settings, dataset)` (destination state).
- `final_check`        -> the destination state backend's final days.
- `run_and_report`     -> `gcexport.export(settings, ..., on_commit=...)`, which calls `on_commit`
  as each (dataset, table, day) commits. Here the outcomes are derived from the run's summary
  after the run, so a run that fails half-way reports none of the days it did commit.

Nothing outside `gcexport.engine` imports this module.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from gcexport.clock import Clock
from gcexport.config import Settings, load_settings, parse_duration
from gcexport.errors import ParityError

if TYPE_CHECKING:
    from gcexport.pipeline import RunSummary

# One committed partition's fields, as `gcexport.engine.CommittedPartition` takes them.
Outcome = dict[str, Any]

__all__ = [
    "DEFAULT_ORG",
    "RunReport",
    "final_check",
    "load_org_settings",
    "org_of",
    "pending_days",
    "run_and_report",
]

DEFAULT_ORG = "default"


def load_org_settings(path: Path | None, org: str | None) -> Settings:
    """The settings of `org` (replaced by `load_settings(path, org=org)` at merge)."""
    if "org" in inspect.signature(load_settings).parameters:
        loader: Callable[..., Settings] = load_settings
        return loader(config_file=path, org=org)
    return load_settings(config_file=path)


def org_of(settings: Settings) -> str | None:
    """`Settings.org` once the orgs config lands; None before."""
    value = getattr(settings, "org", None)
    return value if isinstance(value, str) else None


def _state(settings: Settings, now: datetime) -> Any:
    from gcexport.state import StateStore

    return StateStore(Path(settings.export.state_dir)).load(now=now)


def pending_days(settings: Settings, dataset: str, now: datetime) -> list[date]:
    """New, provisional and failed days of `dataset`: what an incremental run would export."""
    from gcexport import state as state_module

    core = getattr(state_module, "pending_days", None)
    if core is not None:
        return list(core(settings, dataset))
    history = _state(settings, now).dataset(dataset)
    lookback = parse_duration(settings.export.lookback)
    due = history.due(now=now, lookback=lookback, first_start=settings.export.first_start_at(now))
    return [window.day for window in due]


def final_check(settings: Settings, now: datetime) -> Callable[[str, date], bool]:
    """A predicate: is (dataset, day) already final in saved state?"""
    state = _state(settings, now)
    return lambda dataset, day: bool(state.dataset(dataset).is_final(day))


@dataclass(frozen=True)
class RunReport:
    run_id: str
    requests: int
    rate_limited: int
    waited_s: float
    outcomes: tuple[Outcome, ...]


def run_and_report(
    settings: Settings,
    org: str,
    start: datetime,
    end: datetime,
    *,
    table_datasets: dict[str, str],
    on_commit: Callable[[Outcome], None] | None,
    transport: httpx.BaseTransport | None,
    clock: Clock | None,
) -> RunReport:
    """One run of `[start, end)`; `on_commit` per committed partition, then ParityError if any."""
    from gcexport.pipeline import ExportRequest, run_export

    try:
        summary = run_export(
            settings, ExportRequest(start=start, end=end), transport=transport, clock=clock
        )
    except ParityError as exc:
        failed: RunSummary | None = getattr(exc, "summary", None)
        if failed is not None:
            _report(failed, org, table_datasets, on_commit)
        raise
    return _report(summary, org, table_datasets, on_commit)


def _report(
    summary: RunSummary,
    org: str,
    table_datasets: dict[str, str],
    on_commit: Callable[[Outcome], None] | None,
) -> RunReport:
    outcomes = tuple(_outcomes(summary, org, table_datasets))
    for outcome in outcomes:
        if on_commit is not None:
            on_commit(outcome)
    return RunReport(
        summary.run_id, summary.requests, summary.rate_limited, summary.waited_s, outcomes
    )


def _outcomes(summary: RunSummary, org: str, table_datasets: dict[str, str]) -> list[Outcome]:
    written: dict[tuple[str, str | None], list[int]] = {}
    for entry in summary._manifest_files or []:
        sizes = written.setdefault((entry["table"], entry["partition_date"]), [])
        sizes.append(int(entry.get("bytes") or 0))
    provisional = set(summary.provisional)
    outcomes = []
    for row in summary.parity:
        table, day = row["table"], row["partition_date"]
        dataset = table_datasets.get(table, "")
        counts = {n for n in (row["api"], row["files"], row["warehouse"]) if n is not None}
        sizes = written.get((table, day), [])
        outcomes.append(
            {
                "org": org,
                "dataset": dataset,
                "table": table,
                "day": date.fromisoformat(day) if day else None,
                "api_rows": int(row["api"] or 0),
                "file_rows": int(row["files"] or 0),
                "warehouse_rows": row["warehouse"],
                "provisional": f"{dataset}:{day}" in provisional,
                "parity_ok": len(counts) <= 1,
                "files": len(sizes),
                "bytes": sum(sizes),
            }
        )
    return outcomes
