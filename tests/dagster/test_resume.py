"""The issue's "a worker killed mid-day and retried in a fresh working directory resumes from the
destination's state with no loss and no duplicate".

The state lives beside the data (`[state] backend = "destination"`); the killed worker's org lease
is reclaimed once its TTL has passed (1 s here, on the clocks of both workers).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from gcexport.clock import FakeClock
from gcexport.datasets.settings import load_settings
from gcexport.engine import Exporter
from gcexport.state.destination import open_state_store
from tests.conftest import clean_env
from tests.dagster.conftest import DAYS, DETAIL_TABLES, NOON, RunningClock, serve_orgs


def _final_days(config: Path) -> set[str]:
    """The days the destination's state records as final (what a fresh worker can skip)."""
    settings = load_settings(config)
    state = open_state_store(settings, clock=FakeClock(NOON)).load(now=NOON)
    history = state.dataset("conversation_details")
    return {str(day) for day in DAYS if history.is_final(day)}


def test_a_worker_killed_mid_run_resumes_in_a_fresh_working_directory(
    tmp_path: Path, clock: RunningClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    with serve_orgs(tmp_path, ["acme"], clock, per_day=600) as orgs:
        acme = orgs["acme"]
        config = acme.config.read_text(encoding="utf-8")
        # the state lives with the destination, not in the (ephemeral) working directory
        acme.config.write_text(
            config.replace(f'"{acme.root / "state"}"', '".gcexport"').replace(
                "workers = 2", "workers = 1"
            )  # one day at a time
            + '[state]\nbackend = "destination"\nlease_ttl = "PT1S"\n'
        )
        first, second = tmp_path / "work-1", tmp_path / "work-2"
        first.mkdir(), second.mkdir()
        # the first worker dies abruptly (os._exit: no cleanup, like a kill) the moment its first
        # details day has committed: mid-run, one day recorded, the others not
        code = (
            "import datetime, os, gcexport; "
            f"gcexport.Exporter.from_config({str(acme.config)!r}, org='acme')"
            f".export(datetime.date.fromisoformat({DAYS[0].isoformat()!r}), "
            f"datetime.date.fromisoformat({NOON.date().isoformat()!r}), "
            "on_commit=lambda p: p.dataset == 'conversation_details' and os._exit(9))"
        )
        worker = subprocess.run(
            [sys.executable, "-c", code],
            cwd=first,
            env=clean_env(GCEXPORT_NOW=NOON.isoformat()),
            timeout=300,
            check=False,
        )
        assert worker.returncode == 9
        done = _final_days(acme.config)
        assert len(done) == 1
        # the dead worker's lease lasts 1 s past its last save on its clock, which started after
        # this one: 1.5 s later on this clock it has expired, and the fresh worker may take it
        time.sleep(1.5)
        monkeypatch.chdir(second)  # a fresh worker: nothing of the first one's directory
        result = Exporter.from_config(acme.config, org="acme", clock=clock).export(
            DAYS[0], NOON.date()
        )
        truth = {d: acme.truth(d) for d in DAYS}
    # resumed: the days the killed worker committed were not exported again ...
    assert {str(p.day) for p in result.skipped if p.dataset == "conversation_details"} >= done
    # ... and every day holds the emulator's rows exactly: no loss, no duplicate
    with duckdb.connect(str(acme.db), read_only=True) as con:
        for day, counts in truth.items():
            got = {
                t: con.execute(
                    f"select count(*) from {t} where partition_date = ?", [day]
                ).fetchone()[0]  # type: ignore[index]
                for t in DETAIL_TABLES
            }
            assert got == counts, day
    assert result.parity_ok
