"""The same report from Snowflake (fakesnow's server, the real connector): the SQL is portable."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from gcexport.kpi_report import build_report
from gcexport.sinks import open_warehouse

TABLES = [
    "conversation_aggregates",
    "queues",
    "users",
    "wrapup_codes",
    "gcexport_runs",
    "gcexport_partitions",
]


@pytest.fixture(scope="module")
def snowflake_url(demo: Any, fakesnow_server: dict[str, Any]) -> Iterator[str]:
    """The demo's tables copied into a fresh fakesnow schema."""
    import snowflake.connector

    kwargs = fakesnow_server
    with pytest.MonkeyPatch.context() as patch:
        schema = f"S_{secrets.token_hex(4).upper()}"
        conn = snowflake.connector.connect(**kwargs)
        try:
            conn.cursor().execute("CREATE DATABASE IF NOT EXISTS GCX")
            conn.cursor().execute(f"CREATE SCHEMA IF NOT EXISTS GCX.{schema}")
        finally:
            conn.close()
        patch.setenv("SNOWFLAKE_PASSWORD", "snow")
        url = (
            f"snowflake://fake@fakesnow/GCX/{schema}?warehouse=W&role=R"
            f"&host=127.0.0.1&port={kwargs['port']}&protocol=http"
        )
        _copy(demo.db_path, url)
        yield url


def _copy(db_path: Path, url: str) -> None:
    warehouse = open_warehouse(url)
    try:
        with duckdb.connect(str(db_path), read_only=True) as con:
            for table in TABLES:
                arrow = con.sql(f'select * from "{table}"').to_arrow_table()
                warehouse.replace_table(table, [arrow], arrow.schema)
    finally:
        warehouse.close()


def test_snowflake_report_equals_the_duckdb_report(
    demo: Any, snowflake_url: str, tmp_path: Path
) -> None:
    args: dict[str, Any] = {"start": None, "end": None, "queues": ["Billing", "Claims"]}
    duck = build_report(demo.warehouse_url, out=tmp_path / "d.html", custom_kpis=demo.kpis, **args)
    snow = build_report(snowflake_url, out=tmp_path / "s.html", custom_kpis=demo.kpis, **args)
    assert snow.headline.keys() == duck.headline.keys()
    for key, value in duck.headline.items():
        assert snow.headline[key] == pytest.approx(value, rel=1e-9), key
    html = snow.path.read_text(encoding="utf-8")
    assert html.count('class="mark') == duck.path.read_text(encoding="utf-8").count('class="mark')
    assert "✓ parity holds for all" in html
