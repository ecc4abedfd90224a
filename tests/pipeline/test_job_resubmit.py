"""A details job that ends FAILED is resubmitted (up to three jobs a day) and the day still lands exactly."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pytest

from gcexport.clock import FakeClock
from gcexport.datasets.settings import load_settings
from gcexport.emulator import Emulator, EmulatorConfig
from gcexport.errors import JobFailedError
from gcexport.run import ExportRequest, run_export

UTC = timezone.utc
NOW = datetime(2026, 3, 12, 12, tzinfo=UTC)
DAY = datetime(2026, 3, 10, tzinfo=UTC)


def _export(tmp_path: Path, seed: int, job_fail: float) -> tuple[Emulator, Path]:
    clock = FakeClock(NOW)
    emulator = Emulator(
        EmulatorConfig(
            seed=seed, conversations_per_day=80, rate_limit=0, faults=f"job_fail={job_fail}"
        ),
        clock=clock,
    )
    settings = load_settings(
        env={
            "GENESYS_CLIENT_ID": "emulator-client",
            "GENESYS_CLIENT_SECRET": "emulator-secret",
            "GENESYS_API_URL": "https://api.test",
            "GENESYS_LOGIN_URL": "https://login.test",
        },
        dotenv_path=None,
        overrides={
            "export": {
                "out": str(tmp_path / "out"),
                "state_dir": str(tmp_path / "state"),
                "datasets": ["conversation_details"],
                "workers": 1,
            }
        },
    )
    run_export(
        settings,
        ExportRequest(DAY, DAY + timedelta(days=1)),
        transport=emulator.transport(),
        clock=clock,
    )
    return emulator, tmp_path


def test_a_failed_job_is_resubmitted_and_the_day_lands_exactly(tmp_path: Path) -> None:
    emulator, workdir = _export(tmp_path, seed=2, job_fail=0.5)
    audit = [
        json.loads(line) for line in (workdir / "state" / "audit.jsonl").read_text().splitlines()
    ]
    resubmitted = [r for r in audit if r["type"] == "job_resubmitted"]
    assert len(resubmitted) == 2, "seed 2 fails the first two jobs of the day"
    submits = [
        r for r in emulator.requests if r.method == "POST" and r.path.endswith("/details/jobs")
    ]
    assert len(submits) == len(resubmitted) + 1
    truth = {
        c["conversationId"] for c in emulator.truth.conversations(DAY, DAY + timedelta(days=1))
    }
    with duckdb.connect(str(workdir / "out" / "gcexport.duckdb"), read_only=True) as con:
        ids = [r[0] for r in con.execute("select conversation_id from conversations").fetchall()]
    assert sorted(ids) == sorted(truth)


def test_three_failed_jobs_fail_the_run_loudly(tmp_path: Path) -> None:
    with pytest.raises(JobFailedError, match="FAILED") as info:
        _export(tmp_path, seed=1, job_fail=1.0)
    assert info.value.exit_code == 1
    assert not list((tmp_path / "out").glob("conversations/date=*/*.parquet"))
