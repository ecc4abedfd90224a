"""Shared test helpers: run the real CLI in a subprocess with a clean environment."""

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
from pathlib import Path
from typing import Any

import pytest

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "genesys-api" / "samples"
if not SAMPLES.is_dir():  # a clone placed elsewhere: look beside the repository's parent too
    SAMPLES = Path(__file__).resolve().parents[1].parent / "shared" / "genesys-api" / "samples"


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str


def clean_env(**extra: str) -> dict[str, str]:
    """The current environment minus every Genesys/AWS/Snowflake variable, plus `extra`."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GENESYS_", "AWS_", "SNOWFLAKE_", "GCEXPORT_"))
    }
    env.update(extra)
    return env


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
