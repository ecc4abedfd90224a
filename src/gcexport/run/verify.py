"""Stage 4, verify: parity — the API's counts equal the files' and the warehouse's, per partition.

Also gathers what the days reported beside their rows: schema drift, provisional days and days read
without participant attributes (each list sorted: days finish in any order).

Example::

    verified = verify(plan, executed)
    verified.report.raise_for_mismatch()
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import orjson

from gcexport.run.execute import Executed
from gcexport.run.plan import Plan
from gcexport.run.summary import JsonObject
from gcexport.sinks.parity import ParityReport, check_parity
from gcexport.transform import DriftField

__all__ = ["Verified", "verify"]

Counts = dict[tuple[str, "date | None"], int]


@dataclass(frozen=True)
class Verified:
    """The parity report and the days' findings, ready for the summary."""

    report: ParityReport
    drift: tuple[JsonObject, ...]  # (table, field_path, example), each once
    provisional: tuple[str, ...]  # "dataset:day"
    without_attributes: tuple[str, ...]  # "dataset:day", due again until a job serves them


def verify(plan: Plan, executed: Executed) -> Verified:
    """Compare every partition's counts; nothing is raised here (the commit stage raises, after
    recording the run, so a mismatch is still written down)."""
    api: Counts = {}
    files: Counts = {}
    warehouse: Counts | None = {} if plan.warehouse_url else None
    for o in executed.outcomes:
        key = (o.table, o.day)
        api[key], files[key] = o.api_rows, o.file_rows
        if warehouse is not None and o.warehouse_rows is not None:
            warehouse[key] = o.warehouse_rows
    drift: list[JsonObject] = []
    provisional: list[str] = []
    without_attributes: list[str] = []
    for r in executed.results:  # details: the conversations table must also equal the API's count
        if r.expected_conversations is not None and r.window is not None:
            api[("conversations", r.window.day)] = r.expected_conversations
        drift.extend(drift_entries(r.drift))
        if r.provisional and r.window is not None:
            provisional.append(f"{r.dataset}:{r.window.day}")
        if r.without_attributes and r.window is not None:
            without_attributes.append(f"{r.dataset}:{r.window.day}")
    report = check_parity(api=api, files=files, warehouse=warehouse)
    return Verified(
        report, tuple(drift), tuple(sorted(provisional)), tuple(sorted(without_attributes))
    )


def drift_entries(drift: Sequence[DriftField]) -> list[JsonObject]:
    """Schema-drift findings as JSON objects (table, field_path, example), each once, in order."""
    entries = {
        orjson.dumps(e, option=orjson.OPT_SORT_KEYS): e for e in map(dataclasses.asdict, drift)
    }
    return [entries[k] for k in sorted(entries)]


def _drift_entry(finding: object) -> JsonObject:
    if dataclasses.is_dataclass(finding) and not isinstance(finding, type):
        return dataclasses.asdict(finding)
    return {"field": str(finding)}
