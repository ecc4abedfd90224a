"""`GCEXPORT_NOW` starts a process's real clock at a chosen instant; a bad value is bad input."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from tests.conftest import clean_env

PRINT_NOW = "from gcexport.clock import SystemClock; print(SystemClock().now().isoformat())"


def _now_in_subprocess(value: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", PRINT_NOW],
        env=clean_env(GCEXPORT_NOW=value),
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("value", ["2027-03-31T23:59:00Z", "2028-02-29T00:00:30+00:00"])
def test_the_clock_starts_at_gcexport_now(value: str) -> None:
    done = _now_in_subprocess(value)
    assert done.returncode == 0, done.stderr
    start = datetime.fromisoformat(value.replace("Z", "+00:00"))
    elapsed = (datetime.fromisoformat(done.stdout.strip()) - start).total_seconds()
    assert 0 <= elapsed < 30  # real speed from there on


def test_a_bad_gcexport_now_is_one_sentence_and_exit_2(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "gcexport", "demo", "--days", "1"],
        env=clean_env(GCEXPORT_NOW="tomorrow"),
        capture_output=True,
        text=True,
        timeout=60,
        cwd=str(tmp_path),
    )
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "gcexport: error: GCEXPORT_NOW='tomorrow' is not a timestamp with a zone, "
        "such as 2027-03-31T23:59:00Z"
    )
    assert list(tmp_path.iterdir()) == []
