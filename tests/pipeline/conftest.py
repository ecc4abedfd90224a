"""A served emulator whose clock the tests can move, and a runner for `gcexport export`."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from gcexport.emulator import Emulator, EmulatorConfig, serve
from tests.conftest import TEST_NOW, CliResult, clean_env, run_cli


class OffsetClock:
    """Time that starts at `start` and runs at real speed; `advance` jumps it forward."""

    def __init__(self, start: datetime) -> None:
        self._start, self._t0 = start, time.monotonic()
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._start + timedelta(seconds=time.monotonic() - self._t0)

    def monotonic(self) -> float:
        return time.monotonic()

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            self._start += delta


@dataclass
class Served:
    emulator: Emulator
    clock: OffsetClock
    base_url: str
    secret: str = "s3cr3t-PIPELINE-test-9f2c"

    def env(self, **extra: str) -> dict[str, str]:
        values = {
            "GENESYS_API_URL": self.base_url,
            "GENESYS_LOGIN_URL": self.base_url,
            "GENESYS_CLIENT_ID": "pipeline-client",
            "GENESYS_CLIENT_SECRET": self.secret,
        }
        return clean_env(**{**values, **extra})


@pytest.fixture
def served(request: pytest.FixtureRequest) -> Iterator[Served]:
    """An emulator whose now is yesterday noon (UTC), served on loopback (fresh for each test).

    Noon keeps the jobs watermark (now - 6 h) past the end of every earlier day, whatever the hour.
    Parametrize it indirectly with a tuple of emulator modes to switch "may" behaviours on.
    """
    today = TEST_NOW.replace(hour=12, minute=0, second=0, microsecond=0)
    clock = OffsetClock(today - timedelta(days=1))
    config = EmulatorConfig(
        seed=11,
        conversations_per_day=150,
        rate_limit=0,
        client_id="pipeline-client",
        client_secret="s3cr3t-PIPELINE-test-9f2c",
        availability_lag=timedelta(hours=6),
        job_queued_seconds=0.1,
        job_pending_seconds=0.1,
        export_running_seconds=0.1,
        modes=tuple(getattr(request, "param", ())),
    )
    emulator = Emulator(config, clock=clock)
    with serve(emulator, host="127.0.0.1", port=0) as server:
        yield Served(emulator, clock, server.base_url)


def export(served: Served, workdir: Path, *args: str) -> CliResult:
    common = [
        "export",
        "--out",
        str(workdir / "out"),
        "--state-dir",
        str(workdir / "state"),
        "--requests-per-minute",
        "6000",
        "--quiet",
    ]
    return run_cli([*common, *args], cwd=workdir, env=served.env(), timeout=240)
