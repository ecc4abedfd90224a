"""One contract suite over every sink: local files, S3 (moto), DuckDB and Snowflake (fakesnow)."""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa
import pytest

from gcexport.errors import ParityError
from gcexport.sinks import check_parity
from tests.sinks.sink_targets import DAY, FileTarget, WarehouseTarget, segments

Target = FileTarget | WarehouseTarget


class Interrupted(RuntimeError):
    """Stands for the extract dying half-way through a partition."""


def test_first_load_holds_exactly_the_rows(target: Target) -> None:
    table = segments(5)
    assert target.load("segments", DAY, [table.slice(0, 2), table.slice(2)], table.schema) == 5
    assert target.count("segments", DAY) == 5
    got = target.read("segments", DAY).sort_by("segment_id")
    assert got.column("segment_id").to_pylist() == [f"s{i}" for i in range(5)]
    assert got.column("duration_ms").to_pylist() == [0, 1000, 2000, 3000, 4000]


def test_reload_replaces_the_partition_without_duplicates(target: Target) -> None:
    table = segments(5)
    target.load("segments", DAY, [table], table.schema)
    smaller = segments(3, start=10)
    assert target.load("segments", DAY, [smaller], smaller.schema) == 3
    assert target.count("segments", DAY) == 3
    got = target.read("segments", DAY).sort_by("segment_id")
    assert got.column("segment_id").to_pylist() == ["s10", "s11", "s12"]


def test_other_partitions_are_untouched_by_a_reload(target: Target) -> None:
    other = DAY.replace(day=21)
    target.load("segments", DAY, [segments(4)], segments(4).schema)
    target.load("segments", other, [segments(2, day=other)], segments(2).schema)
    target.load("segments", DAY, [segments(1)], segments(1).schema)
    assert (target.count("segments", DAY), target.count("segments", other)) == (1, 2)


def test_load_with_a_new_column(target: Target) -> None:
    target.load("segments", DAY, [segments(2)], segments(2).schema)
    wider = segments(3, start=5, extra=True)
    assert target.load("segments", DAY, [wider], wider.schema) == 3
    got = target.read("segments", DAY).sort_by("segment_id")
    assert got.column("wrapup_code").to_pylist() == ["w0", "w1", "w2"]


def test_interrupted_load_leaves_the_old_partition_whole(target: Target) -> None:
    old = segments(4)
    target.load("segments", DAY, [old], old.schema)

    def chunks() -> Iterator[pa.Table]:
        yield segments(100, start=100)
        raise Interrupted("extract died")

    with pytest.raises(Interrupted):
        target.load("segments", DAY, chunks(), old.schema)
    assert target.count("segments", DAY) == 4
    got = target.read("segments", DAY).sort_by("segment_id")
    assert got.column("segment_id").to_pylist() == ["s0", "s1", "s2", "s3"]


def test_parity_failure_is_detected(target: Target) -> None:
    table = segments(3)
    target.load("segments", DAY, [table], table.schema)
    counts = {("segments", DAY): target.count("segments", DAY)}
    assert check_parity(api={("segments", DAY): 3}, files=counts, warehouse=counts).ok
    report = check_parity(api={("segments", DAY): 4}, files=counts, warehouse=counts)
    assert not report.ok
    with pytest.raises(ParityError) as caught:
        report.raise_for_mismatch()
    assert caught.value.exit_code == 3
    assert caught.value.mismatches == [
        {"table": "segments", "partition_date": "2026-11-20", "api": 4, "files": 3, "warehouse": 3}
    ]
    assert "segments  2026-11-20  4    3      3" in str(caught.value)
