"""Where retrying cannot help — connection refused, unknown host, TLS failure — the client stops at
once, with one sentence naming the host (issue #20: these were retried like 5xx for 85-105 s)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from pydantic import SecretStr

from gcexport.client import GenesysClient, RequestRecord
from gcexport.clock import FakeClock
from gcexport.errors import UnreachableError
from tests.conftest import clean_env, run_cli


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def plain_http() -> Iterator[int]:
    """A plain-HTTP server: an https:// client fails its TLS handshake against it."""
    server = HTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield int(server.server_address[1])
    server.shutdown()
    server.server_close()


def _client(url: str, clock: FakeClock, records: list[RequestRecord]) -> GenesysClient:
    return GenesysClient(
        api_url=url,
        login_url=url,
        client_id="id",
        client_secret=SecretStr("secret"),
        clock=clock,
        on_request=records.append,
        timeout=5,
    )


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1:{closed}", "connection refused"),
        ("http://no-such-host.invalid", "unknown host (DNS lookup failed)"),
        ("https://127.0.0.1:{plain}", "TLS failed"),
    ],
)
def test_unreachable_hosts_fail_at_once_naming_the_host(
    clock: FakeClock, plain_http: int, url: str, reason: str
) -> None:
    url = url.format(closed=_closed_port(), plain=plain_http)
    records: list[RequestRecord] = []
    client = _client(url, clock, records)
    started = time.monotonic()
    with pytest.raises(UnreachableError) as info:
        client.request("GET", "/api/v2/routing/queues", items_key="entities")
    client.close()
    assert time.monotonic() - started < 5
    assert clock.monotonic() == 0.0  # no retry waited on the clock
    host = url.split("://")[1]
    assert str(info.value).startswith(f"Cannot reach {host}: {reason}")
    assert info.value.exit_code == 1
    assert [r.attempt for r in records] == [1]  # one attempt, no retry


def test_export_and_check_against_a_refused_port_stop_in_seconds(tmp_path) -> None:  # type: ignore[no-untyped-def]
    port = _closed_port()
    env = clean_env(
        GENESYS_API_URL=f"http://127.0.0.1:{port}",
        GENESYS_LOGIN_URL=f"http://127.0.0.1:{port}",
        GENESYS_CLIENT_ID="id",
        GENESYS_CLIENT_SECRET="secret",
    )
    started = time.monotonic()
    result = run_cli(
        ["export", "--quiet", "--out", str(tmp_path / "out"), "--state-dir", str(tmp_path / "s")],
        cwd=tmp_path,
        env=env,
        timeout=60,
    )
    assert time.monotonic() - started < 30  # interpreter start-up included; was 85-105 s
    assert result.code == 1, result.stderr
    assert f"Cannot reach 127.0.0.1:{port}: connection refused" in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
