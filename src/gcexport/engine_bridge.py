"""What `gcexport.engine` needs of the core: org settings, pending and final days, a run's commits.

Engines call `gcexport.engine`; this keeps it apart from how the core does each thing:
`load_org_settings` is `load_settings(path, org=org)` (`[orgs.<slug>]`), `pending_days` and
`final_check` read the state backend the settings name (a local file, or objects beside the data),
and `run_and_report` runs `gcexport.export` and turns each of the run's `CommittedPartition`
events into an org-qualified outcome as it lands.

Nothing outside `gcexport.engine` imports this module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx

from gcexport.clock import Clock, FakeClock
from gcexport.config import Settings
from gcexport.datasets.settings import load_settings
from gcexport.run import CommittedPartition
from gcexport.state import pending_days as state_pending_days
from gcexport.state.destination import open_state_store

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
    """The settings of `org`: its `[orgs.<org>]` section when the file has orgs; a file without
    orgs is one org's own config, and `org` is then only the name the engine gives it."""
    settings = load_settings(path)
    if org is not None and settings.orgs:
        return load_settings(path, org=org)
    return settings


def org_of(settings: Settings) -> str | None:
    """The org the settings are for (`Settings.org`; None for a single-org setup)."""
    return settings.org


def pending_days(settings: Settings, dataset: str, now: datetime) -> list[date]:
    """New, provisional and failed days of `dataset`, from the state backend (local or destination)."""
    return list(state_pending_days(settings, dataset, clock=FakeClock(now)))


def final_check(settings: Settings, now: datetime) -> Callable[[str, date], bool]:
    """A predicate: is (dataset, day) already final in the saved state (local or destination)?"""
    state = open_state_store(settings, clock=FakeClock(now)).load(now=now)
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
    """One run of `[start, end)`; `on_commit` as each (dataset, table, day) commits (the run's own
    event, so a run that fails half-way has reported the days it did commit), then ParityError
    if any table's counts differ."""
    from gcexport.library import export

    outcomes: list[Outcome] = []

    def committed(partition: CommittedPartition) -> None:
        outcome = _outcome(partition, org)
        outcomes.append(outcome)
        if on_commit is not None:
            on_commit(outcome)

    summary = export(
        settings, start=start, end=end, transport=transport, clock=clock, on_commit=committed
    )
    return RunReport(
        summary.run_id, summary.requests, summary.rate_limited, summary.waited_s, tuple(outcomes)
    )


def _outcome(partition: CommittedPartition, org: str) -> Outcome:
    return {
        "org": org,
        "dataset": partition.dataset,
        "table": partition.table,
        "day": partition.day,
        "api_rows": int(partition.api_rows or 0),
        "file_rows": partition.file_rows,
        "warehouse_rows": partition.warehouse_rows,
        "provisional": partition.provisional,
        "parity_ok": partition.parity_ok,
        "files": len(partition.files),
        "bytes": partition.bytes,
    }
