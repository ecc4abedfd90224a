"""A full disk: one sentence naming the location (exit 1), then a resume to exact parity with no staging left.

The disk fills for real: the `gcexport export` subprocess runs under RLIMIT_FSIZE, so every write
past the limit fails with EFBIG (SIGXFSZ ignored, as a full disk's ENOSPC would fail the write).
"""

from __future__ import annotations

import resource
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from reliability_support import (
    FIRST_DAY,
    assert_exact,
    cli_env,
    days_of,
    gcexport,
    published_ids,
    truth_ids,
    warehouse_ids,
)

from gcexport.emulator import Emulator, EmulatorConfig

DAYS = 2
KILLED_TAG = "20200101T000000Z-dead01-beef02"  # staging of a run killed long before


def _emulator() -> Emulator:
    return Emulator(
        EmulatorConfig(
            seed=77, conversations_per_day=300, rate_limit=0, weekly_curve=False,
            now=FIRST_DAY + timedelta(days=DAYS + 1, hours=12),
            job_queued_seconds=0.1, job_pending_seconds=0.1,
        )
    )  # fmt: skip


def _args(out: Path) -> list[str]:
    end = FIRST_DAY + timedelta(days=DAYS)
    return [
        "export", "--dataset", "conversation_details",
        "--start", FIRST_DAY.date().isoformat(), "--end", end.date().isoformat(),
        "--out", str(out), "--state-dir", str(out.parent / "state"), "--quiet",
    ]  # fmt: skip


def _limited(limit: int) -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


@pytest.mark.parametrize("limit", [3_000, 40_000, 400_000])
def test_full_disk_is_one_sentence_and_the_resume_reaches_parity(
    tmp_path: Path, served: object, limit: int
) -> None:
    emu = _emulator()
    server = served(emu)  # type: ignore[operator]
    out, env = tmp_path / "out", cli_env(server.base_url)
    full = subprocess.run(
        [sys.executable, "-m", "gcexport", *_args(out)], cwd=tmp_path, env=env,
        capture_output=True, text=True, timeout=120, preexec_fn=lambda: _limited(limit),
    )  # fmt: skip
    lines = full.stderr.strip().splitlines()
    assert full.returncode == 1, full.stderr[-800:]
    assert len(lines) == 1 and "internal error" not in full.stderr, full.stderr[-800:]
    assert str(tmp_path) in lines[0], f"the message names no location: {lines[0]}"
    assert "too large" in lines[0].lower() or "no space" in lines[0].lower(), lines[0]

    killed = out / ".staging" / KILLED_TAG / "new"
    killed.mkdir(parents=True, exist_ok=True)
    (killed / "part.parquet").write_bytes(b"half a file")
    resumed = gcexport(_args(out), cwd=tmp_path, env=env)
    assert resumed.code == 0, resumed.stderr[-800:]
    truth = truth_ids(emu, days_of(FIRST_DAY, DAYS))
    assert_exact(published_ids(out), truth, "files")
    assert_exact(warehouse_ids(out / "gcexport.duckdb"), truth, "warehouse")
    assert not (out / ".staging").exists(), list((out / ".staging").rglob("*"))
