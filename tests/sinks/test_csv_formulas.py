"""CSV cells a spreadsheet would run as a formula get a `'` prefix; Parquet and JSONL keep values."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from gcexport.sinks import open_file_sink
from gcexport.sinks.formats import write_table_bytes

HOSTILE = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "\rCR", "ok", None]
ESCAPED = ['\'=HYPERLINK("http://x")', "'+1+1", "'-2+3", "'@SUM(A1)", "'\tTAB", "'\rCR", "ok", ""]


def _table() -> pa.Table:
    return pa.table({"name": HOSTILE, "n": list(range(-4, 4))})


def _csv_column(data: bytes) -> tuple[list[str], list[str]]:
    rows = list(csv.reader(io.StringIO(data.decode(), newline="")))
    return [r[0] for r in rows[1:]], [r[1] for r in rows[1:]]


def test_csv_cells_that_start_like_formulas_are_prefixed() -> None:
    names, numbers = _csv_column(write_table_bytes(_table(), "csv"))
    assert names == ESCAPED
    assert numbers == ["-4", "-3", "-2", "-1", "0", "1", "2", "3"]  # numbers stay numbers


def test_the_opt_out_keeps_csv_cells_raw() -> None:
    names, _ = _csv_column(write_table_bytes(_table(), "csv", csv_escape_formulas=False))
    assert names == [v or "" for v in HOSTILE]


def test_parquet_and_jsonl_keep_the_values() -> None:
    parquet = pq.read_table(pa.BufferReader(write_table_bytes(_table(), "parquet")))
    assert parquet.column("name").to_pylist() == HOSTILE
    lines = write_table_bytes(_table(), "jsonl").splitlines()
    assert [orjson.loads(line)["name"] for line in lines] == HOSTILE


@pytest.mark.parametrize(("escape", "expected"), [(True, ESCAPED), (False, None)])
def test_published_csv_partition_is_escaped_by_default(
    tmp_path: Path, escape: bool, expected: list[str] | None
) -> None:
    sink = open_file_sink(tmp_path / "out", fmt="csv", csv_escape_formulas=escape)
    with sink.open_partition("users", date(2026, 3, 1), run_id="r1") as writer:
        writer.write(_table())
    (path,) = (tmp_path / "out" / "users" / "date=2026-03-01").glob("*.csv")
    names, _ = _csv_column(path.read_bytes())
    assert names == (expected or [v or "" for v in HOSTILE])
    assert sink.count_rows("users", date(2026, 3, 1)) == 8
