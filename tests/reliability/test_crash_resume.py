"""Crash and resume: `gcexport export` killed with SIGKILL at seeded points, then re-run to exact parity with no duplicates.

The emulator is served over loopback HTTP from the test process; the kill point is the N-th request
the emulator has answered (N drawn from the seed) plus a short seeded delay, so kills land while
pages stream, files publish and the warehouse loads. A details job that was submitted before the
kill and is still valid must be reused by the resumed run, not submitted again.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from reliability_support import (
    FIRST_DAY,
    assert_exact,
    assert_whole,
    cli_env,
    days_of,
    gcexport,
    published_ids,
    truth_ids,
    warehouse_ids,
)

from gcexport.emulator import Emulator, EmulatorConfig, EmulatorServer

DAYS = 3
SEEDS = range(201, 211)
JOBS = "/api/v2/analytics/conversations/details/jobs"


def _emulator(seed: int) -> Emulator:
    return Emulator(
        EmulatorConfig(
            seed=seed, conversations_per_day=400, rate_limit=0, weekly_curve=False,
            now=FIRST_DAY + timedelta(days=DAYS + 1, hours=12),
            job_queued_seconds=0.1, job_pending_seconds=0.2,
        )
    )  # fmt: skip


def _args(out: Path) -> list[str]:
    end = FIRST_DAY + timedelta(days=DAYS)
    return [
        "export", "--dataset", "conversation_details",
        "--start", FIRST_DAY.date().isoformat(), "--end", end.date().isoformat(),
        "--out", str(out), "--state-dir", str(out.parent / "state"), "--workers", "3",
        "--set", "details.job_page_size=100", "--quiet",
    ]  # fmt: skip


def _kill_after(proc: subprocess.Popen[bytes], emu: Emulator, requests: int, delay: float) -> int:
    """SIGKILL `proc` once the emulator has answered `requests` requests (and `delay` more seconds)."""
    deadline = time.monotonic() + 60
    while proc.poll() is None and len(emu.requests) < requests and time.monotonic() < deadline:
        time.sleep(0.005)
    time.sleep(delay)
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    return proc.wait(timeout=30)


def _saved_jobs(state_dir: Path) -> dict[str, str]:
    path = state_dir / "state.json"
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    jobs = data["datasets"].get("conversation_details", {}).get("jobs", {})
    return {window: job["job_id"] for window, job in jobs.items()}


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_killed_export_resumes_to_exact_parity_reusing_valid_jobs(
    seed: int, tmp_path: Path, served: object
) -> None:
    rng = random.Random(seed)
    emu = _emulator(seed)
    server: EmulatorServer = served(emu)  # type: ignore[operator]
    out = tmp_path / "out"
    env = cli_env(server.base_url)
    truth = truth_ids(emu, days_of(FIRST_DAY, DAYS))
    with (tmp_path / "killed.log").open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gcexport", *_args(out)],
            cwd=tmp_path, env=env, stdout=log, stderr=log, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        code = _kill_after(proc, emu, rng.randint(3, 26), rng.uniform(0.0, 0.4))
    assert code == -signal.SIGKILL, f"seed {seed}: the run ended by itself ({code}) before the kill"
    time.sleep(0.3)  # let the emulator finish answering what was in flight
    assert_whole(published_ids(out), truth, f"seed {seed} files after the kill")
    seen = len(emu.requests)
    saved = _saved_jobs(tmp_path / "state")
    deleted = {r.path for r in emu.requests[:seen] if r.method == "DELETE"}
    valid = {w: j for w, j in saved.items() if f"{JOBS}/{j}" not in deleted}

    result = gcexport(_args(out), cwd=tmp_path, env=env, timeout=120)
    print(
        f"seed {seed}: killed after {seen} requests; saved jobs {len(saved)}, still valid {len(valid)}"
    )

    assert result.code == 0, f"seed {seed}: resume exited {result.code}: {result.stderr[-600:]}"
    assert_exact(published_ids(out), truth, f"seed {seed} files")
    assert_exact(warehouse_ids(out / "gcexport.duckdb"), truth, f"seed {seed} warehouse")
    after = emu.requests[seen:]
    submits = sum(1 for r in after if r.method == "POST" and r.path == JOBS)
    assert submits == DAYS - len(valid), (
        f"seed {seed}: {submits} jobs submitted on resume; {len(valid)} of {DAYS} were still valid"
    )
    for window, job_id in valid.items():
        assert any(r.path.startswith(f"{JOBS}/{job_id}") for r in after), (
            f"seed {seed}: saved job {job_id} for {window} was not reused"
        )
