"""DuckDB loads a partition in one streaming INSERT: big partitions, many chunks, failing chunks."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
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


def write_parquet(path: Path, table: pa.Table) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)
    return path


def test_a_partition_loads_from_local_parquet_files(duck: DuckDBWarehouse, tmp_path: Path) -> None:
    schema = segments(0).schema
    duck.replace_partition("segments", DAY, [segments(9)], schema)
    folder = tmp_path / "segments" / f"date={DAY.isoformat()}"  # hive-style: no extra column
    files = [
        write_parquet(folder / "a.parquet", segments(3)),
        write_parquet(folder / "it's.parquet", segments(4, start=3)),
        write_parquet(folder / "empty.parquet", segments(0)),
    ]
    assert duck.replace_partition_from_parquet("segments", DAY, files, schema) == 7
    assert duck.count_rows("segments", DAY) == 7
    assert duck.query('SELECT sum("duration_ms") FROM "segments"') == [(21_000,)]
    assert [r[0] for r in duck.query("DESCRIBE segments")] == schema.names


def test_a_parquet_load_that_fails_keeps_the_old_rows(
    duck: DuckDBWarehouse, tmp_path: Path
) -> None:
    schema = segments(0).schema
    duck.replace_partition("segments", DAY, [segments(5)], schema)
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"not parquet")
    with pytest.raises(SinkError, match="DuckDB insert into segments failed"):
        duck.replace_partition_from_parquet("segments", DAY, [broken], schema)
    assert duck.count_rows("segments", DAY) == 5


@pytest.mark.parametrize(("fmt", "spooled"), [("parquet", False), ("csv", True)])
def test_a_day_load_reads_local_parquet_back_and_spools_only_otherwise(
    tmp_path: Path, fmt: str, spooled: bool
) -> None:
    from gcexport.loading import DayLoad, LoadContext
    from gcexport.sinks import open_file_sink

    wh = DuckDBWarehouse(str(tmp_path / "w.duckdb"))
    sink = open_file_sink(tmp_path / "out", fmt=fmt, rows_per_file=1_000)
    ctx = LoadContext(sink=sink, warehouse=wh, run_id="r1", spool_root=tmp_path / "spool")
    try:
        with DayLoad(ctx, "d", DAY, schemas={}) as load:
            for chunk in chunked(2_500, 600):
                load.add({"segments": chunk})
            assert bool(list(load.spool_dir.iterdir())) is spooled
            [outcome] = load.commit()
        assert (outcome.api_rows, outcome.file_rows, outcome.warehouse_rows) == (
            2_500,
            2_500,
            2_500,
        )
        assert len(outcome.files) == 3  # rolled over every 1,000 rows; DuckDB read all three
        assert wh.query('SELECT count(DISTINCT "segment_id") FROM "segments"') == [(2_500,)]
    finally:
        wh.close()


def test_a_day_waiting_for_the_warehouse_lets_the_next_day_start(tmp_path: Path) -> None:
    import threading

    from gcexport.loading import DayLoad, LoadContext, WorkSlots
    from gcexport.sinks import open_file_sink

    wh = DuckDBWarehouse(str(tmp_path / "w.duckdb"))
    sink = open_file_sink(tmp_path / "out", fmt="parquet")
    ctx = LoadContext(
        sink=sink, warehouse=wh, run_id="r1", spool_root=tmp_path / "spool", slots=WorkSlots(1)
    )
    second_started = threading.Event()

    def first_day() -> None:
        with ctx.slots.hold(), DayLoad(ctx, "d", DAY, schemas={}) as load:
            load.add({"segments": segments(3)})
            load.commit()  # waits for the warehouse, which the test holds

    def second_day() -> None:
        with ctx.slots.hold():
            second_started.set()

    first, second = threading.Thread(target=first_day), threading.Thread(target=second_day)
    try:
        with ctx.warehouse_lock:
            first.start()
            second.start()
            # The only slot was given back while the first day still waits for the warehouse.
            assert second_started.wait(timeout=20)
            assert first.is_alive()
        first.join(timeout=20)
        second.join(timeout=20)
        assert not first.is_alive()
        assert wh.count_rows("segments", DAY) == 3
    finally:
        wh.close()


def test_a_day_loading_the_warehouse_takes_a_core_before_the_waiting_transforms(
    tmp_path: Path,
) -> None:
    import threading
    import time

    from gcexport.loading import DayLoad, LoadContext, TurnGate
    from gcexport.sinks import open_file_sink

    class Recording(DuckDBWarehouse):
        def replace_partition_from_parquet(self, *args: object, **kwargs: object) -> int:
            order.append("load")
            return super().replace_partition_from_parquet(*args, **kwargs)  # type: ignore[arg-type]

    order: list[str] = []
    wh = Recording(str(tmp_path / "w.duckdb"))
    sink = open_file_sink(tmp_path / "out", fmt="parquet")
    cores = TurnGate(1)
    ctx = LoadContext(
        sink=sink, warehouse=wh, run_id="r1", spool_root=tmp_path / "spool", cores=cores
    )

    def day() -> None:
        with DayLoad(ctx, "d", DAY, schemas={}) as load:
            load.add({"segments": segments(3)})
            load.commit()

    def later_transform() -> None:
        with cores.turn(DAY.toordinal()):  # the earliest day: it still comes after the load
            order.append("transform")

    def waiting(count: int) -> None:
        deadline = time.monotonic() + 20
        while len(cores._waiting) < count:
            assert time.monotonic() < deadline, "timed out"
            time.sleep(0.005)

    threads = [threading.Thread(target=day), threading.Thread(target=later_transform)]
    try:
        with cores.turn(DAY.toordinal()):  # a page being transformed holds the only core
            threads[0].start()
            waiting(1)  # the day's warehouse load waits for a core
            threads[1].start()
            waiting(2)
            assert order == []
        for thread in threads:
            thread.join(timeout=20)
            assert not thread.is_alive()
        assert order == ["load", "transform"]
        assert wh.count_rows("segments", DAY) == 3
    finally:
        wh.close()


def test_a_day_loads_its_tables_side_by_side_on_two_lanes(tmp_path: Path) -> None:
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from gcexport.loading import DayLoad, LoadContext
    from gcexport.sinks import open_file_sink

    class Recording(DuckDBWarehouse):
        def replace_partition_from_parquet(self, table: str, *args: object, **kw: object) -> int:
            with lock:
                loaders[table] = threading.current_thread().name
            return super().replace_partition_from_parquet(table, *args, **kw)  # type: ignore[arg-type]

    lock = threading.Lock()
    loaders: dict[str, str] = {}
    wh = Recording(str(tmp_path / "w.duckdb"))
    sink = open_file_sink(tmp_path / "out", fmt="parquet")
    sizes = {"big": 5000, "medium": 3000, "small": 2000, "tiny": 10}
    with ThreadPoolExecutor(2, thread_name_prefix="wh") as threads:
        ctx = LoadContext(
            sink=sink,
            warehouse=wh,
            run_id="r1",
            spool_root=tmp_path / "spool",
            warehouse_threads=threads,
            warehouse_lanes=2,
        )
        try:
            with DayLoad(ctx, "d", DAY, schemas={}) as load:
                load.add({name: segments(rows) for name, rows in sizes.items()})
                outcomes = load.commit()
            assert {o.table: o.warehouse_rows for o in outcomes} == sizes
            assert {o.table: o.file_rows for o in outcomes} == sizes
            assert {name: wh.count_rows(name, DAY) for name in sizes} == sizes
            # Two lanes, the two biggest tables on different ones.
            assert len(set(loaders.values())) == 2
            assert loaders["big"] != loaders["medium"]
            # The lanes' extra memory is given back.
            limit = wh.query("SELECT current_setting('memory_limit')")[0][0]
            assert limit.replace(" ", "") in {"45.7MiB", "48.0MB", "48MB"}, limit
        finally:
            wh.close()
