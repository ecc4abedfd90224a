"""Benchmark: does the shared request budget use the org's rate limit fully without tripping it?

A bulk details-job export runs against the emulator served over loopback HTTP with its rate
limit set to ``rate_limit`` requests/minute (a sliding 60-second window, like Genesys); the
client's budget is ``share`` of that. It runs twice: at 100 % of the org's limit and at 150 %
(the budget must learn the real limit from the ``inin-ratelimit-*`` headers). Reported per run:
requests made, the pace achieved, the busiest sliding 60 s window of sends and how many 429s the
emulator's limiter sent; at the top level, the 100 % run's figures with the busiest window and
the 429s over both runs (the goal: busiest window <= the limit, 0 429s, pace >= 90 % of it).

Two modes:
- ``fake`` (default): one worker on a `FakeClock` shared with the emulator, so several
  simulated minutes (the limiter's window is 60 s) take a few real seconds;
- ``real``: several worker threads on the real clock, for ``seconds`` of wall time.

Usage::

    .venv/bin/python -m bench.bench_budget            # fake clock, 5 simulated minutes per share
    .venv/bin/python -m bench.bench_budget --real 75  # threads, 75 s of real time per share
"""

from __future__ import annotations

import json
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Any

from pydantic import SecretStr

from gcexport.api import jobs
from gcexport.api.paging import PollPolicy
from gcexport.client import GenesysClient, RequestRecord
from gcexport.clock import Clock, FakeClock, SystemClock
from gcexport.emulator import Emulator, EmulatorConfig, serve

NOW = datetime(2026, 3, 20, 12, tzinfo=timezone.utc)


def busiest_minute(stamps: list[float]) -> int:
    """The largest number of requests inside any 60-second sliding window."""
    stamps, best, low = sorted(stamps), 0, 0
    for high, stamp in enumerate(stamps):
        while stamps[low] <= stamp - 60.0:
            low += 1
        best = max(best, high - low + 1)
    return best


def _export_until(
    client: GenesysClient, clock: Clock, day: datetime, deadline: float, page_size: int
) -> None:
    """Export days from `day` backwards with details jobs until the clock passes `deadline`."""
    poll = PollPolicy(initial=0.5, factor=1.5, max_interval=2.0)
    while clock.monotonic() < deadline:
        pages = jobs.iter_job_pages(
            client, day, day + timedelta(days=1), page_size=page_size, poll=poll
        )
        for _page in pages:
            if clock.monotonic() >= deadline:
                pages.close()
                break
        day -= timedelta(days=1)


def run(
    *,
    mode: str = "fake",
    rate_limit: int = 120,
    shares: tuple[float, ...] = (1.0, 1.5),
    seconds: float = 300.0,
) -> dict[str, Any]:
    """One measured run per share of the org's limit; the first run's figures at the top level."""
    runs = [measure(mode=mode, rate_limit=rate_limit, share=s, seconds=seconds) for s in shares]
    busiest = max(r["busiest_minute"] for r in runs)
    return {
        **runs[0],
        "busiest_minute": busiest,
        "busiest_within_limit": busiest <= rate_limit,
        "emulator_429s": sum(r["emulator_429s"] for r in runs),
        "runs": runs,
    }


def measure(
    *,
    mode: str = "fake",
    rate_limit: int = 120,
    share: float = 1.0,
    seconds: float = 300.0,
    workers: int | None = None,
    conversations_per_day: int = 1000,
    page_size: int = 25,
) -> dict[str, Any]:
    """Run the export for `seconds` (simulated in ``fake`` mode) and return the measurements."""
    clock: Clock = FakeClock(NOW) if mode == "fake" else SystemClock()
    workers = workers or (1 if mode == "fake" else 3)
    config = EmulatorConfig(seed=11, conversations_per_day=conversations_per_day, now=NOW,
                            rate_limit=rate_limit, job_queued_seconds=0.5, job_pending_seconds=0.5)  # fmt: skip
    emulator = Emulator(config, clock=clock if mode == "fake" else None)
    stamps: list[float] = []
    lock = threading.Lock()

    def record(entry: RequestRecord) -> None:
        with lock:
            stamps.append(clock.monotonic())

    rpm = rate_limit * share
    started_wall = time.perf_counter()
    with serve(emulator, host="127.0.0.1", port=0) as server:
        client = GenesysClient(
            api_url=server.base_url, login_url=server.base_url, client_id=config.client_id,
            client_secret=SecretStr(config.client_secret), clock=clock, requests_per_minute=rpm,
            on_request=record,
        )  # fmt: skip
        start = clock.monotonic()
        deadline = start + seconds
        last_day = datetime(2026, 3, 18, tzinfo=timezone.utc)
        threads = [
            threading.Thread(
                target=_export_until,
                args=(client, clock, last_day - timedelta(days=7 * i), deadline, page_size),
            )
            for i in range(workers)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        client.close()
    span = max(stamps) - min(stamps)
    achieved = (len(stamps) - 1) / span * 60.0 if span > 0 else 0.0
    limited = sum(1 for r in emulator.requests if r.status == 429)
    return {
        "mode": mode,
        "workers": workers,
        "rate_limit_rpm": rate_limit,
        "share": share,
        "budget_rpm": rpm,
        "simulated_seconds" if mode == "fake" else "seconds": round(span, 1),
        "wall_seconds": round(time.perf_counter() - started_wall, 1),
        "requests": len(stamps),
        "achieved_rpm": round(achieved, 1),
        "budget_utilisation": round(achieved / rpm, 3),
        "org_limit_utilisation": round(achieved / rate_limit, 3),
        "busiest_minute": busiest_minute(stamps),
        "limit_in_force_rpm": client.budget.requests_per_minute,
        "emulator_429s": limited,
    }


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--real":
        result = run(mode="real", seconds=float(sys.argv[2]))
    else:
        result = run()
    print(json.dumps(result, indent=2))
