"""Shared test helpers: run the real CLI in a subprocess with a clean environment."""

from __future__ import annotations

import os
import subprocess
import sys
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


@pytest.fixture(scope="session")
def fakesnow_server() -> Iterator[dict[str, Any]]:
    """fakesnow's Snowflake server on 127.0.0.1 for the whole session (one per xdist worker).

    One server only: `fakesnow.server()` imports the submodule `fakesnow.server`, which then
    shadows the function on the package, so a second call in the same process would fail.
    """
    import fakesnow

    with fakesnow.server(host="127.0.0.1") as kwargs:
        yield kwargs
