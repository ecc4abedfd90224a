"""Progress for long work (conversations or days, requests, 429s, waits, ETA) and the end summary.

Everything goes to stderr, so `--json` output on stdout stays machine-readable.

Example::

    with Reporter(enabled=True) as reporter:
        reporter.follow(audit.counts)           # requests, 429s and waits, live
        reporter.start(12, conversations=True)
        reporter.expect(1500); reporter.conversations(100); reporter.task_done()
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from gcexport.run.events import CommittedPartition

__all__ = ["Reporter", "render_summary", "summary_console", "summary_lines"]

# Wide enough for any line: a console that is not a terminal renders at this width, not rich's 80.
PIPE_WIDTH = 100_000


def summary_console(*, stderr: bool = True) -> Console:
    """The console for summaries and tables: a terminal's own width, or, for a pipe or a file, so
    wide that no line wraps and no table cell is clipped (a pipeline reads whole lines)."""
    console = Console(stderr=stderr)
    return console if console.is_terminal else Console(stderr=stderr, width=PIPE_WIDTH)


class Reporter:
    """A rich progress display fed from worker threads; a no-op when disabled.

    The bar counts conversations when details are in the run (the API's own count of each day,
    learnt as the day starts), else days; requests, 429s and waits are read live from `counts`
    (the run's audit counters, handed over by the run once it starts: `follow`).
    """

    def __init__(
        self,
        *,
        enabled: bool,
        counts: Mapping[str, Any] | None = None,
        console: Console | None = None,
    ) -> None:
        self.enabled = enabled
        self.counts: Mapping[str, Any] = counts if counts is not None else {}
        self._console = console
        self._rows = 0
        self._days = (0, 0)  # done, total
        self._conversations: tuple[int, int] | None = None  # done, expected (details only)
        self._lock = threading.Lock()
        self._progress: Progress | None = None
        self._task: Any = None

    def __enter__(self) -> Reporter:
        if self.enabled:
            self._progress = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(bar_width=16),
                MofNCompleteColumn(),
                TextColumn("{task.fields[detail]}"),
                TimeRemainingColumn(compact=True),
                console=self._console or Console(stderr=True),
                transient=False,
            )
            self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._refresh()
            self._progress.stop()

    def follow(self, counts: Mapping[str, float]) -> None:
        """Read requests, 429s and waits live from `counts` (the run's audit counters)."""
        self.counts = counts

    def committed(self, partition: CommittedPartition) -> None:
        """A partition landed; the bar counts days (`task_done`), so nothing to draw."""

    def start(self, total: int, *, conversations: bool = False) -> None:
        """`total` days (snapshots included); with `conversations`, the bar counts those."""
        with self._lock:
            self._days = (0, total)
            self._conversations = (0, 0) if conversations else None
        if self._progress is not None:
            description = "conversations" if conversations else "days"
            self._task = self._progress.add_task(
                description, total=None if conversations else total, detail=""
            )
        self._refresh()

    def expect(self, conversations: int) -> None:
        """A day's count of conversations became known."""
        with self._lock:
            if self._conversations is not None:
                done, total = self._conversations
                self._conversations = (done, total + conversations)
        self._refresh()

    def conversations(self, count: int) -> None:
        with self._lock:
            if self._conversations is not None:
                done, total = self._conversations
                self._conversations = (done + count, max(total, done + count))
        self._refresh()

    def rows(self, count: int) -> None:
        with self._lock:
            self._rows += count
        self._refresh()

    def task_done(self) -> None:
        with self._lock:
            done, total = self._days
            self._days = (done + 1, total)
        self._refresh()

    def line(self) -> str:
        """The live detail: days, requests, 429s and waits (also what tests read)."""
        with self._lock:
            done, total = self._days
        return (
            f"days {done}/{total} · {int(self.counts.get('requests', 0)):,} req · "
            f"{int(self.counts.get('rate_limited', 0))}×429 · "
            f"waited {float(self.counts.get('waited_s', 0.0)):.0f}s"
        )

    def _refresh(self) -> None:
        if self._progress is None or self._task is None:
            return
        with self._lock:
            conversations, days = self._conversations, self._days
        if conversations is not None:
            done, expected = conversations
            self._progress.update(
                self._task, completed=done, total=expected or None, detail=self.line()
            )
        else:
            self._progress.update(self._task, completed=days[0], detail=self.line())


def render_summary(summary: Mapping[str, Any], console: Console | None = None) -> None:
    """Print the per-table rows and the run's headline numbers as a table; the lines under it
    wrap at a terminal's width, and never on a console that is not one."""
    console = console or summary_console()
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
    for line in summary_lines(summary):
        console.print(line, highlight=False, markup=False, soft_wrap=not console.is_terminal)


def summary_lines(summary: Mapping[str, Any]) -> list[str]:
    """The headline under the table: counts, parity, duration and throughput, where the output
    went, and which days are still provisional (one line each: `render_summary` decides wrapping)."""
    lines = [
        f"requests {summary.get('requests', 0):,} · 429s {summary.get('rate_limited', 0)} · "
        f"waited {summary.get('waited_s', 0.0):.1f}s · files {summary.get('files', 0)} · "
        f"parity {_parity(summary)} · "
        f"provisional partitions {len(summary.get('provisional', []))}"
    ]
    seconds = _duration(summary)
    if seconds is not None:
        tables = summary.get("tables", {})
        unit, count = (
            ("conversations", tables["conversations"]["api_rows"])
            if ("conversations" in tables)
            else ("rows", sum(row["api_rows"] for row in tables.values()))
        )
        rate = f" ({count / seconds:,.0f}/s)" if seconds > 0 and count else ""
        lines.append(f"took {seconds:.1f}s · {count:,} {unit}{rate}")
    where = [f"output {summary['out']}" if summary.get("out") else ""]
    where += [f"warehouse {summary['warehouse']}" if summary.get("warehouse") else ""]
    where += [f"manifest {summary['manifest']}" if summary.get("manifest") else ""]
    if any(where):
        lines.append(" · ".join(w for w in where if w))
    provisional = summary.get("provisional", [])
    if provisional:
        lines.append("provisional (exported again next run): " + ", ".join(provisional))
    if summary.get("divisions_not_visible"):
        hidden = summary["divisions_not_visible"]
        lines.append(
            f"the client cannot see {len(hidden)} divisions ({', '.join(hidden)}): their"
            " conversations, queues and users are not exported (parity covers what it sees)"
        )
    if summary.get("divisions_unknown"):
        lines.append(
            "could not tell which divisions the client cannot see: " + summary["divisions_unknown"]
        )
    if summary.get("without_attributes"):
        lines.append(
            "read without participant attributes (due again until a details job serves them): "
            + ", ".join(summary["without_attributes"])
        )
    return lines


def _duration(summary: Mapping[str, Any]) -> float | None:
    try:
        start = datetime.fromisoformat(str(summary.get("started_at")))
        end = datetime.fromisoformat(str(summary.get("finished_at")))
    except ValueError:
        return None
    return max(0.0, (end - start).total_seconds())


def _parity(summary: Mapping[str, Any]) -> str:
    """OK, FAILED only when the check ran and failed, else "not checked" (a run that failed
    before its parity check must not read like exit 3)."""
    if summary.get("parity_ok"):
        return "OK"
    return "FAILED" if summary.get("status") == "parity_failed" else "not checked"
