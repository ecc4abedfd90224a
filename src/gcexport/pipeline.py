"""The export run — the only module that sees every stage: plan, extract, transform, load, verify, commit.

Example::

    summary = run_export(load_settings(), ExportRequest(start=day, end=day + timedelta(days=1)))
    assert summary.parity_ok
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import platform
import secrets
import shutil
import tempfile
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import orjson

from gcexport import __version__
from gcexport.agent_datasets import AGENT_DATASETS, EXPORTERS, export_agent_lookups
from gcexport.audit import AuditLog
from gcexport.clock import Clock, SystemClock
from gcexport.config import Settings, parse_duration
from gcexport.datasets import DETAILS, LOOKUPS, DayResult, ExportContext, export_day, export_lookups
from gcexport.errors import ConfigError, GcExportError
from gcexport.loading import (
    LoadContext,
    PartitionOutcome,
    WorkSlots,
    held,
    lower_thread_priority,
)
from gcexport.plan import Plan, prepare
from gcexport.progress import Reporter
from gcexport.redact import redact
from gcexport.runlog import record_run
from gcexport.state import State, StateStore
from gcexport.windows import Window, plan_days

__all__ = ["ExportRequest", "RunSummary", "run_export"]


@dataclass(frozen=True)
class ExportRequest:
    """One run's window; both None means "continue incrementally from saved state"."""

    start: datetime | None = None
    end: datetime | None = None


@dataclass
class RunSummary:
    """What a run did, for the terminal, `--json`, the manifest, the audit log and the webhook."""

    run_id: str
    status: str = "running"
    started_at: str = ""
    finished_at: str = ""
    datasets: list[str] = field(default_factory=list)
    windows: dict[str, list[str]] = field(default_factory=dict)
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)
    files: int = 0
    bytes: int = 0
    parity_ok: bool = False
    parity: list[dict[str, Any]] = field(default_factory=list)
    provisional: list[str] = field(default_factory=list)
    without_attributes: list[str] = field(default_factory=list)  # days due again for a job
    drift: list[dict[str, Any]] = field(default_factory=list)  # JSON objects, one per new field
    requests: int = 0
    rate_limited: int = 0
    waited_s: float = 0.0
    out: str = ""
    warehouse: str | None = None
    manifest: str | None = None
    presigned: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    exit_code: int = 0
    config_sha256: str = ""
    versions: dict[str, str] = field(default_factory=dict)
    checksums: dict[str, str] = field(
        default_factory=dict
    )  # file uri -> SHA-256, for the audit log
    _manifest_files: list[dict[str, Any]] | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_")}


def new_run_id(now: datetime) -> str:
    return f"{now.strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(3)}"


def config_hash(settings: Settings) -> str:
    """SHA-256 of the effective settings; secrets are masked by their types before hashing."""
    return hashlib.sha256(settings.model_dump_json().encode()).hexdigest()


def _versions() -> dict[str, str]:
    import duckdb
    import pyarrow

    return {
        "gcexport": __version__,
        "python": platform.python_version(),
        "pyarrow": pyarrow.__version__,
        "duckdb": duckdb.__version__,
        "httpx": httpx.__version__,
    }


def plan_windows(
    settings: Settings, request: ExportRequest, state: State, now: datetime
) -> dict[str, list[Window]]:
    """The days each day-partitioned dataset exports in this run."""
    datasets = [d for d in settings.export.datasets if d != LOOKUPS]
    if request.start or request.end:
        if not (request.start and request.end):
            raise ConfigError(
                "Give both --start and --end, or neither (to continue incrementally)."
            )
        days = plan_days(request.start, request.end)
        return {d: days for d in datasets}
    first = settings.export.first_start_at(now)
    lookback = parse_duration(settings.export.lookback)
    return {
        d: state.dataset(d).due(now=now, lookback=lookback, first_start=first) for d in datasets
    }


