"""Bad input corpus: every case exits 2 with exactly one line on stderr, no traceback, and nothing written.

Each case runs the real CLI in a subprocess in an empty working directory (the default output and
state locations live there), with credentials pointing at a closed loopback port, so a case that
slips past validation fails differently (exit 1) instead of passing by accident.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from reliability_support import cli_env, gcexport

CLOSED = "http://127.0.0.1:9"  # the discard port: nothing listens there
WINDOW = ["--start", "2026-03-01", "--end", "2026-03-02"]


@dataclass(frozen=True)
class Case:
    """One bad input: CLI arguments, files to create first, environment changes."""

    args: list[str]
    files: dict[str, str] = field(default_factory=dict)
    env: dict[str, str | None] = field(default_factory=dict)
    dirs: tuple[str, ...] = ()


def _config(text: str, *args: str) -> Case:
    return Case(["export", "--config", "bad.toml", *WINDOW, *args], files={"bad.toml": text})


def _aggregate(**fields: str) -> Case:
    base = {"name": '"q"', "metrics": '["nOffered"]', "group_by": '["queueId"]'}
    base.update(fields)
    body = "".join(f"{k} = {v}\n" for k, v in base.items())
    return _config(f"[[aggregates]]\n{body}")


CASES: dict[str, Case] = {
    # malformed and conflicting config
    "config file missing": Case(["export", "--config", "missing.toml", *WINDOW]),
    "config not TOML": _config("[export\nout = "),
    "config unknown key": _config("[export]\nbogus = 1\n"),
    "config unknown section": _config("[nonsense]\na = 1\n"),
    "config wrong type": _config("[export]\nworkers = 'many'\n"),
    "config unknown format": _config("[export]\nformat = 'avro'\n"),
    "flag unknown format": Case(["export", "--format", "xml", *WINDOW]),
    "unknown dataset": Case(["export", "--dataset", "calls", *WINDOW]),
    "no datasets at all": Case(["export", "--set", "export.datasets=[]", *WINDOW]),
    "set without a value": Case(["export", "--set", "export.workers", *WINDOW]),
    "set unknown key": Case(["export", "--set", "export.colour=1", *WINDOW]),
    "workers not a number": Case(["export", "--workers", "many", *WINDOW]),
    "workers out of range": Case(["export", "--workers", "1000", *WINDOW]),
    "zero requests per minute": Case(["export", "--requests-per-minute", "0", *WINDOW]),
    "presign with local output": Case(["export", "--presign", "24h", *WINDOW]),
    "bad lookback duration": Case(["export", "--set", "export.lookback=forever", *WINDOW]),
    "bad lookback ISO duration": Case(["export", "--set", "export.lookback=P1X", *WINDOW]),
    "bad first start": Case(["export", "--set", "export.first_start=someday"]),
    "bad KPI expression": Case(["export", "--set", 'kpis.x="avg_talk_ms +"', *WINDOW]),
    # bad dates and intervals
    "start without end": Case(["export", "--start", "2026-03-01"]),
    "end before start": Case(["export", "--start", "2026-03-05", "--end", "2026-03-01"]),
    "empty interval": Case(["export", "--start", "2026-03-01", "--end", "2026-03-01"]),
    "impossible date": Case(["export", "--start", "2026-13-45", "--end", "2026-03-02"]),
    "words for a date": Case(["export", "--start", "2026-03-01", "--end", "yesterday"]),
    "start in the future": Case(["export", "--start", "2099-01-01", "--end", "2099-01-02"]),
    # unknown metrics and dimensions
    "unknown metric": _aggregate(metrics='["nBogus"]'),
    "no metrics": _aggregate(metrics="[]"),
    "unknown dimension": _aggregate(group_by='["planetId"]'),
    "bad granularity": _aggregate(granularity='"fortnightly"'),
    "bad time zone": _aggregate(time_zone='"Mars/Olympus_Mons"'),
    "unknown view type": _config("[[reporting_exports]]\nview_type = 'NOPE_VIEW'\n"),
    # bad cron expressions
    "cron minute 61": _config("[[schedules]]\nname = 'x'\ncron = '61 * * * *'\n"),
    "cron not cron": _config("[[schedules]]\nname = 'x'\ncron = 'every day'\n"),
    # region and credentials
    "unknown region": Case(["export", *WINDOW], env={"GENESYS_REGION": "mars_north_1"}),
    "missing credentials": Case(["export", *WINDOW], env={"GENESYS_CLIENT_ID": None}),
    "malformed client id": Case(["export", *WINDOW], env={"GENESYS_CLIENT_ID": "has space!"}),
    "secret with whitespace": Case(["export", *WINDOW], env={"GENESYS_CLIENT_SECRET": "a b"}),
    # unwritable or foreign output locations, corrupted state
    "output under a file": Case(["export", "--out", "blocker/data", *WINDOW], files={"blocker": "x"}),
    "foreign output folder": Case(["export", "--out", "foreign", *WINDOW],
                                  files={"foreign/notes.txt": "mine, not gcexport's"}),
    "state under a file": Case(["export", "--state-dir", "blocker/state", *WINDOW],
                               files={"blocker": "x"}),
    "corrupt state file": Case(["export", *WINDOW], files={".gcexport/state.json": "{not json"}),
    "state file of another version": Case(
        ["export", *WINDOW], files={".gcexport/state.json": '{"version": 99, "datasets": {}}'}
    ),
    # invalid warehouse URLs
    "unsupported warehouse": Case(["export", "--warehouse", "postgres://u@h/db", *WINDOW]),
    "duckdb URL without a file": Case(["export", "--warehouse", "duckdb:///", *WINDOW]),
    "duckdb under a file": Case(["export", "--warehouse", "duckdb:///{cwd}/blocker/w.duckdb",
                                 *WINDOW], files={"blocker": "x"}),
    "snowflake URL incomplete": Case(["export", "--warehouse", "snowflake://account", *WINDOW],
                                     env={"SNOWFLAKE_PASSWORD": "pw"}),
    "snowflake without password": Case(["export", "--warehouse", "snowflake://u@acct/DB/SCH",
                                        *WINDOW]),
    "snowflake unknown parameter": Case(
        ["export", "--warehouse", "snowflake://u@acct/DB/SCH?colour=blue", *WINDOW],
        env={"SNOWFLAKE_PASSWORD": "pw"},
    ),
    "duckdb file that is not DuckDB": Case(["export", "--warehouse", "duckdb:///{cwd}/w.duckdb",
                                            *WINDOW], files={"w.duckdb": "not a database"}),
    "snowflake port not a number": Case(
        ["export", "--warehouse", "snowflake://u@acct/DB/SCH?port=abc", *WINDOW],
        env={"SNOWFLAKE_PASSWORD": "pw"},
    ),
    "unsupported warehouse with a password": Case(
        ["export", "--warehouse", "postgres://u:pw-in-url-9@h/db", *WINDOW]),
    # overlapping locations (#14): a publication must never replace state or the warehouse
    "state dir is the output": Case(["export", "--out", "data", "--state-dir", "data", *WINDOW]),
    "output inside the state dir": Case(["export", "--out", "st/data", "--state-dir", "st",
                                         *WINDOW]),
    "state dir in a table folder": Case(["export", "--out", "data", "--state-dir",
                                         "data/conversations", *WINDOW]),
    "state dir inside a partition": Case(["export", "--out", "data", "--state-dir",
                                          "data/conversations/date=2026-03-01/st", *WINDOW]),
    "output inside a partition": Case(["export", "--out", "old/conversations/date=2026-03-01/new",
                                       *WINDOW]),
    "output inside another output": Case(["export", "--out", "old/sub", *WINDOW],
                                          files={"old/_gcexport.json": "{}"}),
    "warehouse inside a partition": Case(
        ["export", "--out", "data", "--warehouse",
         "duckdb:///{cwd}/data/conversations/date=2026-03-01/w.duckdb", *WINDOW]),
    "output names a file": Case(["export", "--out", "afile", *WINDOW], files={"afile": "x"}),
    # report column_map targets
    "column_map onto a reserved column": _config(
        "[[reporting_exports]]\ncolumn_map = { 'Date' = 'partition_date' }\n"),
    "column_map onto one name twice": _config(
        "[[reporting_exports]]\ncolumn_map = { 'A' = 'same', 'B' = 'same' }\n"),
    "column_map onto an invalid name": _config(
        "[[reporting_exports]]\ncolumn_map = { 'A' = 'has space' }\n"),
    # dates the API cannot serve
    "start in year 1": Case(["export", "--start", "0001-01-01", "--end", "2026-03-02"]),
    "end in year 9999": Case(["export", "--start", "2026-03-01", "--end", "9999-12-31"]),
    "first start in year 1": Case(["export", "--set", "export.first_start=0001-01-01"]),
    # webhook URLs and schedule entries
    "webhook URL not a URL": _config("[webhook]\nurl = 'http://[::1'\n"),
    "webhook URL over ftp": _config("[webhook]\nurl = 'ftp://hooks.example/x'\n"),
    "schedule name with a path": _config("[[schedules]]\nname = '../x'\ncron = '* * * * *'\n"),
    "schedule unknown dataset": _config(
        "[[schedules]]\nname = 'x'\ncron = '* * * * *'\ndatasets = ['calls']\n"),
    "schedule names twice": _config("[[schedules]]\nname = 'x'\ncron = '* * * * *'\n"
                                    "[[schedules]]\nname = 'x'\ncron = '0 * * * *'\n"),
}  # fmt: skip


def _snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """Every file and folder under `root` with its size and modification time."""
    found: dict[str, tuple[int, int]] = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder) / name
            stat = path.lstat()
            found[str(path.relative_to(root))] = (stat.st_size, stat.st_mtime_ns)
    return found


def _prepare(case: Case, cwd: Path) -> tuple[list[str], dict[str, str]]:
    for rel, text in case.files.items():
        path = cwd / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    env = cli_env(CLOSED)
    for key, value in case.env.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return [a.replace("{cwd}", str(cwd)) for a in case.args], env


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 50


@pytest.mark.parametrize(
    ("name", "expected", "absent"),
    [
        ("output names a file", "Output 'afile' is a file", "arehouse"),
        ("unsupported warehouse with a password", "postgres://u:***@h/db", "pw-in-url-9"),
        ("start in year 1", "0001-01-01", "OverflowError"),
    ],
)
def test_bad_input_message_names_the_cause(
    name: str, expected: str, absent: str, tmp_path: Path
) -> None:
    args, env = _prepare(CASES[name], tmp_path)
    result = gcexport(args, cwd=tmp_path, env=env, timeout=60)
    assert result.code == 2, result.stderr
    assert expected in result.stderr and absent not in result.stderr, result.stderr


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_exits_2_with_one_line_and_writes_nothing(name: str, tmp_path: Path) -> None:
    args, env = _prepare(CASES[name], tmp_path)
    before = _snapshot(tmp_path)
    result = gcexport(args, cwd=tmp_path, env=env, timeout=60)
    lines = result.stderr.strip().splitlines()
    assert result.code == 2, f"{name}: exit {result.code}; stderr: {result.stderr.strip()[-500:]}"
    assert "Traceback" not in result.stderr, f"{name}: traceback on stderr"
    assert len(lines) == 1, f"{name}: {len(lines)} lines on stderr: {result.stderr!r}"
    assert len(lines[0]) > 20, f"{name}: the message says too little: {lines[0]!r}"
    assert _snapshot(tmp_path) == before, (
        f"{name}: files were written: {_changed(before, tmp_path)}"
    )


def _changed(before: dict[str, tuple[int, int]], root: Path) -> list[str]:
    after = _snapshot(root)
    return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
