"""Property: rows written as Parquet, loaded into DuckDB and read back are the rows we started with."""

from __future__ import annotations

import io
from datetime import date

import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import given, settings
from hypothesis import strategies as st

from gcexport.sinks import open_warehouse, write_table_bytes

SCHEMA = pa.schema(
    [
        ("partition_date", pa.date32()),
        ("name", pa.string()),
        ("count", pa.int64()),
        ("ratio", pa.float64()),
        ("flag", pa.bool_()),
    ]
)
DAY = date(2026, 11, 20)

rows = st.lists(
    st.fixed_dictionaries(
        {
            "partition_date": st.just(DAY),
            "name": st.none() | st.text(max_size=20),
            "count": st.none() | st.integers(min_value=-(2**63), max_value=2**63 - 1),
            "ratio": st.none() | st.floats(allow_nan=False),
            "flag": st.none() | st.booleans(),
        }
    ),
    max_size=30,
)


@settings(max_examples=25, deadline=None)
@given(rows)
def test_parquet_to_duckdb_and_back_keeps_every_value(records: list[dict[str, object]]) -> None:
    table = pa.Table.from_pylist(records, schema=SCHEMA)
    from_file = pq.read_table(io.BytesIO(write_table_bytes(table, "parquet")))
    wh = open_warehouse("duckdb://:memory:")
    try:
        assert wh.replace_partition("t", DAY, [from_file], SCHEMA) == len(records)
        back = wh.query('SELECT "partition_date", "name", "count", "ratio", "flag" FROM "t"')
    finally:
        wh.close()
    expected = [tuple(r[name] for name in SCHEMA.names) for r in records]
    assert sorted(back, key=repr) == sorted(expected, key=repr)
