"""The benchmark runner, `python -m bench.run` from a source checkout: run each benchmark, print a table, write JSON with the machine.

A benchmark that fails is reported as failed (its error in the table and the JSON, exit code 1);
the others still run.

Example::

    python -m bench.run --conversations 200000 --only e2e --only api
"""

from __future__ import annotations

import argparse
import json
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import psutil
import pyarrow as pa
from rich.console import Console
from rich.table import Table

from bench.harness import machine


@dataclass(frozen=True)
class Headline:
    """One row of the results table: where the value is in a result, and its target."""

    label: str
    path: tuple[str, ...]
    target: str = ""
    check: Callable[[float], bool] | None = None

    def read(self, result: dict[str, Any]) -> Any:
        value: Any = result
        for key in self.path:
            if isinstance(value, list) and key.isdigit() and int(key) < len(value):
                value = value[int(key)]
            else:
                value = value.get(key) if isinstance(value, dict) else None
        return value


def _transform(conversations: int) -> dict[str, Any]:
    from bench import bench_transform

    return bench_transform.run()


def _emulator(conversations: int) -> dict[str, Any]:
    from bench import bench_emulator

    return bench_emulator.run()


def _e2e(conversations: int) -> dict[str, Any]:
    from bench import bench_e2e

    return bench_e2e.run(conversations)


def _api(conversations: int) -> dict[str, Any]:
    from bench import bench_api

    return bench_api.run()


def _budget(conversations: int) -> dict[str, Any]:
    from bench import bench_budget

    return bench_budget.run()


BENCHMARKS: dict[str, Callable[[int], dict[str, Any]]] = {
    "transform": _transform,
    "emulator": _emulator,
    "budget": _budget,
    "api": _api,
    "e2e": _e2e,
}

HEADLINES: dict[str, list[Headline]] = {
    "transform": [
        Headline("conversations/s (one core, CPU time)", ("rate_conversations_per_cpu_s",),
                 ">= 50,000", lambda v: v >= 50_000),
        Headline("× naive baseline (json_normalize)", ("ratio_vs_baseline_cpu",), ">= 5",
                 lambda v: v >= 5),
        Headline("peak Arrow memory MB", ("peak_arrow_mb",)),
        Headline("ceiling: JSON reader alone, conversations/s", ("rate_json_read_only_per_cpu_s",)),
        Headline("ceiling: Parquet writer alone on finished tables, conversations/s",
                 ("rate_parquet_writer_alone_per_cpu_s",)),
    ],
    "emulator": [
        Headline("served job results conversations/s (warm)",
                 ("warm_conversations_per_second",), ">= 20,000", lambda v: v >= 20_000),
    ],
    "budget": [
        Headline("budget utilisation", ("budget_utilisation",), ">= 0.90", lambda v: v >= 0.9),
        Headline("429s from the emulator", ("emulator_429s",), "0", lambda v: v == 0),
        Headline("busiest 60 s window within the limit", ("busiest_within_limit",), "yes",
                 lambda v: bool(v)),
    ],
    "api": [
        Headline("jobs: wall ÷ lower bound", ("jobs", "wall_ratio"), "<= 1.10", lambda v: v <= 1.10),
        Headline("jobs: requests ÷ minimum (polls excluded)", ("jobs", "request_ratio"),
                 "<= 1.05", lambda v: v <= 1.05),
        Headline("jobs: polls", ("jobs", "polls")),
        Headline("jobs: conversations per request", ("jobs", "conversations_per_request")),
        Headline("query: wall ÷ lower bound", ("query", "wall_ratio"), "<= 1.10",
                 lambda v: v <= 1.10),
        Headline("query: requests ÷ minimum", ("query", "request_ratio"), "<= 1.05",
                 lambda v: v <= 1.05),
        Headline("query: conversations per request", ("query", "conversations_per_request")),
        Headline("jobs over two windows: wall ÷ lower bound", ("jobs_long", "wall_ratio"),
                 "<= 1.10", lambda v: v <= 1.10),
        Headline("jobs over two windows: last request ended ÷ lower bound",
                 ("jobs_long", "requests_done_ratio")),
        Headline("429s from the emulator (all runs)", ("throttled_429",), "0", lambda v: v == 0),
    ],
    "e2e": [
        Headline("conversations", ("conversations",)),
        Headline("conversations/s (wall)", ("conversations_per_s",), ">= 10,000",
                 lambda v: v >= 10_000),
        Headline("conversations per export CPU-second", ("runs", "1", "conversations_per_cpu_s")),
        Headline("requests made", ("runs", "1", "requests")),
        Headline("peak RSS MB", ("peak_rss_mb",), "<= 400 (at 1M)", lambda v: v <= 400),
        Headline("peak RSS MB at a fifth of the volume", ("runs", "0", "peak_rss_mb")),
    ],
}  # fmt: skip


