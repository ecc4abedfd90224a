"""Helpers for the sink contract suite: sample tables and adapters giving every sink the same verbs."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.parquet as pq

from gcexport.sinks import FileSink, Warehouse

DAY = date(2026, 11, 20)


def segments(n: int, *, start: int = 0, day: date = DAY, extra: bool = False) -> pa.Table:
    """A small `segments`-like table with `n` rows."""
    columns: dict[str, Any] = {
        "partition_date": pa.array([day] * n, pa.date32()),
        "segment_id": pa.array([f"s{start + i}" for i in range(n)], pa.string()),
        "duration_ms": pa.array([1000 * (start + i) for i in range(n)], pa.int64()),
    }
    if extra:
        columns["wrapup_code"] = pa.array([f"w{i}" for i in range(n)], pa.string())
    return pa.table(columns)


class FileTarget:
    """A FileSink seen through the contract's verbs."""

    def __init__(self, name: str, sink: FileSink) -> None:
        self.name, self.sink = name, sink

    def load(self, table: str, day: date, chunks: Iterable[pa.Table], schema: pa.Schema) -> int:
        with self.sink.open_partition(table, day, run_id="run1") as writer:
            for chunk in chunks:
                writer.write(chunk)
        return self.sink.count_rows(table, day)

    def count(self, table: str, day: date) -> int:
        return self.sink.count_rows(table, day)

    def read(self, table: str, day: date) -> pa.Table:
        """The published partition's rows, read back from the files its manifest lists."""
        rel_dir = f"{table}/date={day.isoformat()}"
        manifest = orjson.loads(self.sink.storage.read_bytes(f"{rel_dir}/_manifest.json") or b"{}")
        with tempfile.TemporaryDirectory() as tmp:
            tables = [
                read_file(
                    self.sink.storage.fetch(f"{rel_dir}/{f['name']}", Path(tmp)), self.sink.fmt
                )
                for f in manifest["files"]
            ]
        return pa.concat_tables(tables, promote_options="default")


def read_file(path: Path, fmt: str) -> pa.Table:
    """A written file read back with pyarrow's own readers."""
    if fmt == "csv":
        return pacsv.read_csv(path)
    if fmt == "jsonl":
        return pajson.read_json(path)
    return pq.read_table(path)


class WarehouseTarget:
    """A Warehouse seen through the contract's verbs."""

    def __init__(self, name: str, wh: Warehouse) -> None:
        self.name, self.wh = name, wh

    def load(self, table: str, day: date, chunks: Iterable[pa.Table], schema: pa.Schema) -> int:
        return self.wh.replace_partition(table, day, chunks, schema)

    def count(self, table: str, day: date) -> int:
        return self.wh.count_rows(table, day)

    def read(self, table: str, day: date) -> pa.Table:
        names = [
            r[0]
            for r in self.wh.query(
                "SELECT column_name FROM information_schema.columns WHERE lower(table_name) = "
                f"'{table}' AND table_schema = CURRENT_SCHEMA() ORDER BY ordinal_position"
            )
        ]
        cols = ", ".join(f'"{n}"' for n in names)
        rows = self.wh.query(
            f'SELECT {cols} FROM "{table}" WHERE "partition_date" = \'{day}\' ORDER BY "segment_id"'
        )
        return pa.Table.from_pylist([dict(zip(names, r, strict=True)) for r in rows])
