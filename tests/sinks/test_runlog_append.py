"""Run history is insert-only: two workers finishing on the same day both keep every row."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path
from types import SimpleNamespace

from gcexport.runlog import record_run
from gcexport.sinks import Warehouse, open_warehouse

DAY = date(2026, 6, 10)


def _summary(run_id: str) -> SimpleNamespace:
    return SimpleNamespace(
        run_id=run_id, started_at="2026-06-10T09:00:00Z", finished_at="2026-06-10T09:01:00Z",
        status="success", datasets=["lookups"], parity_ok=True, requests=3, rate_limited=0,
        waited_s=0.0, provisional=[], drift=[], files=1, bytes=10, config_sha256="x",
    )  # fmt: skip


def _outcome(table: str) -> SimpleNamespace:
    return SimpleNamespace(
        table=table, day=DAY, api_rows=2, file_rows=2, warehouse_rows=2, provisional=False
    )


def test_runs_of_two_orgs_are_both_kept_with_their_org(warehouse: Warehouse) -> None:
    record_run(warehouse, _summary("r1"), [_outcome("queues")], day=DAY, org="acme")
    record_run(warehouse, _summary("r2"), [_outcome("queues")], day=DAY, org="globex")
    record_run(warehouse, _summary("r3"), [_outcome("users")], day=DAY)
    rows = warehouse.query("select run_id, org from gcexport_runs order by run_id")
    assert [tuple(r) for r in rows] == [("r1", "acme"), ("r2", "globex"), ("r3", None)]
    parts = warehouse.query("select run_id, table_name from gcexport_partitions order by run_id")
    assert [tuple(r) for r in parts] == [("r1", "queues"), ("r2", "queues"), ("r3", "users")]


WORKER = textwrap.dedent(
    """
    import sys
    from types import SimpleNamespace
    from datetime import date
    from gcexport.runlog import record_run
    from gcexport.sinks import open_warehouse
    sys.path.insert(0, sys.argv[3])
    from tests.sinks.test_runlog_append import _outcome, _summary
    wh = open_warehouse(sys.argv[1])
    for n in range(6):
        record_run(wh, _summary(f"{sys.argv[2]}-{n}"), [_outcome("t")], day=date(2026, 6, 10))
    wh.close()
    """
)


def test_two_processes_finishing_the_same_day_lose_no_row(snowflake_url: str) -> None:
    root = str(Path(__file__).resolve().parents[2])
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, snowflake_url, name, root],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("w1", "w2")
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err
    wh = open_warehouse(snowflake_url)
    try:
        runs = {r[0] for r in wh.query("select run_id from gcexport_runs")}
        parts = wh.count_rows("gcexport_partitions", DAY)
    finally:
        wh.close()
    assert runs == {f"{w}-{n}" for w in ("w1", "w2") for n in range(6)}
    assert parts == 12
