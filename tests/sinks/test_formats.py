"""Parquet, CSV and JSONL from the same Arrow table: values and types survive the round trip."""

from __future__ import annotations

import io
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from gcexport.errors import ConfigError, SinkError
from gcexport.sinks import write_table_bytes
from gcexport.sinks.formats import TableFileWriter, conform, count_file_rows

WHEN = datetime(2026, 11, 20, 1, 2, 3, 456000, tzinfo=timezone.utc)


def sample() -> pa.Table:
    return pa.table(
        {
            "partition_date": pa.array([date(2026, 11, 20), None, date(2026, 1, 1)], pa.date32()),
            "text": pa.array(['comma, "quote"\nnewline', None, ""], pa.string()),
            "count": pa.array([7, None, -1], pa.int64()),
            "ratio": pa.array([0.25, None, 1e-9], pa.float64()),
            "flag": pa.array([True, False, None], pa.bool_()),
            "started": pa.array([WHEN, None, WHEN], pa.timestamp("ms", tz="UTC")),
        }
    )


def test_parquet_round_trips_exactly() -> None:
    table = sample()
    assert pq.read_table(io.BytesIO(write_table_bytes(table, "parquet"))).equals(table)


def test_csv_round_trips_with_the_schema() -> None:
    table = sample()
    # null is written unquoted-empty, "" quoted: readers can tell them apart
    options = pacsv.ConvertOptions(
        column_types=table.schema, strings_can_be_null=True, quoted_strings_can_be_null=False
    )
    got = pacsv.read_csv(io.BytesIO(write_table_bytes(table, "csv")), convert_options=options)
    assert got.equals(table)


def test_jsonl_writes_one_object_per_row_with_iso_dates() -> None:
    rows = [orjson.loads(line) for line in write_table_bytes(sample(), "jsonl").splitlines()]
    assert rows[0] == {
        "partition_date": "2026-11-20",
        "text": 'comma, "quote"\nnewline',
        "count": 7,
        "ratio": 0.25,
        "flag": True,
        "started": "2026-11-20T01:02:03.456000Z",
    }
    assert datetime.fromisoformat(rows[0]["started"].replace("Z", "+00:00")) == WHEN
    assert rows[1] == dict.fromkeys(rows[0], None) | {"flag": False}


def test_jsonl_writes_decimals_and_bytes_as_text() -> None:
    table = pa.table(
        {"amount": pa.array([Decimal("1.10")], pa.decimal128(5, 2)), "raw": [b"\x00\x01"]}
    )
    assert orjson.loads(write_table_bytes(table, "jsonl")) == {"amount": "1.10", "raw": "AAE="}


@pytest.mark.parametrize("compression", ["zstd", "snappy"])
def test_parquet_compression_is_selectable(compression: str) -> None:
    data = write_table_bytes(sample(), "parquet", compression=compression)
    column = pq.ParquetFile(io.BytesIO(data)).metadata.row_group(0).column(0)
    assert column.compression == compression.upper()


def test_unknown_format_or_compression_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="xml"):
        write_table_bytes(sample(), "xml")
    with pytest.raises(ConfigError, match="gzip"):
        write_table_bytes(sample(), "parquet", compression="gzip")


@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl"])
def test_streamed_file_counts_back_every_row(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"f.{fmt}"
    with TableFileWriter(path, fmt, schema=sample().schema) as writer:
        for _ in range(3):
            writer.write(sample())
    assert writer.rows == 9
    assert count_file_rows(path, fmt) == 9


def test_conform_fills_missing_columns_with_nulls_and_orders_them() -> None:
    schema = pa.schema([("b", pa.int64()), ("a", pa.string())])
    got = conform(pa.table({"a": ["x"]}), schema)
    assert got.schema.equals(schema)
    assert got.to_pylist() == [{"b": None, "a": "x"}]


def test_conform_refuses_values_that_do_not_fit() -> None:
    with pytest.raises(SinkError, match="schema"):
        conform(pa.table({"n": ["not a number"]}), pa.schema([("n", pa.int64())]))


def test_conform_refuses_columns_the_schema_lacks() -> None:
    with pytest.raises(SinkError, match="lacks: surprise"):
        conform(pa.table({"n": [1], "surprise": [2]}), pa.schema([("n", pa.int64())]))
