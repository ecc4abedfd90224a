"""The export run: one-way stages, each handing the next a finished, typed value.

    plan     ─► execute ─────────────► verify ─► commit
    Plan,       Executed (days exported   Verified   state per day, summary, manifest,
    Windows     and loaded: `load`)       (parity)   run history, audit log

`run_export` is those calls in order. It never prints: progress and each committed partition go to
the `RunReporter` it is given.

Example::

    summary = run_export(load_settings(), ExportRequest(start=day, end=day + timedelta(days=1)))
    assert summary.parity_ok
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import httpx

from gcexport.audit import AuditLog
from gcexport.clock import Clock, SystemClock
from gcexport.config import Settings
from gcexport.run.commit import begin_summary, commit, record_day, recorded
from gcexport.run.events import CommittedPartition, RunReporter, SilentReporter
from gcexport.run.execute import execute
from gcexport.run.load import open_load
from gcexport.run.plan import plan_windows, prepare, start_histories
from gcexport.run.summary import ExportRequest, RunSummary
from gcexport.run.verify import verify

__all__ = [
    "CommittedPartition",
    "ExportRequest",
    "RunReporter",
    "RunSummary",
    "SilentReporter",
    "run_export",
]


def run_export(
    settings: Settings,
    request: ExportRequest,
    *,
    transport: httpx.BaseTransport | None = None,
    clock: Clock | None = None,
    reporter: RunReporter | None = None,
    on_summary: Callable[[RunSummary], None] | None = None,
) -> RunSummary:
    """Run one export end to end; raises GcExportError subclasses (the summary rides on `.summary`)."""
    clock = clock or SystemClock()
    reporter = reporter or SilentReporter()
    plan = prepare(settings, request_start=request.start, request_end=request.end, clock=clock)
    now = clock.now()
    summary = begin_summary(plan, now)
    # Read the state and plan before taking the lock: a corrupt state file or a bad window is bad
    # input (exit 2), reported before anything — the lock file included — is written.
    plan_windows(settings, request, plan.state.load(now=now), now)
    with plan.state.lock():
        windows = plan_windows(settings, request, plan.state.load(now=now), now)
        if request.start is None:
            start_histories(plan.state, windows)
        summary.windows = {d: [w.key for w in ws] for d, ws in windows.items()}
        on_day = functools.partial(
            record_day, plan.state, reporter, warehouse_checked=plan.warehouse_url is not None
        )
        with (
            AuditLog(plan.audit_path, run_id=summary.run_id, secrets=plan.secrets) as audit,
            recorded(plan, summary, audit, clock, on_summary=on_summary),
            open_load(plan, summary.run_id) as load,
        ):
            executed = execute(
                plan, windows, load, audit,
                transport=transport, clock=clock, reporter=reporter, on_day=on_day,
                incremental=request.start is None,
            )  # fmt: skip
            summary.windows = {d: [w.key for w in ws] for d, ws in executed.windows.items()}
            verified = verify(plan, executed)
            commit(plan, summary, executed, verified, load=load, audit=audit)
    return summary
