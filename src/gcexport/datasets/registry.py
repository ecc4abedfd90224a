"""The registry: every dataset, in one tuple. Adding a dataset = its module + one line in `DATASETS`.

The CLI's `--dataset` help, `check`'s probes, the config's dataset names and sections, the plan's
request models, the run's dispatch and the README's dataset table all read this tuple.

Example::

    get("lookups").day_partitioned          # False: a snapshot, taken by its run step
    export_day(ctx, "conversation_details", window)
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from gcexport.config import DatasetCatalog
from gcexport.datasets import (
    conversation_aggregates,
    conversation_details,
    lookups,
    reporting_exports,
    user_status_aggregates,
    user_status_details,
)
from gcexport.datasets.base import Dataset, DayResult, ExportContext, RunStep
from gcexport.errors import DataError
from gcexport.loading import PartitionOutcome
from gcexport.timespan import Window

__all__ = [
    "DATASETS",
    "catalog",
    "dataset_help",
    "dataset_table",
    "do_run_steps",
    "export_day",
    "finality",
    "get",
    "names",
    "run_steps",
]

DATASETS: tuple[Dataset, ...] = (
    conversation_details.DATASET,
    conversation_aggregates.DATASET,
    reporting_exports.DATASET,
    lookups.DATASET,
    user_status_details.DATASET,
    user_status_aggregates.DATASET,
)


def names(*, day_partitioned: bool | None = None) -> tuple[str, ...]:
    """Every dataset's name in registry order (only the day-partitioned ones, or the others, if asked)."""
    return tuple(
        d.name for d in DATASETS if day_partitioned is None or d.day_partitioned == day_partitioned
    )


def get(name: str) -> Dataset:
    """The dataset called `name`; DataError for a name no dataset has (config checks names first)."""
    for dataset in DATASETS:
        if dataset.name == name:
            return dataset
    raise DataError(f"dataset {name!r} is not registered; known: {', '.join(names())}")


def catalog() -> DatasetCatalog:
    """What `config` checks settings against: the names, the defaults and the datasets' own sections."""
    return DatasetCatalog(
        names=names(),
        defaults=tuple(d.name for d in DATASETS if d.default),
        sections={d.name: d.settings_model for d in DATASETS if d.settings_model is not None},
    )


def finality(
    dataset: str,
    window: Window,
    *,
    now: datetime,
    watermark: datetime | None,
    settle: timedelta,
    live: bool = False,
) -> bool:
    """Whether `dataset`'s day exported now is final, by that dataset's own rule."""
    return get(dataset).is_final(window, now=now, watermark=watermark, settle=settle, live=live)


def export_day(ctx: ExportContext, dataset: str, window: Window) -> DayResult:
    """Export one dataset for one day, holding a work slot; raw pages kept when asked."""
    exporter = get(dataset)
    with ctx.load.slots.hold(), ctx.audit.context(dataset=dataset, window=window.key):
        ctx._raw.pages = []
        result = exporter.export(ctx, window)
        if ctx._raw.pages:  # --set export.raw_pages=true: rebuild tables later without the API
            sink = ctx.load.sink
            result.raw_files.append(
                sink.write_raw_pages(dataset, window.day, ctx.load.run_id, ctx._raw.pages)
            )
        ctx._raw.pages = []
        return result


def run_steps(selected: Iterable[str]) -> list[RunStep]:
    """The run steps of the selected datasets, each once: snapshots first, then the day datasets'."""
    chosen = [get(name) for name in selected]
    ordered = sorted(chosen, key=lambda d: (d.day_partitioned, DATASETS.index(d)))
    steps: list[RunStep] = []
    for dataset in ordered:
        if dataset.run_step is not None and dataset.run_step not in steps:
            steps.append(dataset.run_step)
    return steps


def do_run_steps(ctx: ExportContext, selected: Iterable[str]) -> list[PartitionOutcome]:
    """Do the selected datasets' run steps in order; their snapshots' outcomes."""
    return [outcome for step in run_steps(selected) for outcome in step(ctx)]


def dataset_help() -> str:
    """The `--dataset` option's help: every registered name."""
    listed = names()
    return f"{', '.join(listed[:-1])} or {listed[-1]} (repeatable)."


def dataset_table() -> str:
    """The README's dataset table, rendered from the registry (tests/test_docs.py compares them)."""
    rows = [
        "| dataset (`--dataset`) | Genesys endpoints | tables | permission |",
        "|---|---|---|---|",
    ]
    for d in DATASETS:
        name = f"`{d.name}`" + ("" if d.default else " (opt-in)")
        rows.append(f"| {name} | {d.summary} | {d.doc_tables} | `{d.permission}` |")
    return "\n".join(rows)
