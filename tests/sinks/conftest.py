"""Fixtures for the sink contract suite: moto's S3 server, fakesnow's server, and the sink targets."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gcexport.sinks import Warehouse, open_file_sink, open_warehouse
from tests.sinks.sink_targets import FileTarget, WarehouseTarget


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """moto's S3 server on 127.0.0.1 for the session."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_endpoint(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The standard AWS variables point boto3 at moto, for this test only."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return moto_endpoint


@pytest.fixture
def s3_bucket(s3_endpoint: str) -> str:
    import boto3

    name = f"gcx-{secrets.token_hex(4)}"
    boto3.client("s3").create_bucket(Bucket=name)
    return name


@pytest.fixture
def snowflake_url(fakesnow_server: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh schema on fakesnow, as a snowflake:// URL (password via SNOWFLAKE_PASSWORD)."""
    import snowflake.connector

    schema = f"S_{secrets.token_hex(4).upper()}"
    conn = snowflake.connector.connect(**fakesnow_server)
    try:
        conn.cursor().execute("CREATE DATABASE IF NOT EXISTS GCX")
        conn.cursor().execute(f"CREATE SCHEMA IF NOT EXISTS GCX.{schema}")
    finally:
        conn.close()
    monkeypatch.setenv("SNOWFLAKE_PASSWORD", "snow")
    port = fakesnow_server["port"]
    return (
        f"snowflake://fake@fakesnow/GCX/{schema}?warehouse=W&role=R"
        f"&host=127.0.0.1&port={port}&protocol=http"
    )


SINKS = ["local", "local-csv", "local-jsonl", "s3", "duckdb", "snowflake"]


@pytest.fixture(params=SINKS)
def target(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[FileTarget | WarehouseTarget]:
    kind = request.param
    if kind.startswith("local"):
        fmt = kind.partition("-")[2] or "parquet"
        yield FileTarget(kind, open_file_sink(tmp_path / "out", fmt=fmt))
    elif kind == "s3":
        bucket = request.getfixturevalue("s3_bucket")
        yield FileTarget(kind, open_file_sink(f"s3://{bucket}/exports"))
    else:
        url = (
            f"duckdb://{tmp_path}/wh.duckdb"
            if kind == "duckdb"
            else request.getfixturevalue("snowflake_url")
        )
        wh = open_warehouse(url)
        try:
            yield WarehouseTarget(kind, wh)
        finally:
            wh.close()


@pytest.fixture(params=["duckdb", "snowflake"])
def warehouse(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Warehouse]:
    """Each warehouse, fresh (a new DuckDB file, a new fakesnow schema)."""
    url = (
        f"duckdb://{tmp_path}/wh.duckdb"
        if request.param == "duckdb"
        else request.getfixturevalue("snowflake_url")
    )
    wh = open_warehouse(url)
    try:
        yield wh
    finally:
        wh.close()
