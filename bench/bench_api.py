"""API efficiency: with the emulator enforcing a rate limit, how close an export gets to the fewest requests and the least time.

For each path — bulk (details jobs, 1,000 per page) and query (100 per page) — the export runs
in-process on the real clock against the served emulator, with `requests_per_minute` equal to
the emulator's limit. Reported: wall time ÷ lower bound (minimum requests ÷ allowed rate) and
requests made (polls excluded) ÷ minimum needed, with every request counted by kind, and the
429s the emulator sent (the goal: 0).

Minimum needed: one token, then for jobs one availability read and per day one submit plus
ceil(served ÷ 1,000) result pages; for the query, per day ceil(conversations ÷ 100) pages.

The server limits a sliding 60-second window, so an export needing fewer requests than the limit
may send them all at once and finish well under that lower bound. A third run (``jobs_long``,
jobs path at 60/minute, enough conversations for more than two windows of requests) shows the
pace when the window does bind; it also reports the window bound — the earliest the last of the
minimum requests can be sent, floor((minimum − 1) ÷ limit) windows of 60 s — and wall ÷ that.
Each run also reports when its last request ended (÷ the lower bound: the API side alone) and
the wall and CPU seconds after it (the last page, publishing and the warehouse load).

Example::

    python -m bench.bench_api --rate-limit 120
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from bench.harness import EmulatorHost
from gcexport.datasets.settings import load_settings
from gcexport.emulator import EmulatorConfig
from gcexport.run import ExportRequest, run_export

DAY = datetime(2026, 3, 3, tzinfo=timezone.utc)
TARGET_WALL_RATIO = 1.10
TARGET_REQUEST_RATIO = 1.05


def measure_path(
    path: str,
    *,
    conversations: int,
    rate_limit: int,
    workdir: Path,
    poll_seconds: float | None = None,
) -> dict[str, Any]:
    """One rate-limited export of one day by `path` ("jobs" or "query")."""
    config = EmulatorConfig(
        seed=5, conversations_per_day=conversations, rate_limit=rate_limit, weekly_curve=False,
        now=DAY + timedelta(days=2), job_queued_seconds=0.5, job_pending_seconds=0.5,
    )  # fmt: skip
    with EmulatorHost(config, prewarm=[DAY - timedelta(days=1), DAY]) as host:
        out = workdir / f"{path}-{rate_limit}-{conversations}"
        settings = _settings(host.env(), path=path, rate=rate_limit, out=out, poll=poll_seconds)
        started, started_at = time.perf_counter(), datetime.now(timezone.utc)
        with _CpuSampler() as cpu:
            summary = run_export(settings, ExportRequest(start=DAY, end=DAY + timedelta(days=1)))
        wall = time.perf_counter() - started
        kinds = host.request_kinds()
        served = _spill_into(host, DAY)
        throttled = sum(1 for r in host.emulator.requests if r.status == 429)
    rows = summary.tables["conversations"]["api_rows"]
    minimum = _minimum(path, conversations=rows, served=rows + served)
    made = sum(kinds.values())
    lower_bound = minimum / (rate_limit / 60)
    window_bound = (minimum - 1) // rate_limit * 60.0
    timeline = _timeline(out / ".state" / "audit.jsonl", started_at, wall)
    return {
        "path": path,
        "page_size": 1000 if path == "jobs" else 100,
        "conversations": rows,
        "parity_ok": summary.parity_ok,
        "rate_limit_per_min": rate_limit,
        "requests_made": made,
        "requests_minimum": minimum,
        "polls": kinds.get("poll", 0),
        "request_ratio": round((made - kinds.get("poll", 0)) / minimum, 3),
        "requests_by_kind": dict(sorted(kinds.items())),
        "throttled_429": throttled,
        "wall_s": round(wall, 2),
        "lower_bound_s": round(lower_bound, 2),
        "wall_ratio": round(wall / lower_bound, 3),
        "window_bound_s": window_bound,
        "window_ratio": round(wall / window_bound, 3) if window_bound else None,
        "poll_seconds": settings.details.poll_seconds,
        "conversations_per_request": round(rows / made, 1),
        **timeline,
        "requests_done_ratio": round(timeline["last_request_done_s"] / lower_bound, 3),
        "after_last_request_cpu_s": round(
            cpu.used_since(started + timeline["last_request_done_s"]), 2
        ),
    }


class _CpuSampler(threading.Thread):
    """The process's CPU seconds every 0.1 s, to tell the export's own work from a busy machine."""

    def __init__(self) -> None:
        super().__init__(name="bench-cpu", daemon=True)
        self.samples: list[tuple[float, float]] = []
        self.stopped = threading.Event()

    def __enter__(self) -> _CpuSampler:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        self.join()
        self.samples.append((time.perf_counter(), time.process_time()))

    def run(self) -> None:
        while not self.stopped.wait(0.1):
            self.samples.append((time.perf_counter(), time.process_time()))

    def used_since(self, moment: float) -> float:
        """CPU seconds (all threads) from the last sample at or before `moment` to the end."""
        before = [cpu for at, cpu in self.samples if at <= moment] or [self.samples[0][1]]
        return self.samples[-1][1] - before[-1]


def _timeline(audit: Path, started_at: datetime, wall: float) -> dict[str, float]:
    """From the audit log: seconds the budget held requests back, and when the last one ended."""
    requests = [
        line for line in map(json.loads, audit.read_text(encoding="utf-8").splitlines())
        if line.get("type") == "request"
    ]  # fmt: skip
    last = max(datetime.fromisoformat(r["ts"]) for r in requests)
    last_s = (last - started_at).total_seconds()
    return {
        "budget_wait_s": round(sum(r.get("budget_wait_s") or 0.0 for r in requests), 2),
        "last_request_done_s": round(last_s, 2),
        "after_last_request_s": round(wall - last_s, 2),
    }


def _spill_into(host: EmulatorHost, day: datetime) -> int:
    """Conversations of the day before still running at `day`: jobs serve them too (overlap, §5)."""
    before = host.emulator.truth.conversations(day - timedelta(days=1), day)
    mark = day.strftime("%Y-%m-%dT%H:%M:%S")
    return sum(1 for c in before if c.get("conversationEnd", "9999") > mark)


def _minimum(path: str, *, conversations: int, served: int) -> int:
    if path == "jobs":
        return 1 + 1 + 1 + max(1, math.ceil(served / 1000))
    return 1 + max(1, math.ceil(conversations / 100))


def _settings(env: dict[str, str], *, path: str, rate: int, out: Path, poll: float | None) -> Any:
    details: dict[str, Any] = {"use_jobs": path == "jobs", "job_page_size": 1000}
    details |= {"query_page_size": 100} | ({"poll_seconds": poll} if poll else {})
    return load_settings(
        env=env,
        dotenv_path=None,
        overrides={
            "genesys": {"requests_per_minute": rate},
            "export": {
                "datasets": ["conversation_details"],
                "out": str(out),
                "state_dir": str(out / ".state"),
            },
            "details": details,
        },
    )


def run(
    *,
    rate_limit: int = 120,
    jobs_conversations: int = 60_000,
    query_conversations: int = 10_000,
    long_rate_limit: int = 60,
    long_conversations: int = 120_000,
    poll_seconds: float | None = None,
) -> dict[str, Any]:
    """Both paths at `rate_limit` requests/minute, then the long jobs run; about four minutes."""
    with tempfile.TemporaryDirectory(prefix="gcexport-bench-api-") as tmp:
        common: dict[str, Any] = {"workdir": Path(tmp), "poll_seconds": poll_seconds}
        jobs = measure_path(
            "jobs", conversations=jobs_conversations, rate_limit=rate_limit, **common
        )
        query = measure_path(
            "query", conversations=query_conversations, rate_limit=rate_limit, **common
        )
        long = measure_path(
            "jobs", conversations=long_conversations, rate_limit=long_rate_limit, **common
        )
    return {
        "rate_limit_per_min": rate_limit,
        "target_wall_ratio": TARGET_WALL_RATIO,
        "target_request_ratio": TARGET_REQUEST_RATIO,
        "jobs": jobs,
        "query": query,
        "jobs_long": long,
        "meets_wall_ratio": max(jobs["wall_ratio"], query["wall_ratio"]) <= TARGET_WALL_RATIO,
        "meets_wall_ratio_long": long["wall_ratio"] <= TARGET_WALL_RATIO,
        "meets_request_ratio": max(jobs["request_ratio"], query["request_ratio"])
        <= TARGET_REQUEST_RATIO,
        "throttled_429": jobs["throttled_429"] + query["throttled_429"] + long["throttled_429"],
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate-limit", type=int, default=120)
    parser.add_argument("--jobs-conversations", type=int, default=60_000)
    parser.add_argument("--query-conversations", type=int, default=10_000)
    parser.add_argument("--long-rate-limit", type=int, default=60)
    parser.add_argument("--long-conversations", type=int, default=120_000)
    parser.add_argument("--poll-seconds", type=float, default=None, help="details.poll_seconds")
    args = parser.parse_args()
    result = run(
        rate_limit=args.rate_limit,
        jobs_conversations=args.jobs_conversations,
        query_conversations=args.query_conversations,
        long_rate_limit=args.long_rate_limit,
        long_conversations=args.long_conversations,
        poll_seconds=args.poll_seconds,
    )
    print(json.dumps(result, indent=2))
