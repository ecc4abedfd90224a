"""Stage 5, commit: each finished day into the state, then the run into the summary, the manifest,
the warehouse's run history and the audit log — and a parity mismatch raised once all is written.

Example::

    with recorded(plan, summary, audit, clock, on_summary=None):
        ...  # the stages; whatever happens, the summary is finished, audited and sealed
        commit(plan, summary, executed, verified, load=load)
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime

from gcexport.audit import AuditLog
from gcexport.clock import Clock
from gcexport.datasets.base import DayResult
from gcexport.errors import GcExportError
from gcexport.loading import LoadContext, PartitionOutcome, held
from gcexport.redact import redact
from gcexport.run.events import CommittedPartition, RunReporter
from gcexport.run.execute import Executed
from gcexport.run.plan import Plan
from gcexport.run.summary import JsonObject, RunSummary, config_hash, new_run_id, versions
from gcexport.run.verify import Verified
from gcexport.runlog import record_run
from gcexport.state import StateStore

__all__ = ["begin_summary", "commit", "record_day", "recorded"]


def begin_summary(plan: Plan, now: datetime) -> RunSummary:
    settings = plan.settings
    return RunSummary(
        run_id=new_run_id(now),
        started_at=now.isoformat(),
        datasets=list(settings.export.datasets),
        config_sha256=config_hash(settings),
        versions=versions(),
        out=f"{settings.export.out} ({settings.export.format})",
        warehouse=plan.warehouse_url.split("?")[0] if plan.warehouse_url else None,
    )


def record_day(
    state: StateStore, reporter: RunReporter, result: DayResult, *, warehouse_checked: bool
) -> None:
    """Remember a finished day: final days advance the high-water mark, others stay provisional;
    then tell the reporter of each of its partitions."""
    assert result.window is not None
    window = result.window
    ok = all(
        o.api_rows == o.file_rows and o.warehouse_rows in (None, o.api_rows)
        for o in result.outcomes
    )
    final = ok and not result.provisional and not result.without_attributes
    state.update(lambda s: s.dataset(result.dataset).record_day(window, final=final))
    for outcome in result.outcomes:
        reporter.committed(_committed(result, outcome, warehouse_checked=warehouse_checked))


def _committed(
    result: DayResult, o: PartitionOutcome, *, warehouse_checked: bool
) -> CommittedPartition:
    """The partition as the parity check counts it (conversations: the API's own count)."""
    assert result.window is not None
    api = o.api_rows
    if o.table == "conversations" and result.expected_conversations is not None:
        api = result.expected_conversations
    warehouse_ok = not warehouse_checked or (o.warehouse_rows or 0) == api
    return CommittedPartition(
        dataset=o.dataset or result.dataset,
        table=o.table,
        day=o.day or result.window.day,
        api_rows=api,
        file_rows=o.file_rows,
        warehouse_rows=o.warehouse_rows,
        provisional=o.provisional or result.provisional,
        parity_ok=o.file_rows == api and warehouse_ok,
        files=tuple(f.uri for f in o.files),
        bytes=sum(f.bytes for f in o.files),
    )


def commit(
    plan: Plan,
    summary: RunSummary,
    executed: Executed,
    verified: Verified,
    *,
    load: LoadContext,
    audit: AuditLog,
) -> None:
    """Fill the summary, write the manifest and the run history; raise ParityError last."""
    summary.drift.extend(verified.drift)
    summary.provisional.extend(verified.provisional)
    summary.without_attributes.extend(verified.without_attributes)
    seen = executed.divisions
    summary.divisions_unknown = seen.unknown
    summary.divisions_not_visible = None if seen.unknown is not None else list(seen.not_visible)
    summary.parity_ok = verified.report.ok
    summary.parity = [row.to_dict() for row in verified.report.rows]
    _tabulate(summary, executed.outcomes)
    _write_manifest(plan, summary, executed)
    if load.warehouse is not None:
        _finish_counts(summary, audit, executed.now)
        with held(load.warehouse):
            record_run(
                load.warehouse,
                summary,
                executed.outcomes,
                day=executed.now.date(),
                org=plan.settings.org,
            )
    verified.report.raise_for_mismatch()


@contextlib.contextmanager
def recorded(
    plan: Plan,
    summary: RunSummary,
    audit: AuditLog,
    clock: Clock,
    *,
    on_summary: Callable[[RunSummary], None] | None,
) -> Iterator[None]:
    """Whatever the stages inside do, the summary ends finished, audited and its manifest sealed;
    a failure is recorded on it (and the summary rides on a GcExportError's `.summary`)."""
    try:
        yield
    except GcExportError as exc:
        summary.status, summary.error, summary.exit_code = "failed", redact(str(exc)), exc.exit_code
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


def _tabulate(summary: RunSummary, outcomes: Sequence[PartitionOutcome]) -> None:
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


def _write_manifest(plan: Plan, summary: RunSummary, executed: Executed) -> None:
    published = [(f, o.table, o.day) for o in executed.outcomes for f in o.files]
    if plan.presign is not None and published:
        summary.presigned = plan.sink.presign([f.uri for f, _, _ in published], plan.presign)
    file_list: list[JsonObject] = [
        f.to_dict() | {"table": table, "partition_date": str(day) if day else None}
        for f, table, day in published
    ]
    if plan.presign is not None:
        for entry, (f, _, _) in zip(file_list, published, strict=True):
            entry["presigned_url"] = summary.presigned.get(f.uri)
    raw = [(f, r) for r in executed.results for f in r.raw_files]
    file_list += [
        f.to_dict()
        | {"table": f"_raw/{r.dataset}", "partition_date": str(r.window.day) if r.window else None}
        for f, r in raw
    ]
    summary.checksums = {f.uri: f.sha256 for f, _, _ in published} | {
        f.uri: f.sha256 for f, _ in raw
    }
    summary.manifest = plan.sink.write_manifest(summary.run_id, _manifest(summary, file_list)).uri
    summary._manifest_files = file_list


def _manifest(summary: RunSummary, file_list: list[JsonObject]) -> JsonObject:
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
