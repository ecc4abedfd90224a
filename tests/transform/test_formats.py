"""Every output column is a scalar, so each table writes as Parquet, CSV and JSON and loads into DuckDB."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from gcexport.sinks.formats import (
    ROW_GROUP_ROWS,
    TableFileWriter,
    count_file_rows,
    write_table_bytes,
)
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


def test_parquet_statistics_only_on_fixed_width_columns(job_page: dict[str, Any]) -> None:
    """Timestamps, dates and numbers keep min/max (readers prune on them); text columns carry
    none (UUIDs and JSON text cannot prune), and every table still reads back unchanged."""
    tables = flatten_conversations(job_page["conversations"], source="job").tables
    for name, table in tables.items():
        data = write_table_bytes(table, "parquet")
        assert pq.read_table(io.BytesIO(data)).equals(table), name
        group = pq.ParquetFile(io.BytesIO(data)).metadata.row_group(0)
        for i, column in enumerate(table.schema):
            has_stats = group.column(i).statistics is not None
            assert has_stats == (not pa.types.is_string(column.type)), (name, column.name)
    conversations = pq.ParquetFile(
        io.BytesIO(write_table_bytes(tables["conversations"], "parquet"))
    )
    start = conversations.metadata.row_group(0).column(1).statistics
    column = tables["conversations"].column("conversation_start")
    assert (start.min, start.max) == (pc.min(column).as_py(), pc.max(column).as_py())


def _chunk(start: int, rows: int) -> pa.Table:
    ids = [f"c-{i}" for i in range(start, start + rows)]
    return pa.table({"conversation_id": ids, "n": pa.array(range(start, start + rows), pa.int64())})


def test_small_chunks_are_gathered_into_row_groups(tmp_path: Path) -> None:
    """Page-sized chunks share a row group (each costs a chunk per column), in order, all kept."""
    path = tmp_path / "t.parquet"
    chunks = [_chunk(i * 100, 100) for i in range(250)]  # 25,000 rows in 100-row chunks
    with TableFileWriter(path, "parquet", schema=chunks[0].schema) as writer:
        for chunk in chunks:
            writer.write(chunk)
        assert writer.rows == 25_000
    metadata = pq.ParquetFile(path).metadata
    sizes = [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)]
    assert sizes == [ROW_GROUP_ROWS, ROW_GROUP_ROWS, 25_000 - 2 * ROW_GROUP_ROWS]
    assert pq.read_table(path).equals(pa.concat_tables(chunks).combine_chunks())


def test_a_row_group_is_bounded_by_bytes_too(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    wide = pa.table({"text": ["x" * 1000] * 3000})  # ~3 MB a chunk: every second one flushes
    with TableFileWriter(path, "parquet", schema=wide.schema) as writer:
        for _ in range(3):
            writer.write(wide)
    metadata = pq.ParquetFile(path).metadata
    assert [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)] == [6000, 3000]
    assert metadata.num_rows == 9000 == count_file_rows(path, "parquet")
