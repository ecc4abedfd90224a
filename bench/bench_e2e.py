"""End to end: N conversations from the served emulator (rate limit lifted) to Parquet + DuckDB via `gcexport export`.

The export runs as its own process; its RSS is sampled with psutil and its exact peak read from
wait4's rusage. It runs at two volumes so memory growth with volume is visible.

Example::

    python -m bench.bench_e2e --conversations 200000
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import duckdb

from bench.harness import EmulatorHost, run_measured
from gcexport.emulator import EmulatorConfig

FIRST_DAY = datetime(2026, 3, 2, tzinfo=timezone.utc)
PER_DAY_MAX = 100_000
TARGET_RATE = 10_000
TARGET_RSS_MB = 400
RESULTS = Path(__file__).resolve().parent / "results"


def plan_volume(conversations: int, *, per_day_max: int = PER_DAY_MAX) -> tuple[int, int]:
    """(days, conversations per day) covering `conversations` with at most `per_day_max` a day."""
    days = max(1, math.ceil(conversations / per_day_max))
    return days, math.ceil(conversations / days)


def export_once(conversations: int, *, workdir: Path, seed: int = 11) -> dict[str, Any]:
    """One measured export of about `conversations` conversations; returns its numbers."""
    days, per_day = plan_volume(conversations)
    start, end = FIRST_DAY, FIRST_DAY + timedelta(days=days)
    config = EmulatorConfig(
        seed=seed, conversations_per_day=per_day, rate_limit=0, now=end + timedelta(days=1),
        weekly_curve=False, cached_days=days + 1, job_queued_seconds=0.2, job_pending_seconds=0.2,
    )  # fmt: skip
    out = workdir / f"out-{conversations}"
    shutil.rmtree(out, ignore_errors=True)
    prewarm = [start + timedelta(days=i) for i in range(-1, days)]  # jobs read the day before too
    with EmulatorHost(config, prewarm=prewarm) as host:
        run = run_measured(_export_args(start, end, out), env=host.env())
        kinds = host.request_kinds()
    if run.code != 0:
        raise RuntimeError(
            f"export of {conversations} exited {run.code}: {run.stderr.strip()[-800:]}"
        )
    summary = json.loads(run.stdout)
    rows = _warehouse_conversations(out / "gcexport.duckdb")
    return {
        "conversations": rows,
        "days": days,
        "api_conversations": summary["tables"]["conversations"]["api_rows"],
        "parity_ok": summary["parity_ok"],
        "wall_s": round(run.wall_s, 2),
        "export_cpu_s": round(run.cpu_s, 2),
        "conversations_per_s": round(rows / run.wall_s),
        "requests": sum(kinds.values()),
        "requests_by_kind": dict(sorted(kinds.items())),
        "peak_rss_mb": round(run.peak_rss_mb, 1),
        "peak_anon_rss_mb": round(run.peak_anon_mb, 1),
        "rss_median_mb": round(sorted(run.rss_samples_mb)[len(run.rss_samples_mb) // 2], 1)
        if run.rss_samples_mb
        else None,
        "output_bytes": summary["bytes"],
        "emulator_prewarm_s": round(host.prewarm_s, 2),
    }


def _export_args(start: datetime, end: datetime, out: Path) -> list[str]:
    return [
        "export", "--dataset", "conversation_details",
        "--start", start.date().isoformat(), "--end", end.date().isoformat(),
        "--out", str(out), "--state-dir", str(out / ".state"),
        "--requests-per-minute", "100000", "--quiet", "--json",
    ]  # fmt: skip


def _warehouse_conversations(path: Path) -> int:
    with duckdb.connect(str(path), read_only=True) as con:
        row = con.execute(
            "select count(*), count(distinct conversation_id) from conversations"
        ).fetchone()
    assert row is not None
    if row[0] != row[1]:
        raise RuntimeError(f"warehouse holds duplicate conversations: {row[0]} rows, {row[1]} ids")
    return int(row[0])


def run(conversations: int = 200_000, *, small_fraction: float = 0.2) -> dict[str, Any]:
    """Export `conversations` and a fifth of it; report rate, requests and peak RSS at both."""
    with tempfile.TemporaryDirectory(prefix="gcexport-bench-e2e-") as tmp:
        small = export_once(max(1_000, int(conversations * small_fraction)), workdir=Path(tmp))
        full = export_once(conversations, workdir=Path(tmp))
    return {
        "conversations": full["conversations"],
        "conversations_per_s": full["conversations_per_s"],
        "peak_rss_mb": full["peak_rss_mb"],
        "rss_growth": round(full["peak_rss_mb"] / small["peak_rss_mb"], 2),
        "target_conversations_per_s": TARGET_RATE,
        "target_peak_rss_mb": TARGET_RSS_MB,
        "meets_rate": full["conversations_per_s"] >= TARGET_RATE,
        "meets_rss": full["peak_rss_mb"] <= TARGET_RSS_MB,
        "runs": [small, full],
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=200_000)
    parser.add_argument("--once", action="store_true", help="one volume only (no RSS comparison)")
    args = parser.parse_args()
    if args.once:
        with tempfile.TemporaryDirectory(prefix="gcexport-bench-e2e-") as tmp:
            print(json.dumps(export_once(args.conversations, workdir=Path(tmp)), indent=2))
    else:
        print(json.dumps(run(args.conversations), indent=2))
