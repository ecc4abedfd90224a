"""DuckDB shared politely (issue #20): an export holds the file only while it loads, waits a
bounded, configurable time for another holder and says who holds it."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pyarrow as pa
import pytest

from gcexport.errors import LockedError
from gcexport.sinks.duckdb_warehouse import DuckDBWarehouse, lock_holder

HOLD = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == "ro")
print("held", flush=True)
time.sleep(float(sys.argv[3]))
con.close()
"""

TRY_READ = """
import sys, duckdb
try:
    duckdb.connect(sys.argv[1], read_only=True).close()
    print("opened")
except duckdb.Error as exc:
    print("refused", exc)
"""


@contextmanager
def holder(path: Path, seconds: float, mode: str = "rw") -> Iterator[subprocess.Popen[str]]:
    """Another process (an analyst's session) holding the DuckDB file."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path), mode, str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        yield proc
    finally:
        proc.kill()
        proc.wait()


def _other_process_reads(path: Path) -> str:
    out = subprocess.run(
        [sys.executable, "-c", TRY_READ, str(path)], capture_output=True, text=True, timeout=60
    ).stdout
    return out.split()[0]


def _table() -> pa.Table:
    return pa.table({"x": [1, 2], "partition_date": [date(2026, 11, 20)] * 2})


def test_the_file_is_free_between_loads_and_locked_during_one(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    warehouse = DuckDBWarehouse(str(path))
    warehouse.release()
    assert _other_process_reads(path) == "opened"  # an analyst or `report` gets in
    with warehouse.held():
        warehouse.replace_partition("t", date(2026, 11, 20), [_table()], _table().schema)
        assert _other_process_reads(path) == "refused"
    assert _other_process_reads(path) == "opened"
    with warehouse.held():
        assert warehouse.count_rows("t", date(2026, 11, 20)) == 2
    warehouse.close()


def test_an_export_waits_for_a_holder_that_lets_go(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    DuckDBWarehouse(str(path)).close()
    with holder(path, 2.0):
        started = time.monotonic()
        warehouse = DuckDBWarehouse(str(path), lock_wait=30)
        waited = time.monotonic() - started
    assert 0.5 < waited < 30
    warehouse.close()


def test_a_holder_that_stays_is_named_after_the_bounded_wait(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    DuckDBWarehouse(str(path)).close()
    with holder(path, 60.0) as proc:
        started = time.monotonic()
        with pytest.raises(LockedError) as info:
            DuckDBWarehouse(str(path), lock_wait=1.5)
        waited = time.monotonic() - started
    assert 1.5 <= waited < 10
    message = str(info.value)
    assert message.startswith(f"DuckDB database {path} is in use by PID {proc.pid} (")
    assert message.endswith("; waited 2s — close that session or raise export.warehouse_lock_wait.")
    assert info.value.exit_code == 1


def test_lock_holder_reads_duckdbs_message() -> None:
    text = (
        'IO Error: Could not set lock on file "/x.duckdb": Conflicting lock is held in '
        "/usr/bin/python3.11 (PID 4242) by user ana. See also https://duckdb.org/docs/"
    )
    assert lock_holder(Exception(text)) == "PID 4242 (python3.11, user ana)"
    assert lock_holder(Exception("Catalog Error: no such table")) is None
    # an out-of-memory error names a "block": not a lock (it once waited 60 s, then blamed one)
    oom = "TransactionContext Error: could not allocate block of size 256.0 KiB (45.5 MiB used)"
    assert lock_holder(Exception(oom)) is None