def _start_histories(store: StateStore, windows: dict[str, list[Window]]) -> None:
    """An incremental run's first day starts each dataset's history (once): the mark then only
    moves over contiguous final days, so a first day that fails is retried, never skipped."""

    def start(state: State) -> None:
        for dataset, days in windows.items():
            if days and state.dataset(dataset).final_through is None:
                state.dataset(dataset).start_at(days[0].day)

    store.update(start)


def run_export(
    settings: Settings,
    request: ExportRequest,
    *,
    transport: httpx.BaseTransport | None = None,
    clock: Clock | None = None,
    reporter: Reporter | None = None,
    on_summary: Callable[[RunSummary], None] | None = None,
) -> RunSummary:
    """Run one export end to end; raises GcExportError subclasses (the summary rides on `.summary`)."""
    clock = clock or SystemClock()
    plan = prepare(settings, request_start=request.start, request_end=request.end, clock=clock)
    now = clock.now()
    summary = RunSummary(
        run_id=new_run_id(now),
        started_at=now.isoformat(),
        datasets=list(settings.export.datasets),
        config_sha256=config_hash(settings),
        versions=_versions(),
        out=f"{settings.export.out} ({settings.export.format})",
        warehouse=plan.warehouse_url.split("?")[0] if plan.warehouse_url else None,
    )
    # Read the state and plan before taking the lock: a corrupt state file or a bad window is bad
    # input (exit 2), reported before anything — the lock file included — is written.
    plan_windows(settings, request, plan.state.load(now=now), now)
    with plan.state.lock():
        state = plan.state.load(now=now)
        windows = plan_windows(settings, request, state, now)
        if request.start is None:
            _start_histories(plan.state, windows)
        summary.windows = {d: [w.key for w in ws] for d, ws in windows.items()}
        with AuditLog(plan.audit_path, run_id=summary.run_id, secrets=plan.secrets) as audit:
            try:
                _run(
                    plan,
                    summary,
                    windows,
                    audit=audit,
                    transport=transport,
                    clock=clock,
                    reporter=reporter,
                )
            except GcExportError as exc:
                summary.status, summary.error, summary.exit_code = (
                    "failed",
                    redact(str(exc)),
                    exc.exit_code,
                )
                if exc.exit_code == 3:
                    summary.status = "parity_failed"
                exc.summary = summary  # type: ignore[attr-defined]
                raise
            # A bug or an interrupt: recorded as failed, then re-raised.
            except BaseException as exc:
                summary.status, summary.error, summary.exit_code = "failed", type(exc).__name__, 1
                raise
            finally:
                _finish(summary, audit, clock)
                _seal_manifest(plan, summary)
                if on_summary is not None:
                    on_summary(summary)
    return summary


def _finish_counts(summary: RunSummary, audit: AuditLog, now: datetime) -> None:
    summary.finished_at = now.isoformat()
    summary.requests = int(audit.counts["requests"])
    summary.rate_limited = int(audit.counts["rate_limited"])
    summary.waited_s = round(float(audit.counts["waited_s"]), 3)
    if summary.status == "running":
        summary.status = "success" if summary.parity_ok else "parity_failed"


def _finish(summary: RunSummary, audit: AuditLog, clock: Clock) -> None:
    _finish_counts(summary, audit, clock.now())
    audit.write("run", **{k: v for k, v in summary.to_dict().items() if k != "presigned"})


