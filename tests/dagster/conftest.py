"""Orgs for the Dagster tests: one emulator per org on 127.0.0.1, one config file per org.

Every org has its own client id, its own seeded data, its own output folder, DuckDB file and
state. The emulators and the exporter share one clock that starts at noon of `TEST_NOW`'s day
and runs at real speed (subprocesses get the same instant through `GCEXPORT_NOW`).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from gcexport.emulator import Emulator, EmulatorConfig, serve
from tests.conftest import TEST_NOW, TEST_NOW_OR_WALL
from tests.pipeline.test_export_e2e import _day, _expected

NOON = TEST_NOW.replace(hour=12, minute=0, second=0, microsecond=0)
DAYS = [NOON.date() - timedelta(days=n) for n in (3, 2, 1)]  # complete, final days
START_DATE = (NOON.date() - timedelta(days=10)).isoformat()  # the partitions' first day
DATASETS = ["conversation_details", "conversation_aggregates"]
DETAIL_TABLES = ("conversations", "participants", "sessions", "segments")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/dagster/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.dagster)
            if TEST_NOW_OR_WALL is not None and TEST_NOW.date() >= date.today():
                # Dagster knows which daily partitions exist from its own (wall) clock only
                item.add_marker(pytest.mark.skip(reason="GCEXPORT_TEST_NOW is not in the past"))


class RunningClock:
    """Real-speed time from `start`, shared by the emulators and an in-process exporter."""

    def __init__(self, start: datetime) -> None:
        self._start, self._t0 = start, time.monotonic()
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._start + timedelta(seconds=time.monotonic() - self._t0)

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


@dataclass
class Org:
    name: str
    emulator: Emulator
    base_url: str
    config: Path
    root: Path

    @property
    def db(self) -> Path:
        return self.root / "out" / "gcexport.duckdb"

    def truth(self, day: date) -> dict[str, int]:
        counts = _expected(self.emulator.truth.conversations(*_day(day)))
        return {t: counts[t] for t in DETAIL_TABLES}


def write_config(org: str, root: Path, base_url: str, **export: Any) -> Path:
    values = {"datasets": DATASETS, **export}
    lines = [
        "[genesys]",
        f'client_id = "{org}-client"',
        f'client_secret = "{org}-secret-7f3a"',
        f'api_url = "{base_url}"',
        f'login_url = "{base_url}"',
        "requests_per_minute = 6000",
        "[export]",
        f'out = "{root / "out"}"',
        f'state_dir = "{root / "state"}"',
        "workers = 2",
        *(f"{k} = {_toml(v)}" for k, v in values.items()),
        "[details]",
        "poll_seconds = 0.05",
    ]
    path = root / "gcexport.toml"
    root.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _toml(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(f'"{v}"' for v in value) + "]"
    return f'"{value}"'


@contextlib.contextmanager
def serve_orgs(
    tmp_path: Path, names: list[str], clock: RunningClock, *, per_day: int = 25
) -> Iterator[dict[str, Org]]:
    """One emulator per org on loopback, each with its own client, seed and data."""
    with contextlib.ExitStack() as stack:
        orgs = {}
        for seed, name in enumerate(names, start=5):
            config = EmulatorConfig(
                seed=seed, conversations_per_day=per_day, rate_limit=0,
                client_id=f"{name}-client", client_secret=f"{name}-secret-7f3a",
                job_queued_seconds=0.05, job_pending_seconds=0.05, export_running_seconds=0.05,
            )  # fmt: skip
            emulator = Emulator(config, clock=clock)
            server = stack.enter_context(serve(emulator, host="127.0.0.1", port=0))
            root = tmp_path / name
            orgs[name] = Org(
                name, emulator, server.base_url, write_config(name, root, server.base_url), root
            )
        yield orgs


@pytest.fixture
def clock() -> RunningClock:
    return RunningClock(NOON)


@pytest.fixture
def no_genesys_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Nothing of the developer's environment or `.env` reaches the orgs' settings."""
    import os

    for name in list(os.environ):
        if name.startswith(("GENESYS_", "GCEXPORT_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
