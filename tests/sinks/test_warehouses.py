"""Warehouse behaviour beyond the contract: snapshots, rejected loads, types, SQL, URLs, secrets."""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from gcexport.errors import ConfigError, CredentialsError, DestinationError, SinkError
from gcexport.sinks import Warehouse, open_warehouse
from gcexport.sinks.snowflake_types import snowflake_type
from tests.sinks.sink_targets import DAY, segments


def queues(*names: str) -> pa.Table:
    return pa.table(
        {
            "partition_date": pa.array([DAY] * len(names), pa.date32()),
            "queue_id": pa.array([f"q-{n}" for n in names], pa.string()),
            "name": pa.array(list(names), pa.string()),
        }
    )


def test_snapshot_tables_are_replaced_whole(warehouse: Warehouse) -> None:
    first = queues("sales", "support", "billing")
    assert warehouse.replace_table("queues", [first], first.schema) == 3
    second = queues("sales", "retention")
    assert warehouse.replace_table("queues", [second], second.schema) == 2
    assert warehouse.count_rows("queues") == 2
    assert sorted(r[0] for r in warehouse.query('SELECT "name" FROM "queues"')) == [
        "retention",
        "sales",
    ]


def test_a_missing_table_counts_zero(warehouse: Warehouse) -> None:
    assert warehouse.count_rows("segments", DAY) == 0
    assert warehouse.count_rows("users") == 0


def test_check_passes_on_a_usable_warehouse(warehouse: Warehouse) -> None:
    warehouse.check()


def test_a_rejected_load_rolls_back_and_keeps_the_old_rows(warehouse: Warehouse) -> None:
    good = segments(4)
    warehouse.replace_partition("segments", DAY, [good], good.schema)
    bad = good.set_column(2, "duration_ms", pa.array(["not a number"] * 4))
    with pytest.raises(SinkError):
        warehouse.replace_partition("segments", DAY, [bad], bad.schema)
    assert warehouse.count_rows("segments", DAY) == 4


def test_scalar_types_load_with_their_values(warehouse: Warehouse) -> None:
    when = datetime(2026, 11, 20, 8, 30, tzinfo=timezone.utc)
    table = pa.table(
        {
            "partition_date": pa.array([DAY], pa.date32()),
            "flag": pa.array([True]),
            "ratio": pa.array([0.5]),
            "big": pa.array([2**40], pa.int64()),
            "started": pa.array([when], pa.timestamp("us", tz="UTC")),
            "label": pa.array(["é ✓"]),
        }
    )
    warehouse.replace_partition("metrics", DAY, [table], table.schema)
    row = warehouse.query(
        'SELECT "partition_date", "flag", "ratio", "big", "started", "label" FROM "metrics"'
    )[0]
    assert row[:4] == (DAY, True, 0.5, 2**40)
    assert row[4] == when and row[5] == "é ✓"


def test_views_can_be_created_and_queried(warehouse: Warehouse) -> None:
    table = segments(3)
    warehouse.replace_partition("segments", DAY, [table], table.schema)
    warehouse.execute(
        'CREATE VIEW "segment_totals" AS SELECT SUM("duration_ms") AS total FROM "segments"'
    )
    assert warehouse.query('SELECT total FROM "segment_totals"') == [(3000,)]


