"""Every output column is a scalar, so each table writes as Parquet, CSV and JSON and loads into DuckDB."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from gcexport.transform import TABLE_SCHEMAS, flatten_conversations


def test_every_schema_is_flat() -> None:
    for name, schema in TABLE_SCHEMAS.items():
        nested = [f.name for f in schema if pa.types.is_nested(f.type)]
        assert nested == [], name


def test_detail_tables_round_trip_through_parquet_csv_and_duckdb(
    job_page: dict[str, Any], tmp_path: Path
) -> None:
    tables = flatten_conversations(job_page["conversations"], source="job").tables
    with duckdb.connect() as con:
        for name, table in tables.items():
            path = tmp_path / f"{name}.parquet"
            pq.write_table(table, path, compression="zstd")
            assert pq.read_table(path).equals(table)
            csv = io.BytesIO()
            pcsv.write_csv(table, csv)
            assert csv.getvalue().count(b"\n") >= table.num_rows + 1
            count = con.execute(f"SELECT count(*) FROM read_parquet('{path}')").fetchone()
            assert count == (table.num_rows,)
        ids = con.execute(
            f"SELECT count(*) FROM read_parquet('{tmp_path / 'conversations.parquet'}') "
            "WHERE json_array_length(division_ids) >= 1"
        ).fetchone()
    assert ids == (sum(1 for c in job_page["conversations"] if c.get("divisionIds")),)
