"""Progress bars for long work (windows, rows, requests, waits) and the end-of-run summary table.

Everything goes to stderr, so `--json` output on stdout stays machine-readable.

Example::

    with Reporter(enabled=True, counts=audit.counts) as reporter:
        reporter.start(total=12)
        reporter.rows(100); reporter.task_done()
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

__all__ = ["Reporter", "render_summary"]


class Reporter:
    """A rich progress display fed from worker threads; a no-op when disabled."""

    def __init__(self, *, enabled: bool, counts: Mapping[str, Any] | None = None) -> None:
        self.enabled = enabled
        self.counts = counts or {}
        self._rows = 0
        self._lock = threading.Lock()
        self._progress: Progress | None = None
        self._task: Any = None

    def __enter__(self) -> Reporter:
        if self.enabled:
            self._progress = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[detail]}"),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=False,
            )
            self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._refresh()
            self._progress.stop()

    def start(self, total: int, description: str = "windows") -> None:
        if self._progress is not None:
            self._task = self._progress.add_task(description, total=total, detail="")

    def rows(self, count: int) -> None:
        with self._lock:
            self._rows += count
        self._refresh()

    def task_done(self) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.advance(self._task)
        self._refresh()

    def _refresh(self) -> None:
        if self._progress is None or self._task is None:
            return
        detail = (
            f"{self._rows:,} rows · {self.counts.get('requests', 0):,} requests · "
            f"{self.counts.get('rate_limited', 0)} × 429 · waited {self.counts.get('waited_s', 0.0):.1f}s"
        )
        self._progress.update(self._task, detail=detail)


def render_summary(summary: Mapping[str, Any], console: Console | None = None) -> None:
    """Print the per-table rows and the run's headline numbers as a table."""
    console = console or Console(stderr=True)
    table = Table(title=f"gcexport run {summary['run_id']} — {summary['status']}")
    for column in ("table", "partitions", "api rows", "file rows", "warehouse rows"):
        table.add_column(column, justify="right" if column != "table" else "left")
    for name, row in sorted(summary.get("tables", {}).items()):
        wh = row.get("warehouse_rows")
        table.add_row(
            name,
            str(row["partitions"]),
            f"{row['api_rows']:,}",
            f"{row['file_rows']:,}",
            "-" if wh is None else f"{wh:,}",
        )
    console.print(table)
    console.print(
        f"requests {summary.get('requests', 0):,} · 429s {summary.get('rate_limited', 0)} · "
        f"waited {summary.get('waited_s', 0.0):.1f}s · files {summary.get('files', 0)} · "
        f"parity {_parity(summary)} · "
        f"provisional partitions {len(summary.get('provisional', []))}"
    )


def _parity(summary: Mapping[str, Any]) -> str:
    """OK, FAILED only when the check ran and failed, else "not checked" (a run that failed
    before its parity check must not read like exit 3)."""
    if summary.get("parity_ok"):
        return "OK"
    return "FAILED" if summary.get("status") == "parity_failed" else "not checked"
