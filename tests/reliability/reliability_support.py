"""Helpers of the reliability suite: emulator settings, reading back what an export published, the truth, the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq

from gcexport.config import Settings
from gcexport.datasets.settings import load_settings
from gcexport.emulator import Emulator
from tests.conftest import clock_env

CLIENT_ID = "emulator-client"
CLIENT_SECRET = "emulator-secret"
FIRST_DAY = datetime(2026, 3, 2, tzinfo=timezone.utc)


def days_of(start: datetime, count: int) -> list[datetime]:
    return [start + timedelta(days=i) for i in range(count)]


def export_settings(out: Path, *, api_url: str, **sections: dict[str, Any]) -> Settings:
    """Details-only settings into `out` (DuckDB beside the files), against `api_url`."""
    overrides: dict[str, Any] = {
        "export": {
            "datasets": ["conversation_details"],
            "out": str(out),
            "state_dir": str(out / ".state"),
        },
        "details": {"poll_seconds": 0.5},
    }
    for name, values in sections.items():
        overrides[name] = {**overrides.get(name, {}), **values}
    return load_settings(
        env={
            "GENESYS_CLIENT_ID": CLIENT_ID,
            "GENESYS_CLIENT_SECRET": CLIENT_SECRET,
            "GENESYS_API_URL": api_url,
            "GENESYS_LOGIN_URL": api_url,
        },
        dotenv_path=None,
        overrides=overrides,
    )


def truth_ids(emu: Emulator, days: list[datetime]) -> dict[str, set[str]]:
    """Conversation ids per UTC day (ISO date) as the emulator holds them."""
    return {
        day.date().isoformat(): {
            c["conversationId"] for c in emu.truth.conversations(day, day + timedelta(days=1))
        }
        for day in days
    }


def published_ids(out: Path, table: str = "conversations") -> dict[str, list[str]]:
    """Conversation ids per published partition (ISO date), read from every data file in it."""
    found: dict[str, list[str]] = {}
    for folder in sorted((out / table).glob("date=*")):
        ids: list[str] = []
        for path in sorted(folder.iterdir()):
            if path.name.startswith(("_", ".")):
                continue
            ids += pq.read_table(path, columns=["conversation_id"]).column(0).to_pylist()
        found[folder.name.removeprefix("date=")] = ids
    return found


def warehouse_ids(db: Path) -> dict[str, list[str]]:
    """Conversation ids per partition date in the DuckDB warehouse (empty when there is none)."""
    if not db.exists():
        return {}
    with duckdb.connect(str(db), read_only=True) as con:
        tables = {row[0] for row in con.execute("show tables").fetchall()}
        if "conversations" not in tables:
            return {}
        rows = con.execute(
            "select cast(partition_date as varchar), conversation_id from conversations"
        ).fetchall()
    found: dict[str, list[str]] = {}
    for day, conversation_id in rows:
        found.setdefault(day, []).append(conversation_id)
    return found


def duplicates(ids: list[str]) -> list[str]:
    return sorted(i for i, n in Counter(ids).items() if n > 1)


def assert_exact(found: dict[str, list[str]], truth: dict[str, set[str]], where: str) -> None:
    """Every day present, holding exactly the true conversations, each once."""
    assert sorted(found) == sorted(truth), f"{where}: partitions {sorted(found)} != {sorted(truth)}"
    for day, ids in found.items():
        assert not duplicates(ids), f"{where} {day}: duplicate ids {duplicates(ids)[:3]}"
        assert set(ids) == truth[day], (
            f"{where} {day}: {len(set(ids) - truth[day])} extra, {len(truth[day] - set(ids))} missing"
        )


def assert_whole(found: dict[str, list[str]], truth: dict[str, set[str]], where: str) -> None:
    """Every partition that exists is complete (no partial day, no duplicates); some may be absent."""
    for day, ids in found.items():
        assert day in truth, f"{where}: unexpected partition {day}"
        assert not duplicates(ids), f"{where} {day}: duplicate ids {duplicates(ids)[:3]}"
        assert set(ids) == truth[day], (
            f"{where} {day} is torn: {len(ids)} rows, {len(truth[day])} expected"
        )


def cli_env(api_url: str, **extra: str) -> dict[str, str]:
    """A clean environment for `gcexport` subprocesses pointed at `api_url`."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GENESYS_", "AWS_", "SNOWFLAKE_", "GCEXPORT_"))
    }
    env.update(clock_env())
    env.update(
        GENESYS_CLIENT_ID=CLIENT_ID,
        GENESYS_CLIENT_SECRET=CLIENT_SECRET,
        GENESYS_API_URL=api_url,
        GENESYS_LOGIN_URL=api_url,
    )
    env.update(extra)
    return env


@dataclass
class Cli:
    code: int
    stdout: str
    stderr: str


def gcexport(args: list[str], *, cwd: Path, env: dict[str, str], timeout: float = 120) -> Cli:
    proc = subprocess.run(
        [sys.executable, "-m", "gcexport", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    return Cli(proc.returncode, proc.stdout, proc.stderr)
