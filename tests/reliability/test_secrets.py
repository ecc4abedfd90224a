"""Secrets: after runs with a distinctive client secret and Snowflake password, no log, audit record, manifest or output holds them.

The Snowflake warehouse is fakesnow's server on 127.0.0.1, spoken to by the real connector from the
`gcexport export` subprocess; Genesys is the emulator served over loopback HTTP.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from reliability_support import CLIENT_ID, FIRST_DAY, cli_env, gcexport

from gcexport.emulator import Emulator, EmulatorConfig, EmulatorServer

CLIENT_SECRET = "gcx-quokka-Secret-5e1f9a77"
SNOWFLAKE_PASSWORD = "gcx-wombat-Password-c03b2d18"
FORMS = {
    "client secret": CLIENT_SECRET,
    "Snowflake password": SNOWFLAKE_PASSWORD,
    "Basic credentials": base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode(),
}


@pytest.fixture(scope="module")
def snowflake(fakesnow_server: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """fakesnow's server on 127.0.0.1 with a database and schema for the export."""
    import snowflake.connector

    kwargs = fakesnow_server
    conn = snowflake.connector.connect(**kwargs)
    try:
        conn.cursor().execute("CREATE DATABASE IF NOT EXISTS GCX")
        conn.cursor().execute("CREATE SCHEMA IF NOT EXISTS GCX.SECRETS")
    finally:
        conn.close()
    yield kwargs


def _warehouse_url(server: dict[str, Any]) -> str:
    return (
        "snowflake://fake@fakesnow/GCX/SECRETS?warehouse=W&role=R"
        f"&host=127.0.0.1&port={server['port']}&protocol=http"
    )


def _args(out: Path, warehouse: str) -> list[str]:
    return [
        "export", "--dataset", "conversation_details", "--dataset", "lookups",
        "--start", FIRST_DAY.date().isoformat(),
        "--end", (FIRST_DAY + timedelta(days=2)).date().isoformat(),
        "--out", str(out), "--state-dir", str(out / ".state"), "--warehouse", warehouse,
        "--json",
    ]  # fmt: skip


def _leaks(root: Path, texts: dict[str, str]) -> list[str]:
    """Every (file, form) where a secret appears, scanning raw bytes of every file under `root`."""
    found = []
    for folder, _, files in os.walk(root):
        for name in files:
            data = (Path(folder) / name).read_bytes()
            found += [f"{Path(folder) / name}: {form}" for form, value in FORMS.items()
                      if value.encode() in data]  # fmt: skip
    found += [f"{where}: {form}" for where, text in texts.items()
              for form, value in FORMS.items() if value in text]  # fmt: skip
    return found


def _emulator(secret: str) -> Emulator:
    return Emulator(
        EmulatorConfig(
            seed=31, conversations_per_day=150, rate_limit=0, client_secret=secret,
            now=FIRST_DAY + timedelta(days=3, hours=12),
            job_queued_seconds=0.1, job_pending_seconds=0.1,
        )
    )  # fmt: skip


def _env(server: EmulatorServer) -> dict[str, str]:
    return cli_env(
        server.base_url,
        GENESYS_CLIENT_SECRET=CLIENT_SECRET,
        SNOWFLAKE_PASSWORD=SNOWFLAKE_PASSWORD,
    )


def test_successful_run_writes_no_secret_anywhere(
    tmp_path: Path, served: Any, snowflake: dict[str, Any]
) -> None:
    server = served(_emulator(CLIENT_SECRET))
    out = tmp_path / "out"
    result = gcexport(_args(out, _warehouse_url(snowflake)), cwd=tmp_path, env=_env(server))
    assert result.code == 0, result.stderr[-800:]
    assert '"parity_ok": true' in result.stdout
    audit = out / ".state" / "audit.jsonl"
    assert audit.stat().st_size > 0, "no audit log was written: the scan would prove nothing"
    assert list((out / "_manifests").iterdir()), "no run manifest was written"
    assert list(out.glob("conversations/date=*/*.parquet")), "no data files were written"
    assert _leaks(tmp_path, {"stdout": result.stdout, "stderr": result.stderr}) == []
    assert _warehouse_leaks(snowflake) == []


def _warehouse_leaks(server: dict[str, Any]) -> list[str]:
    """Secrets found in any row of any table the export loaded into Snowflake (run history too)."""
    import snowflake.connector

    conn = snowflake.connector.connect(**server, database="GCX", schema="SECRETS")
    try:
        cursor = conn.cursor()
        tables = [row[1] for row in cursor.execute("SHOW TABLES IN SCHEMA GCX.SECRETS").fetchall()]
        assert "CONVERSATIONS" in {t.upper() for t in tables}, f"nothing loaded: {tables}"
        found = []
        for table in tables:
            text = repr(cursor.execute(f'SELECT * FROM "{table}"').fetchall())
            found += [f"{table}: {form}" for form, value in FORMS.items() if value in text]
        return found
    finally:
        conn.close()


def test_the_scan_finds_a_planted_secret(tmp_path: Path) -> None:
    (tmp_path / "deep" / "er").mkdir(parents=True)
    (tmp_path / "deep" / "er" / "log.bin").write_bytes(b"\x00prefix" + SNOWFLAKE_PASSWORD.encode())
    assert _leaks(tmp_path, {"stderr": f"oops {CLIENT_SECRET}"}) == [
        f"{tmp_path / 'deep' / 'er' / 'log.bin'}: Snowflake password",
        "stderr: client secret",
    ]


def test_failed_authentication_names_no_secret(
    tmp_path: Path, served: Any, snowflake: dict[str, Any]
) -> None:
    server = served(_emulator("a-different-secret"))  # the emulator refuses our secret
    out = tmp_path / "out"
    result = gcexport(_args(out, _warehouse_url(snowflake)), cwd=tmp_path, env=_env(server))
    assert result.code == 1, result.stderr[-800:]
    assert "Traceback" not in result.stderr
    assert _leaks(tmp_path, {"stdout": result.stdout, "stderr": result.stderr}) == []
