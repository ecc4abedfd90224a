"""Run history is insert-only: two workers finishing on the same day both keep every row."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pyarrow as pa

from gcexport.runlog import RUNS_SCHEMA, record_run
from gcexport.sinks import Warehouse, open_warehouse

DAY = date(2026, 6, 10)


def _summary(
    run_id: str, not_visible: list[str] | None = None, unknown: str | None = None
) -> SimpleNamespace:
    return SimpleNamespace(
        run_id=run_id, started_at="2026-06-10T09:00:00Z", finished_at="2026-06-10T09:01:00Z",
        status="success", datasets=["lookups"], parity_ok=True, requests=3, rate_limited=0,
        waited_s=0.0, provisional=[], drift=[], files=1, bytes=10, config_sha256="x",
        divisions_not_visible=[] if not_visible is None and unknown is None else not_visible,
        divisions_unknown=unknown,
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


REFUSED = "listing them was refused (HTTP 403: the client's role lacks authorization:division:view)"
DIVISIONS = "select run_id, divisions_not_visible, divisions_unknown from gcexport_runs order by 1"


def test_a_run_records_the_divisions_the_client_cannot_see(warehouse: Warehouse) -> None:
    """As the summary and --json say them: the names (a JSON list, `[]` when it sees them all),
    or null and the reason it could not tell."""
    record_run(warehouse, _summary("r1", ["Consumer", "Business"]), [_outcome("t")], day=DAY)
    record_run(warehouse, _summary("r2"), [_outcome("t")], day=DAY)
    record_run(warehouse, _summary("r3", None, REFUSED), [_outcome("t")], day=DAY)
    assert [tuple(r) for r in warehouse.query(DIVISIONS)] == [
        ("r1", '["Consumer","Business"]', None),
        ("r2", "[]", None),
        ("r3", None, REFUSED),
    ]


OLD_RUNS = pa.schema(  # gcexport_runs as gcexport 0.x wrote it, before the division columns
    [(f.name, f.type) for f in RUNS_SCHEMA if not f.name.startswith("divisions_")]
)


def test_a_run_history_from_before_the_division_columns_gains_them(
    warehouse: Warehouse,
) -> None:
    """A warehouse written before the columns existed loads the next run: the table gains them
    (ALTER TABLE ADD COLUMN), its old rows read null there and keep every other value."""
    old = {f.name: None for f in OLD_RUNS} | {"run_id": "r0", "status": "success", "requests": 7}
    warehouse.append("gcexport_runs", [pa.Table.from_pylist([old], schema=OLD_RUNS)], OLD_RUNS)
    before = {c.lower() for r in warehouse.query(_COLUMNS) for c in r}
    assert "divisions_not_visible" not in before and "run_id" in before
    record_run(warehouse, _summary("r1", ["Consumer"]), [_outcome("t")], day=DAY)
    assert [tuple(r) for r in warehouse.query(DIVISIONS)] == [
        ("r0", None, None),
        ("r1", '["Consumer"]', None),
    ]
    rows = warehouse.query("select run_id, status, requests from gcexport_runs order by 1")
    assert [tuple(r) for r in rows] == [("r0", "success", 7), ("r1", "success", 3)]


_COLUMNS = (
    "select column_name from information_schema.columns where lower(table_name) = 'gcexport_runs'"
    " and table_schema = current_schema()"
)


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
