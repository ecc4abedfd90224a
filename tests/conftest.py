"""Shared test helpers: the suite's "now", and the real CLI in a subprocess with a clean environment.

Every test that depends on "now" takes it from `TEST_NOW` (in-process clocks) or gets it through
`GCEXPORT_NOW` (subprocesses, set by `clean_env`), so the suite gives the same result on any date.
`GCEXPORT_TEST_NOW=2028-02-29T00:00:30Z make test` runs the whole suite at another instant
(`GCEXPORT_TEST_NOW=wall` on the real clock).
"""

from __future__ import annotations

import contextlib
import importlib
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from gcexport.timespan import parse_timestamp

DEFAULT_TEST_NOW = datetime(2026, 6, 10, 9, 41, 27, tzinfo=timezone.utc)


def _test_now() -> datetime | None:
    text = os.environ.get("GCEXPORT_TEST_NOW", "").strip()
    if text == "wall":
        return None
    moment = parse_timestamp(text) if text else DEFAULT_TEST_NOW
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


TEST_NOW_OR_WALL = _test_now()
# The instant the suite runs at: fixed by default, `GCEXPORT_TEST_NOW` to choose another.
TEST_NOW = TEST_NOW_OR_WALL or datetime.now(timezone.utc)


def clock_env() -> dict[str, str]:
    """The variables that start a subprocess's clock at `TEST_NOW` (none on the wall clock)."""
    if TEST_NOW_OR_WALL is None:
        return {}
    return {"GCEXPORT_NOW": TEST_NOW.isoformat()}


# The real API samples the tests use, with where each came from (fixtures/genesys/SOURCES.md).
SAMPLES = Path(__file__).resolve().parent / "fixtures" / "genesys"


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str


def clean_env(**extra: str) -> dict[str, str]:
    """The current environment minus every Genesys/AWS/Snowflake variable, plus `extra`.

    The subprocess's clock starts at `TEST_NOW`.
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GENESYS_", "AWS_", "SNOWFLAKE_", "GCEXPORT_"))
    }
    env.update(clock_env())
    env.update(extra)
    return env


def emulator_settings(tmp_path: Path, datasets: list[str]) -> Any:
    """Settings for an in-process export against the emulator's transport (`Emulator.transport()`):
    its client, made-up hosts, files and state under `tmp_path`, quick job polls."""
    from gcexport import load_settings

    return load_settings(
        env={
            "GENESYS_CLIENT_ID": "emulator-client",
            "GENESYS_CLIENT_SECRET": "emulator-secret",
            "GENESYS_API_URL": "https://api.emulator.invalid",
            "GENESYS_LOGIN_URL": "https://login.emulator.invalid",
        },
        dotenv_path=None,
        overrides={
            "export": {
                "out": str(tmp_path / "out"),
                "state_dir": str(tmp_path / "state"),
                "datasets": datasets,
            },
            "details": {"poll_seconds": 0.01},
        },
    )


def run_cli(
    args: list[str], *, cwd: Path, env: dict[str, str] | None = None, timeout: float = 300
) -> CliResult:
    proc = subprocess.run(
        [sys.executable, "-m", "gcexport", *args],
        cwd=cwd,
        env=env if env is not None else clean_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def cli(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Run `gcexport ARGS` in an empty temporary working directory."""

    def _run(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> CliResult:
        return run_cli(list(args), cwd=tmp_path, env=env, timeout=timeout)

    return _run


@contextlib.contextmanager
def start_fakesnow() -> Iterator[dict[str, Any]]:
    """fakesnow's Snowflake server (uvicorn in a thread) on 127.0.0.1; yields connector kwargs.

    `fakesnow.server()` can run only once per process: it imports the submodule
    `fakesnow.server`, which then shadows the function on the package. This starts the same app
    without that trap.
    """
    import uvicorn

    app = importlib.import_module("fakesnow.server").app
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="fakesnow", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while thread.is_alive() and not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    if not server.started:
        raise RuntimeError("fakesnow's server did not start")
    try:
        yield {
            "user": "fake",
            "password": "snow",
            "account": "fakesnow",
            "host": "127.0.0.1",
            "port": port,
            "protocol": "http",
            "session_parameters": {"CLIENT_OUT_OF_BAND_TELEMETRY_ENABLED": False},
        }
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def fakesnow_server() -> Iterator[dict[str, Any]]:
    """One fakesnow server per test session (per xdist worker)."""
    with start_fakesnow() as kwargs:
        yield kwargs
