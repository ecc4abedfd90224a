"""Shared test helpers: run the real CLI in a subprocess with a clean environment."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

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
