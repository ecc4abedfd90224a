"""DuckDB never draws its progress bar: on stdout it would land in `--json`, `gcexport sql`'s CSV or
JSON and the report command's output (seen: an export with one warehouse lane printed it before
its JSON summary). Checked in a plain Python process: under pytest DuckDB starts with it off."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from gcexport.sinks.duckdb_warehouse import DuckDBWarehouse

PROBE = """
import json, sys, duckdb
from gcexport.kpi_report.source import ReadOnlyDuckDB
from gcexport.sinks.duckdb_warehouse import DuckDBWarehouse
from gcexport.sql import query_warehouse

SETTING = "select current_setting('enable_progress_bar')"
path = sys.argv[1]
found = {"plain duckdb": duckdb.connect().execute(SETTING).fetchone()[0]}
warehouse = DuckDBWarehouse(path)
found["export warehouse"] = warehouse.query(SETTING)[0][0]
with warehouse.lanes(2) as lanes:
    found["lanes"] = [lane.query(SETTING)[0][0] for lane in lanes]
warehouse.close()
found["gcexport sql"] = query_warehouse("duckdb:///" + path, SETTING)[1][0][0]
found["report"] = ReadOnlyDuckDB(__import__("pathlib").Path(path)).query(SETTING)[0][0]
print(json.dumps(found))
"""


def test_no_duckdb_connection_of_gcexport_draws_a_progress_bar(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    DuckDBWarehouse(str(path)).close()
    run = subprocess.run(
        [sys.executable, "-c", PROBE, str(path)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-800:]
    assert json.loads(run.stdout) == {
        "plain duckdb": True,  # what DuckDB does unless told
        "export warehouse": False,
        "lanes": [False, False],
        "gcexport sql": False,
        "report": False,
    }