def _run(
    plan: Plan,
    summary: RunSummary,
    windows: dict[str, list[Window]],
    *,
    audit: AuditLog,
    transport: httpx.BaseTransport | None,
    clock: Clock,
    reporter: Reporter | None,
) -> None:
    from gcexport.api import jobs as jobs_api

    settings = plan.settings
    spool = Path(tempfile.mkdtemp(prefix="gcexport-spool-"))
    client = plan.make_client(transport=transport, clock=clock, on_request=audit.request)
    warehouse = plan.open_warehouse()
    if warehouse is not None and hasattr(warehouse, "release"):
        warehouse.release()  # DuckDB: the file is held only while a day loads (loading.held)
    try:
        load = LoadContext(
            sink=plan.sink,
            warehouse=warehouse,
            run_id=summary.run_id,
            spool_root=spool,
            slots=WorkSlots(settings.export.workers),
            warehouse_lanes=min(2, os.cpu_count() or 1),
            org=settings.org,
        )
        now = clock.now()
        # Details days are final by the availability watermark, whatever else is in the run and
        # whether or not jobs are used (datasets.day_is_final).
        watermark = jobs_api.get_availability(client) if windows.get(DETAILS) else None
        reporter = reporter or Reporter(enabled=False)
        reporter.counts = audit.counts  # requests, 429s and waits, live
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
            aggregate_queries=plan.aggregate_queries,
            report_requests=plan.report_requests,
        )
        tasks = [(dataset, window) for dataset, ws in windows.items() for window in ws]
        reporter.start(len(tasks) + 1, conversations=bool(windows.get(DETAILS)))
        outcomes: list[PartitionOutcome] = []
        needs_queues = "conversation_aggregates" in windows
        if LOOKUPS in settings.export.datasets or needs_queues:
            ctx.queues, lookup_outcomes = export_lookups(
                ctx, publish=LOOKUPS in settings.export.datasets
            )
            outcomes.extend(lookup_outcomes)
        if any(name in windows for name in AGENT_DATASETS):
            outcomes.extend(export_agent_lookups(ctx))
        reporter.task_done()
        results = _run_days(ctx, tasks, workers=settings.export.workers, reporter=reporter)
        for result in results:
            outcomes.extend(result.outcomes)
        _verify_and_commit(plan, summary, ctx, results, outcomes)
    finally:
        client.close()
        if warehouse is not None:
            warehouse.close()
        shutil.rmtree(spool, ignore_errors=True)


