"""Parity: API rows = file rows = warehouse rows for every partition, or a ParityError (exit 3)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from gcexport.errors import ParityError
from gcexport.sinks import check_parity, open_file_sink, open_warehouse
from tests.sinks.sink_targets import DAY, segments

D2 = date(2026, 11, 21)


@pytest.mark.parametrize(
    ("api", "files", "warehouse", "bad"),
    [
        ({("segments", DAY): 5}, {("segments", DAY): 5}, {("segments", DAY): 5}, []),
        (
            {("segments", DAY): 5},
            {("segments", DAY): 4},
            {("segments", DAY): 5},
            [("segments", DAY)],
        ),
        (
            {("segments", DAY): 5},
            {("segments", DAY): 5},
            {("segments", DAY): 6},
            [("segments", DAY)],
        ),
        ({("segments", DAY): 5}, {}, {("segments", DAY): 5}, [("segments", DAY)]),  # files missing
        ({}, {("segments", D2): 1}, None, [("segments", D2)]),  # rows the API never returned
        ({("segments", DAY): 0}, {}, {}, []),  # an empty day needs no files
        ({("queues", None): 3}, None, {("queues", None): 3}, []),  # a snapshot, files not checked
    ],
)
def test_parity_table(api: dict, files: dict | None, warehouse: dict | None, bad: list) -> None:
    report = check_parity(api=api, files=files, warehouse=warehouse)
    assert [(r.table, r.partition_date) for r in report.mismatches] == bad
    assert report.ok is (bad == [])


def test_the_error_lists_every_differing_partition_and_only_those() -> None:
    report = check_parity(
        api={("conversations", DAY): 10, ("segments", DAY): 40, ("segments", D2): 7},
        files={("conversations", DAY): 10, ("segments", DAY): 38, ("segments", D2): 7},
        warehouse={("conversations", DAY): 9, ("segments", DAY): 38, ("segments", D2): 7},
    )
    with pytest.raises(ParityError) as caught:
        report.raise_for_mismatch()
    assert caught.value.exit_code == 3
    assert str(caught.value).splitlines() == [
        "row counts differ in 2 partition(s):",
        "table          date        api  files  warehouse",
        "conversations  2026-11-20  10   10     9",
        "segments       2026-11-20  40   38     38",
    ]
    assert [m["table"] for m in caught.value.mismatches] == ["conversations", "segments"]


def test_parity_over_real_sinks_catches_a_lost_partition(tmp_path: Path) -> None:
    sink = open_file_sink(tmp_path / "out")
    wh = open_warehouse(f"duckdb://{tmp_path}/wh.duckdb")
    try:
        for day, n in ((DAY, 4), (D2, 2)):
            table = segments(n, day=day)
            with sink.open_partition("segments", day, run_id="r1") as writer:
                writer.write(table)
            if day == DAY:  # the warehouse load of D2 "never happened"
                wh.replace_partition("segments", day, [table], table.schema)
        keys = [("segments", DAY), ("segments", D2)]
        report = check_parity(
            api={("segments", DAY): 4, ("segments", D2): 2},
            files={k: sink.count_rows(k[0], k[1]) for k in keys},
            warehouse={k: wh.count_rows(k[0], k[1]) for k in keys},
        )
    finally:
        wh.close()
    assert [r.to_dict() for r in report.mismatches] == [
        {"table": "segments", "partition_date": "2026-11-21", "api": 2, "files": 2, "warehouse": 0}
    ]
