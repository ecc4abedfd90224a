"""Stage 2, execute: every (dataset, day) exported on a thread pool, each day loaded as it finishes.

First the availability watermark and which divisions the client cannot see (it exports only what
its role's divisions cover, and the run must say so), then the lookups (the aggregates need the
queues), then the days, `workers` at a time; each finished day is handed to `on_day` (the commit
stage records it) on the calling thread, in finishing order.

Example::

    executed = execute(plan, windows, load, audit, transport=None, clock=clock,
                       reporter=SilentReporter(), on_day=lambda result: None)
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime

import httpx

from gcexport.api.divisions import Divisions, division_visibility
from gcexport.audit import AuditLog
from gcexport.clock import Clock
from gcexport.datasets import registry
from gcexport.datasets.base import DayResult, ExportContext
from gcexport.datasets.conversation_details import DETAILS
from gcexport.datasets.registry import export_day
from gcexport.errors import GcExportError
from gcexport.loading import LoadContext, PartitionOutcome
from gcexport.run.events import RunReporter
from gcexport.run.plan import Plan, Windows
from gcexport.timespan import Window

__all__ = ["Executed", "execute"]


@dataclass(frozen=True)
class Executed:
    """Every day's result and every published partition (lookups included), as of `now`."""

    results: tuple[DayResult, ...]
    outcomes: tuple[PartitionOutcome, ...]
    now: datetime
    windows: Windows  # the plan's, with the days the datasets' re-reads added (`Dataset.reread`)
    divisions: Divisions = field(default_factory=Divisions)  # which ones the client cannot see


def execute(
    plan: Plan,
    windows: Windows,
    load: LoadContext,
    audit: AuditLog,
    *,
    transport: httpx.BaseTransport | None,
    clock: Clock,
    reporter: RunReporter,
    on_day: Callable[[DayResult], None],
    incremental: bool = False,
) -> Executed:
    """Export the lookups and every planned day; the first failure stops new work and is raised."""
    from gcexport.api import jobs as jobs_api

    settings = plan.settings
    client = plan.make_client(transport=transport, clock=clock, on_request=audit.request)
    try:
        now = clock.now()
        # Details days are final by the availability watermark, whatever else is in the run and
        # whether or not jobs are used (datasets.day_is_final).
        watermark = jobs_api.get_availability(client) if windows.get(DETAILS) else None
        reporter.follow(audit.counts)  # requests, 429s and waits, live
        divisions = division_visibility(client)  # once a run; a refused listing is not fatal
        audit.write(
            "divisions", every=len(divisions.every), not_visible=list(divisions.not_visible),
            unknown=divisions.unknown,
        )  # fmt: skip
        ctx = ExportContext(
            settings=settings,
            client=client,
            load=load,
            audit=audit,
            state=plan.state,
            now=now,
            watermark=watermark,
            on_rows=reporter.rows,
            on_expected=reporter.expect,
            on_conversations=reporter.conversations,
            requests=plan.requests,
        )
        if incremental:
            windows = {d: _with_rereads(ctx, d, ws) for d, ws in windows.items()}
        tasks = [(dataset, window) for dataset, ws in windows.items() for window in ws]
        reporter.start(len(tasks) + 1, conversations=bool(windows.get(DETAILS)))
        outcomes: list[PartitionOutcome] = []
        outcomes.extend(registry.do_run_steps(ctx, settings.export.datasets))
        reporter.task_done()
        results = _run_days(
            ctx, tasks, workers=settings.export.workers, reporter=reporter, on_day=on_day
        )
        for result in results:
            outcomes.extend(result.outcomes)
        return Executed(tuple(results), tuple(outcomes), now, windows, divisions)
    finally:
        client.close()


def _with_rereads(ctx: ExportContext, dataset: str, due: list[Window]) -> list[Window]:
    """An incremental run's due days of `dataset`, and the final days it must export again."""
    if not due:
        return due
    return sorted({*due, *registry.get(dataset).reread(ctx, due)})


def _run_days(
    ctx: ExportContext,
    tasks: list[tuple[str, Window]],
    *,
    workers: int,
    reporter: RunReporter,
    on_day: Callable[[DayResult], None],
) -> list[DayResult]:
    """Export every (dataset, day) on a thread pool; the first failure stops new work and is raised."""
    results: list[DayResult] = []
    # Twice the threads: `workers` days fetch and transform while as many more wait for the
    # warehouse (ctx.load.slots), holding nothing but their staged files.
    with (
        ThreadPoolExecutor(
            max_workers=2 * workers,
            thread_name_prefix="gcexport",
        ) as pool,
        ThreadPoolExecutor(
            max_workers=ctx.load.warehouse_lanes, thread_name_prefix="gcexport-warehouse"
        ) as loads,
    ):
        ctx.load.warehouse_threads = loads
        try:
            futures: dict[Future[DayResult], tuple[str, Window]] = {
                pool.submit(export_day, ctx, dataset, window): (dataset, window)
                for dataset, window in tasks
            }
            pending = set(futures)
            while pending:
                done, pending = wait(pending, return_when=FIRST_EXCEPTION)
                for future in done:
                    error = future.exception()
                    if error is not None:
                        for other in pending:
                            other.cancel()
                        wait(pending)
                        dataset, window = futures[future]
                        _raise_named(error, dataset, window)
                    result = future.result()
                    results.append(result)
                    on_day(result)
                    reporter.task_done()
        finally:
            ctx.load.warehouse_threads = None
    return results


def _raise_named(error: BaseException, dataset: str, window: Window) -> None:
    if isinstance(error, GcExportError):
        error.args = (f"{dataset} {window}: {error}", *error.args[1:])
        raise error
    raise error
