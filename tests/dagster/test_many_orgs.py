"""The issue's "done when", and D5: three orgs × three days through Dagster's multiprocess
executor land every org's rows exactly, with parity per org and table; with
`concurrency: pools: default_limit: 1`, one org's steps never overlap while different orgs run
in parallel (asserted from the run's recorded step timestamps)."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.conftest import clean_env
from tests.dagster.conftest import DAYS, DETAIL_TABLES, NOON, RunningClock, serve_orgs
from tests.dagster.multiorg import ORGS_VARIABLE

dg = pytest.importorskip("dagster")

REPO = Path(__file__).resolve().parents[2]
ORGS = ["acme", "globex", "initech"]
DAGSTER_YAML = "concurrency:\n  pools:\n    default_limit: 1\n"


def _warehouse(db: Path, day: Any) -> dict[str, int]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {
            t: con.execute(f"select count(*) from {t} where partition_date = ?", [day]).fetchone()[
                0
            ]  # type: ignore[index]
            for t in DETAIL_TABLES
        }


def _step_intervals(instance: Any, run_id: str) -> dict[str, tuple[float, float]]:
    spans: dict[str, list[float]] = {}
    for entry in instance.all_logs(run_id):
        kind = entry.dagster_event.event_type_value if entry.dagster_event else None
        if kind in ("STEP_START", "STEP_SUCCESS", "STEP_FAILURE"):
            spans.setdefault(entry.step_key, []).append(entry.timestamp)
    return {step: (min(ts), max(ts)) for step, ts in spans.items()}


def _overlap(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


@pytest.mark.slow  # spawns a Python process per step (six), each loading Dagster and gcexport
def test_three_orgs_three_days_multiprocess_exact_rows_and_one_step_per_org_at_a_time(
    tmp_path: Path, clock: RunningClock
) -> None:
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(DAGSTER_YAML, encoding="utf-8")
    with serve_orgs(tmp_path, ORGS, clock) as orgs:
        env = clean_env(
            GCEXPORT_NOW=NOON.isoformat(),  # the step processes' clock
            DAGSTER_HOME=str(home),
            **{ORGS_VARIABLE: json.dumps({o: str(org.config) for o, org in orgs.items()})},
        )
        # the run's own process (as `dagster job execute` would be): steps are spawned from it
        run = subprocess.run(
            [sys.executable, "-m", "tests.dagster.multiorg"],
            cwd=REPO, env=env, capture_output=True, text=True, timeout=280,
        )  # fmt: skip
        assert run.returncode == 0, run.stderr[-3000:]
        run_id = run.stdout.strip().splitlines()[-1]
        with dg.DagsterInstance.from_config(str(home)) as instance:
            assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.SUCCESS
            intervals = _step_intervals(instance, run_id)
            checks = [
                e.dagster_event.event_specific_data
                for e in instance.all_logs(run_id)
                if e.dagster_event and e.dagster_event.event_type_value == "ASSET_CHECK_EVALUATION"
            ]
            materialized = {
                o: instance.get_materialized_partitions(dg.AssetKey([o, "conversations"]))
                for o in ORGS
            }
        truth = {(o, d): org.truth(d) for o, org in orgs.items() for d in DAYS}
    for (org, day), counts in truth.items():
        assert _warehouse(orgs[org].db, day) == counts, (org, day)
    assert len({c["conversations"] for c in truth.values()}) > 1  # each org its own data
    assert materialized == {o: {d.isoformat() for d in DAYS} for o in ORGS}
    # parity per org and per table: every table of every org checked, every check passed
    assert {(c.asset_key.path[0], c.asset_key.path[1]) for c in checks} >= {
        (o, t) for o in ORGS for t in (*DETAIL_TABLES, "conversation_aggregates", "queue_kpis")
    }
    assert all(c.passed for c in checks)
    assert sorted(intervals) == sorted(
        f"gcexport_{o}_{d}"
        for o in ORGS
        for d in ("conversation_details", "conversation_aggregates")
    )
    by_org = {o: [v for k, v in intervals.items() if k.startswith(f"gcexport_{o}_")] for o in ORGS}
    for org, spans in by_org.items():
        assert not _overlap(*spans), f"{org}'s steps overlapped: {spans}"
    across = [
        _overlap(a, b)
        for x, y in itertools.combinations(ORGS, 2)
        for a in by_org[x]
        for b in by_org[y]
    ]
    assert any(across), "different orgs never ran at the same time"