@pytest.mark.parametrize(
    ("arrow", "expected"),
    [
        (pa.string(), "VARCHAR"),
        (pa.int32(), "NUMBER(38,0)"),
        (pa.float64(), "FLOAT"),
        (pa.bool_(), "BOOLEAN"),
        (pa.date32(), "DATE"),
        (pa.timestamp("ms", tz="UTC"), "TIMESTAMP_TZ"),
        (pa.timestamp("us"), "TIMESTAMP_NTZ"),
        (pa.decimal128(12, 3), "NUMBER(12,3)"),
        (pa.list_(pa.string()), "VARIANT"),
        (pa.struct([("a", pa.int64())]), "VARIANT"),
        (pa.binary(), "BINARY"),
        (pa.dictionary(pa.int8(), pa.string()), "VARCHAR"),
    ],
)
def test_snowflake_column_types(arrow: pa.DataType, expected: str) -> None:
    assert snowflake_type(arrow) == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("postgres://x/y", "unsupported warehouse"),
        ("duckdb://", "needs a file"),
        ("snowflake://acct/DB/SCHEMA", "USER@ACCOUNT"),
        ("snowflake://u@acct/DB", "USER@ACCOUNT"),
        ("snowflake://u:pw@acct/DB/S", "SNOWFLAKE_PASSWORD"),
        ("snowflake://u@acct/DB/S?colour=blue", "colour"),
        ("snowflake://u@acct/DB/S?port=http", "whole number"),
    ],
)
def test_bad_warehouse_urls_are_config_errors(
    url: str, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SNOWFLAKE_PASSWORD", "x")
    with pytest.raises(ConfigError, match=message):
        open_warehouse(url).check()


def test_missing_snowflake_password_is_a_credentials_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SNOWFLAKE_PASSWORD", raising=False)
    with pytest.raises(CredentialsError, match="SNOWFLAKE_PASSWORD"):
        open_warehouse("snowflake://u@acct/DB/S")


SECRET = "Zq9!Distinctive-Passw0rd-4711"


def test_the_password_never_shows(
    snowflake_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("SNOWFLAKE_PASSWORD", SECRET)  # fakesnow accepts any password
    caplog.set_level(logging.DEBUG, logger="gcexport")
    wh = open_warehouse(snowflake_url)
    try:
        table = segments(2)
        wh.replace_partition("segments", DAY, [table], table.schema)
        with pytest.raises(SinkError) as caught:
            wh.query("SELECT no_such_column FROM no_such_table")
        assert SECRET not in str(caught.value) and SECRET not in repr(caught.value)
        assert SECRET not in repr(wh) and SECRET not in str(vars(wh))
        assert "PUT 'file://" in caplog.text and "COPY INTO" in caplog.text
        assert SECRET not in caplog.text
    finally:
        wh.close()


def test_an_unreachable_snowflake_is_an_unusable_destination(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("SNOWFLAKE_PASSWORD", SECRET)
    url = f"snowflake://u@acct/DB/S?host=127.0.0.1&port={port}&protocol=http&login_timeout=2"
    with pytest.raises(DestinationError) as caught:
        open_warehouse(url).check()
    assert SECRET not in str(caught.value)
    assert "acct" in str(caught.value)


def _external_stage(fakesnow_server: dict[str, object], schema_url: str, folder: Path) -> None:
    """Stands in for an S3 external stage: fakesnow reads a file:// stage URL the same way."""
    import snowflake.connector

    database, schema = schema_url.split("/")[3], schema_url.split("/")[4].split("?")[0]
    conn = snowflake.connector.connect(**fakesnow_server, database=database, schema=schema)
    try:
        conn.cursor().execute(f"CREATE STAGE IF NOT EXISTS ext_stage URL = '{folder.as_uri()}/'")
    finally:
        conn.close()


def test_loading_files_already_staged(
    fakesnow_server: dict[str, object], snowflake_url: str, tmp_path: Path
) -> None:
    from gcexport.sinks.snowflake_warehouse import SnowflakeWarehouse

    table = segments(3)
    (tmp_path / "segments").mkdir()
    pq.write_table(table, tmp_path / "segments" / "segments-00000.parquet")
    _external_stage(fakesnow_server, snowflake_url, tmp_path)
    wh = SnowflakeWarehouse.from_url(snowflake_url + "&stage=@ext_stage")
    try:
        rows = wh.replace_partition_from_stage(
            "segments", DAY, ["segments/segments-00000.parquet"], rows=3, schema=table.schema
        )
        assert rows == 3 and wh.count_rows("segments", DAY) == 3
        again = wh.replace_partition_from_stage(  # a re-run loads the same files again
            "segments", DAY, ["segments/segments-00000.parquet"], rows=3, schema=table.schema
        )
        assert again == 3 and wh.count_rows("segments", DAY) == 3
        with pytest.raises(SinkError, match="loaded 3 of 5 rows"):  # the COPY result is checked
            wh.replace_partition_from_stage(
                "segments", DAY, ["segments/segments-00000.parquet"], rows=5, schema=table.schema
            )
        assert wh.count_rows("segments", DAY) == 3
    finally:
        wh.close()


def test_duckdb_url_paths(tmp_path: Path) -> None:
    from gcexport.sinks.duckdb_warehouse import DuckDBWarehouse

    assert DuckDBWarehouse.from_url(f"duckdb://{tmp_path}/a.duckdb").path == f"{tmp_path}/a.duckdb"
    assert DuckDBWarehouse.from_url("duckdb://:memory:").path == ":memory:"


def test_an_unopenable_duckdb_file_is_an_unusable_destination(tmp_path: Path) -> None:
    (tmp_path / "not-a-folder").write_text("x")
    with pytest.raises(DestinationError, match="cannot open DuckDB"):
        open_warehouse(f"duckdb://{tmp_path}/not-a-folder/wh.duckdb")
