"""Secrets: after runs with a distinctive client secret and Snowflake password, no log, audit record, manifest or output holds them.

Also in any quoted or escaped form: a login server that echoes the secret back, a secret holding
`"` and `\\`, the webhook's body, and a warehouse URL carrying its password.

The Snowflake warehouse is fakesnow's server on 127.0.0.1, spoken to by the real connector from the
`gcexport export` subprocess; Genesys is the emulator served over loopback HTTP.
"""

from __future__ import annotations

import base64
import json
import os
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote

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


# Echo and escaping (#14): a login server that quotes the secret back, a secret holding `"` and
# `\` (JSON escapes it, so a redaction after encoding misses it), a webhook that receives the
# summary, and a warehouse URL that carries its password.
HOSTILE_SECRET = 'gcx-"koala"\\Secret-4d2a'
URL_PASSWORD = "gcx-numbat-Url-77e0"


def _escaped_forms(secret: str) -> dict[str, str]:
    return {
        "raw": secret,
        "JSON-escaped": json.dumps(secret)[1:-1],
        "JSON in JSON": json.dumps(json.dumps(secret)[1:-1])[1:-1],
        "URL-encoded": quote(secret, safe=""),
    }


def _leaks_of(secret: str, root: Path, texts: dict[str, str]) -> list[str]:
    forms = _escaped_forms(secret)
    found = [f"{path}: {form}" for path in sorted(root.rglob("*")) if path.is_file()
             for form, value in forms.items() if value.encode() in path.read_bytes()]  # fmt: skip
    found += [f"{where}: {form}" for where, text in texts.items()
              for form, value in forms.items() if value in text]  # fmt: skip
    return found


class _Echo(BaseHTTPRequestHandler):
    """A login server that quotes the client secret in its refusal; also a webhook receiver."""

    bodies: ClassVar[list[bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path != "/oauth/token":
            type(self).bodies.append(body)
            self._answer(200, b"{}")
            return
        pair = base64.b64decode(self.headers["Authorization"].split()[1]).decode()
        secret = pair.split(":", 1)[1]
        refusal = {"error": "invalid_client", "description": f"client secret {secret!r} is wrong"}
        self._answer(401, json.dumps(refusal).encode())

    def _answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture
def echo_server() -> Iterator[str]:
    _Echo.bodies.clear()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_login_error_quoting_a_hostile_secret_leaks_nowhere(
    tmp_path: Path, echo_server: str
) -> None:
    out = tmp_path / "out"
    args = [
        "export", "--dataset", "lookups", "--out", str(out), "--state-dir", str(tmp_path / "st"),
        "--set", f'webhook.url="{echo_server}/hook"', "--set", "webhook.attempts=1", "--json",
    ]  # fmt: skip
    env = cli_env(echo_server, GENESYS_CLIENT_SECRET=HOSTILE_SECRET)
    result = gcexport(args, cwd=tmp_path, env=env)
    assert result.code == 1, result.stderr[-800:]
    assert "is wrong" in result.stderr and "***" in result.stderr  # the echo arrived, masked
    audit = (tmp_path / "st" / "audit.jsonl").read_text(encoding="utf-8")
    assert "is wrong" in audit, "the refusal never reached the audit log: the scan proves nothing"
    assert len(_Echo.bodies) == 1 and b"is wrong" in _Echo.bodies[0]
    webhook = {"webhook body": _Echo.bodies[0].decode()}
    texts = {"stdout": result.stdout, "stderr": result.stderr, **webhook}
    assert _leaks_of(HOSTILE_SECRET, tmp_path, texts) == []


def test_a_hostile_secret_leaks_nowhere_after_a_successful_run(tmp_path: Path, served: Any) -> None:
    server = served(_emulator(HOSTILE_SECRET))
    out = tmp_path / "out"
    args = [
        "export", "--dataset", "conversation_details", "--dataset", "lookups",
        "--start", FIRST_DAY.date().isoformat(),
        "--end", (FIRST_DAY + timedelta(days=1)).date().isoformat(),
        "--out", str(out), "--state-dir", str(out / ".state"), "--json",
    ]  # fmt: skip
    env = cli_env(server.base_url, GENESYS_CLIENT_SECRET=HOSTILE_SECRET)
    result = gcexport(args, cwd=tmp_path, env=env)
    assert result.code == 0, result.stderr[-800:]
    assert (out / "gcexport.duckdb").stat().st_size > 0 and list((out / "_manifests").iterdir())
    texts = {"stdout": result.stdout, "stderr": result.stderr}
    assert _leaks_of(HOSTILE_SECRET, tmp_path, texts) == []


def test_an_unsupported_warehouse_url_does_not_print_its_password(tmp_path: Path) -> None:
    warehouse = f"postgres://loader:{URL_PASSWORD}@db.example/analytics"
    args = ["export", "--warehouse", warehouse, "--start", "2026-03-01", "--end", "2026-03-02"]
    result = gcexport(args, cwd=tmp_path, env=cli_env("http://127.0.0.1:9"))
    assert result.code == 2 and "postgres://loader:***@db.example" in result.stderr
    assert _leaks_of(URL_PASSWORD, tmp_path, {"stderr": result.stderr}) == []


def test_the_escaped_scan_finds_a_planted_escaped_secret(tmp_path: Path) -> None:
    (tmp_path / "audit.jsonl").write_text(json.dumps({"error": HOSTILE_SECRET}))
    assert _leaks_of(HOSTILE_SECRET, tmp_path, {}) == [f"{tmp_path / 'audit.jsonl'}: JSON-escaped"]