def run_one(name: str, conversations: int) -> dict[str, Any]:
    """Run one benchmark; a failure becomes {"error": ...} instead of stopping the others."""
    cpu, io = pa.cpu_count(), pa.io_thread_count()
    started = time.perf_counter()
    try:
        result = BENCHMARKS[name](conversations)
    except Exception as exc:  # a broken benchmark is reported, never hidden
        result = {"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()}
    finally:
        pa.set_cpu_count(cpu)  # bench_transform pins pyarrow to one thread; undo it for the rest
        pa.set_io_thread_count(io)
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return "n/a" if value is None else str(value)


def render(results: dict[str, dict[str, Any]], console: Console) -> None:
    table = Table(title="gcexport benchmarks")
    for column in ("benchmark", "measure", "value", "target", "ok"):
        table.add_column(column, justify="right" if column == "value" else "left")
    for name, result in results.items():
        if "error" in result:
            table.add_row(name, "FAILED", result["error"][:80], "", "✗")
            continue
        for h in HEADLINES.get(name, []):
            value = h.read(result)
            ok = (
                ""
                if h.check is None or not isinstance(value, (int, float))
                else ("✓" if h.check(value) else "✗")
            )
            table.add_row(name, h.label, _cell(value), h.target, ok)
    console.print(table)


def _annotate_e2e(result: dict[str, Any]) -> None:
    for run in result.get("runs", []):
        if run.get("export_cpu_s"):
            run["conversations_per_cpu_s"] = round(run["conversations"] / run["export_cpu_s"])


def main(*, conversations: int, json_path: Path, only: list[str], command: str) -> int:
    """Run the selected benchmarks (all when `only` is empty); 1 when any of them failed."""
    names = [n for n in BENCHMARKS if not only or n in only]
    report: dict[str, Any] = {
        "command": command,
        "started_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(),
        "load_average_at_start": [round(x, 2) for x in psutil.getloadavg()],
        "results": {},
    }
    console = Console(stderr=True)
    for name in names:
        console.print(f"[bold]running {name}…[/bold]")
        result = run_one(name, conversations)
        if name == "e2e":
            _annotate_e2e(result)
        report["results"][name] = result
        _write(json_path, report)  # after every benchmark, so a long run keeps what it measured
    report["load_average_at_end"] = [round(x, 2) for x in psutil.getloadavg()]
    _write(json_path, report)
    render(report["results"], Console())
    print(f"results: {json_path}")
    return 1 if any("error" in r for r in report["results"].values()) else 0


def _write(path: Path, report: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
    tmp.replace(path)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=200_000)
    parser.add_argument(
        "--json", type=Path, default=Path(__file__).parent / "results" / "latest.json"
    )
    parser.add_argument("--only", action="append", default=[], choices=list(BENCHMARKS))
    args = parser.parse_args()
    command = "python -m bench.run " + " ".join(
        [f"--conversations {args.conversations}", f"--json {args.json}"]
        + [f"--only {n}" for n in args.only]
    )
    raise SystemExit(
        main(conversations=args.conversations, json_path=args.json, only=args.only, command=command)
    )
