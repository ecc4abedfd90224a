"""The `gcexport export` command around `run_export`: progress, summary, JSON, webhook, exit code.

Example::

    code = run_export_command(settings, ExportRequest(), quiet=False, json_output=False)
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import httpx
import orjson

from gcexport.audit import AuditLog
from gcexport.clock import Clock
from gcexport.commands.progress import Reporter, render_summary, summary_console
from gcexport.config import Settings
from gcexport.errors import GcExportError
from gcexport.redact import redact_data
from gcexport.run import ExportRequest, RunSummary, run_export
from gcexport.webhook import post_summary

__all__ = ["run_export_command"]


def run_export_command(
    settings: Settings,
    request: ExportRequest,
    *,
    quiet: bool,
    json_output: bool,
    transport: httpx.BaseTransport | None = None,
    clock: Clock | None = None,
) -> int:
    """Run an export for the CLI; print the summary; POST the webhook; return the exit code."""
    holder: dict[str, RunSummary] = {}
    # the run hands the reporter its live audit counters (requests, 429s, waits)
    reporter = Reporter(enabled=not quiet and not json_output and sys.stderr.isatty())
    error: GcExportError | None = None
    try:
        with reporter:
            run_export(
                settings,
                request,
                transport=transport,
                clock=clock,
                reporter=reporter,
                on_summary=lambda s: holder.__setitem__("summary", s),
            )
    except GcExportError as exc:
        error = exc
    summary = holder.get("summary")
    if summary is None:  # failed before the run started (bad input): nothing to report or announce
        assert error is not None
        raise error
    _announce(settings, summary, quiet=quiet, json_output=json_output)
    if error is not None:
        raise error
    return 0


def _announce(settings: Settings, summary: RunSummary, *, quiet: bool, json_output: bool) -> None:
    data = redact_data(summary.to_dict())  # before the webhook, --json and the summary see it
    if settings.webhook.url:
        result = post_summary(
            settings.webhook.url,
            data,
            attempts=settings.webhook.attempts,
            timeout=settings.webhook.timeout_seconds,
        )
        data["webhook"] = {
            "delivered": result.delivered,
            "attempts": result.attempts,
            "error": result.error,
        }
        _audit_webhook(settings, summary.run_id, data["webhook"])
        if not result.delivered:
            print(
                f"gcexport: warning: webhook not delivered after {result.attempts} attempts "
                f"({result.error}); the export itself is unaffected.",
                file=sys.stderr,
            )
    _print(data, summary, quiet=quiet, json_output=json_output)


def _audit_webhook(settings: Settings, run_id: str, outcome: dict[str, Any]) -> None:
    """Record the delivery; a state directory that became unwritable only earns a warning."""
    try:
        with AuditLog(Path(settings.export.state_dir) / "audit.jsonl", run_id=run_id) as audit:
            audit.write("webhook", host=httpx.URL(settings.webhook.url or "").host, **outcome)
    except (GcExportError, OSError, httpx.InvalidURL) as exc:
        print(f"gcexport: warning: webhook delivery not audited ({exc}).", file=sys.stderr)


def _print(data: dict[str, Any], summary: RunSummary, *, quiet: bool, json_output: bool) -> None:
    if json_output:
        sys.stdout.write(
            orjson.dumps(data, option=orjson.OPT_INDENT_2, default=str).decode() + "\n"
        )
    elif not quiet:
        render_summary(data, summary_console())
        for uri, url in summary.presigned.items():
            print(f"{uri}\n  {url}")
