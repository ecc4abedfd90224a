"""Two orgs, two processes, one destination: each org's rows land exactly, never touching the other's.

One emulator serves two orgs (each client id its own seeded data); `gcexport export --org X` runs
for both at the same time into one output folder and one DuckDB file.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import duckdb
import pytest

from gcexport.emulator import EmulatorConfig, Tenants, serve
from tests.conftest import TEST_NOW, clean_env
from tests.pipeline.conftest import OffsetClock

UTC = timezone.utc
CLIENTS = {"acme-client": "acme-S3cret-77", "globex-client": "globex-S3cret-88"}
TABLES = ("conversations", "participants", "sessions", "segments")


@pytest.fixture
def two_orgs() -> Iterator[tuple[Tenants, str]]:
    clock = OffsetClock(
        TEST_NOW.replace(hour=12, minute=0, second=0, microsecond=0) - timedelta(days=1)
    )
    config = EmulatorConfig(
        seed=11,
        conversations_per_day=60,
        rate_limit=0,
        job_queued_seconds=0.1,
        job_pending_seconds=0.1,
        export_running_seconds=0.1,
    )
    orgs = Tenants(CLIENTS, config, clock=clock)
    with serve(orgs) as server:
        yield orgs, server.base_url


def _config(tmp_path: Path, base_url: str) -> Path:
    text = f"""
[genesys]
api_url = "{base_url}"
login_url = "{base_url}"
requests_per_minute = 6000
[export]
out = "{tmp_path / "out"}"
state_dir = "{tmp_path / "state"}"
datasets = ["conversation_details", "conversation_aggregates"]
[orgs.acme]
client_id_env = "ACME_ID"
client_secret_env = "ACME_SECRET"
[orgs.globex]
client_id_env = "GLOBEX_ID"
client_secret_env = "GLOBEX_SECRET"
"""
    path = tmp_path / "gcexport.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _env() -> dict[str, str]:
    return clean_env(
        ACME_ID="acme-client",
        ACME_SECRET=CLIENTS["acme-client"],
        GLOBEX_ID="globex-client",
        GLOBEX_SECRET=CLIENTS["globex-client"],
    )


def _start(config: Path, org: str, day: date) -> subprocess.Popen[str]:
    args = ["export", "-c", str(config), "--org", org, "--start", str(day)]
    args += ["--end", str(day + timedelta(days=1)), "--quiet", "--json"]
    return subprocess.Popen(
        [sys.executable, "-m", "gcexport", *args],
        cwd=config.parent,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(proc: subprocess.Popen[str]) -> dict[str, object]:
    out, err = proc.communicate(timeout=240)
    assert proc.returncode == 0, err
    summary: dict[str, object] = json.loads(out)
    return summary


def _truth_ids(orgs: Tenants, client: str, day: date) -> set[str]:
    start = datetime.combine(day, time(), tzinfo=UTC)
    found = orgs.org(client).truth.conversations(start, start + timedelta(days=1))
    return {c["conversationId"] for c in found}


def _ids(con: duckdb.DuckDBPyConnection, org: str, day: date) -> set[str]:
    rows = con.execute(
        "select conversation_id from conversations where org = ? and partition_date = ?",
        [org, day],
    ).fetchall()
    return {r[0] for r in rows}


def test_two_orgs_in_two_processes_share_one_destination(
    two_orgs: tuple[Tenants, str], tmp_path: Path
) -> None:
    orgs, base_url = two_orgs
    config = _config(tmp_path, base_url)
    day = orgs.clock.now().date() - timedelta(days=2)
    procs = [_start(config, org, day) for org in ("acme", "globex")]
    summaries = [_finish(p) for p in procs]
    assert [s["parity_ok"] for s in summaries] == [True, True]
    out = tmp_path / "out"
    for table in TABLES:
        assert not (out / table / f"date={day}").exists()
        for org in ("acme", "globex"):
            assert list((out / table / f"org={org}" / f"date={day}").glob("*.parquet")), table
    db = out / "gcexport.duckdb"
    with duckdb.connect(str(db), read_only=True) as con:
        acme, globex = _ids(con, "acme", day), _ids(con, "globex", day)
        for table in TABLES:
            first = con.execute(f"select * from {table} limit 0").description[0][0]
            assert first == "org", table
        runs = con.execute("select org, status from gcexport_runs order by org").fetchall()
        parts = con.execute("select distinct org from gcexport_partitions order by org").fetchall()
    assert acme == _truth_ids(orgs, "acme-client", day) and acme
    assert globex == _truth_ids(orgs, "globex-client", day) and globex
    assert acme.isdisjoint(globex)
    assert runs == [("acme", "success"), ("globex", "success")]
    assert parts == [("acme",), ("globex",)]
    # the org's own files hold exactly its rows (the org column included)
    files = sorted(
        str(f) for f in (out / "conversations" / "org=globex" / f"date={day}").glob("*.parquet")
    )
    on_disk = duckdb.sql(
        f"select distinct org, count(*) over () from read_parquet({files!r}, hive_partitioning = false)"
    ).fetchall()
    assert on_disk == [("globex", len(globex))]

    # acme again, alone: globex's files and rows are exactly as they were
    before = sorted(
        p.name for p in (out / "conversations" / "org=globex" / f"date={day}").iterdir()
    )
    _finish(_start(config, "acme", day))
    with duckdb.connect(str(db), read_only=True) as con:
        assert _ids(con, "globex", day) == globex and _ids(con, "acme", day) == acme
        assert con.execute("select count(*) from gcexport_runs").fetchone() == (3,)
    after = sorted(p.name for p in (out / "conversations" / "org=globex" / f"date={day}").iterdir())
    assert before == after


def test_orgs_configured_need_a_known_org(two_orgs: tuple[Tenants, str], tmp_path: Path) -> None:
    _, base_url = two_orgs
    config = _config(tmp_path, base_url)
    for extra, message in (
        ((), "Orgs are configured: name one with --org; one of: acme, globex.\n"),
        (("--org", "initech"), "Unknown org 'initech'; name one of: acme, globex.\n"),
    ):
        proc = subprocess.run(
            [sys.executable, "-m", "gcexport", "export", "-c", str(config), *extra],
            cwd=tmp_path,
            env=_env(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 2
        assert proc.stderr.endswith(message), proc.stderr
    assert not (tmp_path / "out").exists() and not (tmp_path / "state").exists()
