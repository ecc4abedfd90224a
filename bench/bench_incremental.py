"""The request cost of daily incremental runs of conversation_details against long-lived conversations.

The emulator (mode `long-lived`, served on loopback) and `gcexport export` (a subprocess whose
clock is the emulator's) run once a day for `--runs` days after a first run over `--first` days;
the emulator's request log is counted per run, by endpoint family.

Example::

    python -m bench.bench_incremental --per-day 1000 --runs 6
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

from gcexport.emulator import Emulator, EmulatorConfig, serve

START = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)


class MovableClock:
    """Emulator time: starts at `start`, runs at real speed, jumps forward on `advance`."""

    def __init__(self, start: datetime) -> None:
        self._start, self._t0 = start, time.monotonic()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._t0)

    def monotonic(self) -> float:
        return time.monotonic()

    def advance(self, delta: timedelta) -> None:
        self._start += delta


def _family(path: str) -> str:
    if "/details/jobs" in path:
        return "details jobs"
    if path.endswith("/details/query"):
        return "details query"
    return "other"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-day", type=int, default=1000)
    parser.add_argument("--first", type=int, default=7, help="days of the first run")
    parser.add_argument("--runs", type=int, default=6, help="daily incremental runs measured")
    args = parser.parse_args()
    clock = MovableClock(START)
    config = EmulatorConfig(
        seed=11, conversations_per_day=args.per_day, rate_limit=0, modes=("long-lived",),
        client_id="bench", client_secret="bench-secret", cached_days=40,
        job_queued_seconds=0.05, job_pending_seconds=0.05,
    )  # fmt: skip
    emulator = Emulator(config, clock=clock)
    work = Path(tempfile.mkdtemp(prefix="gcexport-incremental-"))
    with serve(emulator, host="127.0.0.1", port=0) as server:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GENESYS_", "GCEXPORT_"))}
        env |= {"GENESYS_API_URL": server.base_url, "GENESYS_LOGIN_URL": server.base_url,
                "GENESYS_CLIENT_ID": "bench", "GENESYS_CLIENT_SECRET": "bench-secret"}  # fmt: skip
        rows = []
        for run in range(args.runs + 1):
            before = len(emulator.requests)
            env["GCEXPORT_NOW"] = clock.now().isoformat()
            command = [sys.executable, "-m", "gcexport", "export", "--out", str(work / "out"),
                       "--state-dir", str(work / "state"), "--quiet", "--json",
                       "--requests-per-minute", "60000",
                       "--set", f'export.first_start="P{args.first}D"', "--set", 'export.lookback="PT0S"',
                       "--set", 'export.datasets=["conversation_details"]']  # fmt: skip
            done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise SystemExit(f"run {run} failed ({done.returncode}): {done.stderr[-2000:]}")
            summary = json.loads(done.stdout)
            counts = Counter(_family(r.path) for r in emulator.requests[before:])
            rows.append({
                "run": run, "days": len(summary["windows"]["conversation_details"]),
                "requests": sum(counts.values()), **counts,
                "provisional": len(summary["provisional"]),
                "without_attributes": len(summary.get("without_attributes", [])),
            })  # fmt: skip
            print(json.dumps(rows[-1]), flush=True)
            clock.advance(timedelta(days=1))
    later = rows[1:]
    print(json.dumps({
        "per_day": args.per_day, "incremental_runs": len(later),
        "mean_requests": round(sum(r["requests"] for r in later) / len(later), 1),
        "mean_days": round(sum(r["days"] for r in later) / len(later), 2),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
