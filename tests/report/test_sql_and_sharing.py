"""`gcexport sql` reads the warehouse read-only; `gcexport report --presign` shares the report on S3."""

from __future__ import annotations

import csv
import io
import json
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import clean_env

Demo = Any  # the `demo` fixture of conftest.py
COUNT = (
    "select media_type, count(*) as n from conversation_aggregates "
    "where media_type is not null group by 1 order by 1"
)


def test_sql_prints_an_aligned_table(demo: Demo, cli: Any) -> None:
    expected = demo.sql(COUNT)
    result = cli("sql", "--warehouse", demo.warehouse_url, COUNT)
    assert (result.code, result.stderr) == (0, "")
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["media_type", "n"] and set(lines[1]) <= {"-", " "}
    assert [line.split() for line in lines[2:-1]] == [[m, str(n)] for m, n in expected]
    assert lines[-1] == f"({len(expected)} rows)"


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_sql_prints_csv_and_json(demo: Demo, cli: Any, fmt: str) -> None:
    expected = [{"media_type": m, "n": n} for m, n in demo.sql(COUNT)]
    result = cli("sql", "--warehouse", demo.warehouse_url, "--format", fmt, COUNT)
    assert (result.code, result.stderr) == (0, "")
    if fmt == "json":
        assert json.loads(result.stdout) == expected
    else:
        rows = list(csv.DictReader(io.StringIO(result.stdout)))
        assert rows == [{"media_type": e["media_type"], "n": str(e["n"])} for e in expected]


def test_sql_one_statement_may_end_in_a_semicolon_and_hold_one_in_a_string(
    demo: Demo, cli: Any
) -> None:
    result = cli("sql", "--warehouse", demo.warehouse_url, "--format", "csv", "select 'a;b' as x;")
    assert (result.code, result.stdout, result.stderr) == (0, "x\na;b\n", "")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["create table x (a int)"], "read-only"),
        (["select nonsense from nowhere"], "the query failed on"),
        (["select 1; select 2"], "runs one SQL statement at a time and was given 2;"),
        (["create table y (a int); select 1"], "runs one SQL statement at a time and was given 2;"),
        ([""], "needs one SQL statement and was given none"),
        ([" ; -- nothing"], "needs one SQL statement and was given none"),
        (["--format", "xml", "select 1"], "unknown --format 'xml'"),
        (["--warehouse", "duckdb:///no/such/x.duckdb", "select 1"], "does not exist"),
        (["--warehouse", "snowflake://u@a/D/S", "select 1"], "reads DuckDB warehouses"),
    ],
)
def test_sql_bad_input_is_one_line_and_exit_2(
    demo: Demo, cli: Any, args: list[str], message: str
) -> None:
    if "--warehouse" not in args:
        args = ["--warehouse", demo.warehouse_url, *args]
    before = demo.sql("select count(*) from information_schema.tables")
    result = cli("sql", *args)
    assert (result.code, result.stdout) == (2, "")
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("gcexport: error: ")
    assert message in result.stderr
    assert demo.sql("select count(*) from information_schema.tables") == before


@pytest.fixture(scope="module")
def moto() -> Iterator[str]:
    """moto's S3 server on 127.0.0.1 (boto3 reaches it through AWS_ENDPOINT_URL)."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def _aws(endpoint: str) -> dict[str, str]:
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }


def test_report_presign_uploads_and_prints_a_working_link(
    demo: Demo, cli: Any, moto: str, tmp_path: Path
) -> None:
    import boto3

    bucket = f"gcx-{secrets.token_hex(4)}"
    aws = _aws(moto)
    s3 = boto3.client("s3", **{"endpoint_url": moto, "region_name": "us-east-1"},
                      aws_access_key_id="testing", aws_secret_access_key="testing")  # fmt: skip
    s3.create_bucket(Bucket=bucket)
    (tmp_path / "c.toml").write_text(f'[export]\nout = "s3://{bucket}/exports"\n')
    out = tmp_path / "k.html"
    result = cli(
        "report", "--config", "c.toml", "--warehouse", demo.warehouse_url, "--out", str(out),
        "--presign", "24h", env=clean_env(**aws),
    )  # fmt: skip
    assert (result.code, result.stderr) == (0, "")
    path, link = result.stdout.splitlines()
    assert path == str(out) and "X-Amz-Expires=86400" in link
    assert httpx.get(link, timeout=10).content == out.read_bytes()
    head = s3.head_object(Bucket=bucket, Key="exports/_reports/k.html")
    assert head["ServerSideEncryption"] == "AES256" and head["ContentType"].startswith("text/html")


@pytest.mark.parametrize(
    ("presign", "out", "message"),
    [
        ("8d", "s3://bucket/exports", "must be between 1 second and 7 days"),
        ("24h", "./local-folder", "--presign needs an s3:// output"),
        ("soon", "s3://bucket/exports", "is not a duration"),
    ],
)
def test_report_presign_bad_input_writes_nothing(
    demo: Demo, cli: Any, tmp_path: Path, presign: str, out: str, message: str
) -> None:
    (tmp_path / "c.toml").write_text(f'[export]\nout = "{out}"\n')
    result = cli(
        "report", "--config", "c.toml", "--warehouse", demo.warehouse_url, "--presign", presign,
        env=clean_env(**_aws("http://127.0.0.1:9")),
    )  # fmt: skip
    assert (result.code, result.stdout) == (2, "")
    assert result.stderr.count("\n") == 1 and message in result.stderr
    assert sorted(os.listdir(tmp_path)) == ["c.toml"]