def _run_days(
    ctx: ExportContext, tasks: list[tuple[str, Window]], *, workers: int, reporter: Reporter
) -> list[DayResult]:
    """Export every (dataset, day) on a thread pool; the first failure stops new work and is raised."""
    results: list[DayResult] = []
    # Twice the threads: `workers` days fetch and transform while as many more wait for the
    # warehouse (ctx.load.slots), holding nothing but their staged files.
    with (
        ThreadPoolExecutor(
            max_workers=2 * workers,
            thread_name_prefix="gcexport",
            initializer=lower_thread_priority,
        ) as pool,
        ThreadPoolExecutor(
            max_workers=ctx.load.warehouse_lanes, thread_name_prefix="gcexport-warehouse"
        ) as loads,
    ):
        ctx.load.warehouse_threads = loads
        try:
            futures: dict[Future[DayResult], tuple[str, Window]] = {
                pool.submit(export_day, ctx, dataset, window, more=EXPORTERS): (dataset, window)
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
                    _record(ctx, result)
                    reporter.task_done()
        finally:
            ctx.load.warehouse_threads = None
    return results


def _raise_named(error: BaseException, dataset: str, window: Window) -> None:
    if isinstance(error, GcExportError):
        error.args = (f"{dataset} {window}: {error}", *error.args[1:])
        raise error
    raise error


def _record(ctx: ExportContext, result: DayResult) -> None:
    """Remember a finished day: final days advance the high-water mark, others stay provisional."""
    assert result.window is not None
    window = result.window
    ok = all(
        o.api_rows == o.file_rows and o.warehouse_rows in (None, o.api_rows)
        for o in result.outcomes
    )
    final = ok and not result.provisional and not result.without_attributes
    ctx.state.update(lambda s: s.dataset(result.dataset).record_day(window, final=final))


def _verify_and_commit(
    plan: Plan,
    summary: RunSummary,
    ctx: ExportContext,
    results: list[DayResult],
    outcomes: list[PartitionOutcome],
) -> None:
    from gcexport.sinks import check_parity

    api: dict[tuple[str, Any], int] = {}
    files: dict[tuple[str, Any], int] = {}
    warehouse: dict[tuple[str, Any], int] | None = {} if plan.warehouse_url else None
    for o in outcomes:
        key = (o.table, o.day)
        api[key], files[key] = o.api_rows, o.file_rows
        if warehouse is not None and o.warehouse_rows is not None:
            warehouse[key] = o.warehouse_rows
    for r in results:  # details: the conversations table must also equal the API's own count
        if r.expected_conversations is not None and r.window is not None:
            api[("conversations", r.window.day)] = r.expected_conversations
        summary.drift.extend(_drift_entries(r.drift))
        if r.provisional and r.window is not None:
            summary.provisional.append(f"{r.dataset}:{r.window.day}")
        if r.without_attributes and r.window is not None:
            summary.without_attributes.append(f"{r.dataset}:{r.window.day}")
    # days finish in any order: the lists read the same whatever order that was
    summary.provisional.sort()
    summary.without_attributes.sort()
    report = check_parity(api=api, files=files, warehouse=warehouse)
    summary.parity_ok = report.ok
    summary.parity = [row.to_dict() for row in report.rows]
    _tabulate(summary, outcomes)
    _write_manifest(plan, summary, outcomes, results)
    if ctx.load.warehouse is not None:
        _finish_counts(summary, ctx.audit, ctx.now)
        with held(ctx.load.warehouse):
            record_run(
                ctx.load.warehouse, summary, outcomes, day=ctx.now.date(), org=plan.settings.org
            )
    report.raise_for_mismatch()


def _drift_entries(drift: list[Any]) -> list[dict[str, Any]]:
    """Schema-drift findings as JSON objects (table, field_path, example), each once, in order."""
    entries = {
        orjson.dumps(e, option=orjson.OPT_SORT_KEYS): e
        for e in (
            dataclasses.asdict(d)
            if dataclasses.is_dataclass(d) and not isinstance(d, type)
            else {"field": str(d)}
            for d in drift
        )
    }
    return [entries[k] for k in sorted(entries)]


def _tabulate(summary: RunSummary, outcomes: list[PartitionOutcome]) -> None:
    for o in outcomes:
        row = summary.tables.setdefault(
            o.table, {"partitions": 0, "api_rows": 0, "file_rows": 0, "warehouse_rows": None}
        )
        row["partitions"] += 1
        row["api_rows"] += o.api_rows
        row["file_rows"] += o.file_rows
        if o.warehouse_rows is not None:
            row["warehouse_rows"] = (row["warehouse_rows"] or 0) + o.warehouse_rows
        summary.files += len(o.files)
        summary.bytes += sum(f.bytes for f in o.files)


def _write_manifest(
    plan: Plan, summary: RunSummary, outcomes: list[PartitionOutcome], results: list[DayResult]
) -> None:
    file_list = [
        f.to_dict() | {"table": o.table, "partition_date": str(o.day) if o.day else None}
        for o in outcomes
        for f in o.files
    ]
    if plan.presign is not None and file_list:
        summary.presigned = plan.sink.presign([f["uri"] for f in file_list], plan.presign)
        for entry in file_list:
            entry["presigned_url"] = summary.presigned.get(entry["uri"])
    file_list += [
        f.to_dict()
        | {"table": f"_raw/{r.dataset}", "partition_date": str(r.window.day) if r.window else None}
        for r in results
        for f in r.raw_files
    ]
    summary.checksums = {f["uri"]: f["sha256"] for f in file_list}
    summary.manifest = plan.sink.write_manifest(summary.run_id, _manifest(summary, file_list)).uri
    summary._manifest_files = file_list


def _manifest(summary: RunSummary, file_list: list[dict[str, Any]]) -> dict[str, Any]:
    manifest = summary.to_dict() | {"files": file_list}
    for private in ("checksums", "presigned", "_manifest_files"):
        manifest.pop(private, None)
    return manifest


def _seal_manifest(plan: Plan, summary: RunSummary) -> None:
    """Rewrite the run's manifest with its final status, exit code, error and finish time, so a
    finished run never reads "running" (only a run killed before it ended does)."""
    if summary.manifest is None or summary._manifest_files is None:
        return
    plan.sink.write_manifest(summary.run_id, _manifest(summary, summary._manifest_files))
