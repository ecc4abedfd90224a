"""DuckDB loads a partition in one streaming INSERT: big partitions, many chunks, failing chunks."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pyarrow as pa
import pytest

from gcexport.errors import SinkError
from gcexport.sinks.duckdb_warehouse import DuckDBWarehouse
from tests.sinks.sink_targets import DAY, segments

ROW_GROUP = 122_880  # DuckDB's row group: bigger single inserts take its bulk (optimistic) path


def chunked(total: int, size: int) -> Iterator[pa.Table]:
    for start in range(0, total, size):
        yield segments(min(size, total - start), start=start)


@pytest.fixture
def duck(tmp_path: Path) -> Iterator[DuckDBWarehouse]:
    wh = DuckDBWarehouse(str(tmp_path / "w.duckdb"))
    yield wh
    wh.close()


def test_a_partition_bigger_than_a_row_group_is_counted_and_replaced(duck: DuckDBWarehouse) -> None:
    total = 2 * ROW_GROUP + 7
    schema = segments(0).schema
    assert duck.replace_partition("segments", DAY, chunked(total, 50_000), schema) == total
    assert duck.count_rows("segments", DAY) == total  # the new table is not created in the load
    assert duck.query('SELECT count(*) FROM "segments" WHERE "duration_ms" >= 0') == [(total,)]
    other = DAY + timedelta(days=1)
    duck.replace_partition("segments", other, [segments(3, day=other)], schema)
    assert duck.replace_partition("segments", DAY, chunked(total, 1_000), schema) == total
    assert (duck.count_rows("segments", DAY), duck.count_rows("segments", other)) == (total, 3)
    assert duck.count_rows("segments") == total + 3


def test_many_chunks_arrive_in_order_with_their_values(duck: DuckDBWarehouse) -> None:
    schema = segments(0).schema
    assert duck.replace_partition("segments", DAY, chunked(5_000, 7), schema) == 5_000
    rows = duck.query(
        'SELECT min("duration_ms"), max("duration_ms"), count(DISTINCT "segment_id") FROM "segments"'
    )
    assert rows == [(0, 4_999_000, 5_000)]


def test_a_chunk_that_does_not_fit_raises_its_own_error_and_keeps_the_old_rows(
    duck: DuckDBWarehouse,
) -> None:
    schema = segments(0).schema
    duck.replace_partition("segments", DAY, [segments(4)], schema)
    stray = segments(2, extra=True)  # a column the table's schema lacks

    def chunks() -> Iterator[pa.Table]:
        yield segments(10)
        yield stray

    with pytest.raises(SinkError, match="columns its table's schema lacks: wrapup_code"):
        duck.replace_partition("segments", DAY, chunks(), schema)
    assert duck.count_rows("segments", DAY) == 4
    assert duck.replace_partition("segments", DAY, [segments(6)], schema) == 6  # usable again


def test_new_columns_are_added_in_the_load(duck: DuckDBWarehouse) -> None:
    duck.replace_partition("segments", DAY, [segments(2)], segments(0).schema)
    wide = segments(3, extra=True)
    assert duck.replace_partition("segments", DAY, chunked_wide(wide), wide.schema) == 3
    assert duck.query('SELECT count("wrapup_code") FROM "segments"') == [(3,)]


def chunked_wide(table: pa.Table) -> Iterator[pa.Table]:
    yield table.slice(0, 1)
    yield table.slice(1)
