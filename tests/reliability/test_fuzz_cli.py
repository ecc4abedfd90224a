"""Fuzz: Hypothesis-generated flags, config files and state files never end in a traceback.

Every generated case runs `gcexport.cli.main` in-process in a fresh folder, against the emulator
served on loopback (so inputs that pass validation run a real, small export). Whatever the input:
exit 0-3, never "internal error" or a traceback, one line on stderr when the run did not succeed,
and nothing written at all on exit 2. Seeded (`derandomize=True`) and bounded for CI.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from reliability_support import CLIENT_ID, CLIENT_SECRET, FIRST_DAY

from gcexport.cli import main
from gcexport.emulator import Emulator, EmulatorConfig, EmulatorServer, serve

DAY = FIRST_DAY.date()
DATES = [str(DAY), str(DAY + timedelta(days=1)), "2026-03-02T06:00:00Z", "0001-01-01",
         "9999-12-31", "2026-13-45", "yesterday", "", "2099-01-01", "1999-12-31"]  # fmt: skip
OUTS = ["out", "out/sub", "st", "afile", "out/conversations/date=2026-03-02/x", "s3://", "",
        "file://{cwd}/out", "ftp://x/y"]  # fmt: skip
STATES = ["st", "out", "out/.gcexport", "out/conversations", "afile", "st/../out"]
WAREHOUSES = ["", "duckdb:///{cwd}/w.duckdb", "duckdb:///{cwd}/afile", "postgres://u:pw-9x@h/db",
              "snowflake://a", "duckdb:///", "http://[::1", "duckdb:///{cwd}/out/x/w.duckdb"]  # fmt: skip
SETS = ["export.workers=0", "export.lookback=P1X", "export.first_start=0001-01-01",
        "webhook.url=http://[::1", 'webhook.url="ftp://x/y"', "export.datasets=[]",
        "export.csv_escape_formulas=false", "details.use_jobs=false", "kpis.x=1+",
        "export.colour=1", "export.format=csv", "genesys.requests_per_minute=0"]  # fmt: skip
TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12
)


def _pair(flag: str, values: st.SearchStrategy[str]) -> st.SearchStrategy[list[str]]:
    return values.map(lambda v: [flag, v])


FLAG = st.one_of(
    _pair("--dataset", st.sampled_from(["conversation_details", "lookups", "calls", ""])),
    _pair("--start", st.sampled_from(DATES) | TEXT),
    _pair("--end", st.sampled_from(DATES) | TEXT),
    _pair("--format", st.sampled_from(["parquet", "csv", "jsonl", "xml"])),
    _pair("--workers", st.sampled_from(["1", "0", "-1", "33", "many"])),
    _pair("--requests-per-minute", st.sampled_from(["6000", "0", "x"])),
    _pair("--out", st.sampled_from(OUTS)),
    _pair("--state-dir", st.sampled_from(STATES)),
    _pair("--warehouse", st.sampled_from(WAREHOUSES)),
    _pair("--set", st.sampled_from(SETS) | TEXT),
    _pair("--presign", st.sampled_from(["24h", "30d", "x"])),
    st.sampled_from([["--json"], ["--bogus"], ["-q"]]),
)
VALUE = st.one_of(
    st.integers(-5, 10**6), st.booleans(), TEXT, st.sampled_from(DATES + OUTS + WAREHOUSES),
    st.lists(st.sampled_from(["conversation_details", "lookups", "x"]), max_size=3),
)  # fmt: skip
SECTIONS = {
    "export": ["datasets", "out", "format", "warehouse", "state_dir", "first_start", "lookback",
               "workers", "csv_escape_formulas", "bogus"],
    "genesys": ["region", "requests_per_minute", "timeout_seconds", "client_secret"],
    "webhook": ["url", "attempts"],
    "details": ["use_jobs", "job_page_size"],
}  # fmt: skip


@st.composite
def config_files(draw: st.DrawFn) -> str | None:
    if draw(st.booleans()):
        return None
    if draw(st.integers(0, 5)) == 0:
        return draw(TEXT)  # not TOML at all, mostly
    lines = []
    for section, keys in SECTIONS.items():
        chosen = draw(st.lists(st.sampled_from(keys), max_size=3, unique=True))
        lines.append(f"[{section}]")
        lines += [f"{key} = {json.dumps(draw(VALUE))}" for key in chosen]
    if draw(st.booleans()):
        lines += ["[[schedules]]", f"name = {json.dumps(draw(TEXT))}", "cron = '* * * * *'"]
    if draw(st.booleans()):
        target = draw(st.sampled_from(["partition_date", "ok_name", "Bad Name", "x"]))
        lines += ["[[reporting_exports]]", f"column_map = {{ A = {json.dumps(target)} }}"]
    return "\n".join(lines) + "\n"


@st.composite
def state_files(draw: st.DrawFn) -> str | None:
    kind = draw(st.integers(0, 3))
    if kind == 0:
        return None
    if kind == 1:
        return draw(TEXT)
    stamp = draw(st.sampled_from([*DATES, "2026-03-02T00:00:00+00:00", None]) | TEXT)
    dataset = {"final_through": stamp, "provisional": draw(st.lists(VALUE, max_size=2)),
               "jobs": draw(st.sampled_from([{}, {"k": {"job_id": "j"}}, []]))}  # fmt: skip
    version = draw(st.sampled_from([1, 2, "1", None]))
    return json.dumps({"version": version, "datasets": {"conversation_details": dataset}})


@pytest.fixture(scope="module")
def api_url() -> Iterator[str]:
    emu = Emulator(
        EmulatorConfig(
            seed=5, conversations_per_day=4, rate_limit=0, client_secret=CLIENT_SECRET,
            now=FIRST_DAY + timedelta(days=3), job_queued_seconds=0.05, job_pending_seconds=0.05,
        )
    )  # fmt: skip
    server: EmulatorServer = serve(emu, host="127.0.0.1", port=0).start()
    try:
        yield server.base_url
    finally:
        server.stop()


@contextlib.contextmanager
def _environment(cwd: Path, api: str) -> Iterator[None]:
    saved_env, saved_cwd = dict(os.environ), Path.cwd()
    for key in [k for k in os.environ if k.startswith(("GENESYS_", "AWS_", "SNOWFLAKE_", "GCEX"))]:
        del os.environ[key]
    os.environ.update(GENESYS_CLIENT_ID=CLIENT_ID, GENESYS_CLIENT_SECRET=CLIENT_SECRET,
                      GENESYS_API_URL=api, GENESYS_LOGIN_URL=api)  # fmt: skip
    os.chdir(cwd)
    try:
        yield
    finally:
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)


def _snapshot(root: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(root)): (p.lstat().st_size, p.lstat().st_mtime_ns)
        for p in root.rglob("*")
    }


def _run(argv: list[str], cwd: Path, api: str) -> tuple[int, str]:
    err = io.StringIO()
    with (
        _environment(cwd, api),
        contextlib.redirect_stderr(err),
        contextlib.redirect_stdout(io.StringIO()),
    ):
        code = main(argv)
    return code, err.getvalue()


@settings(
    max_examples=50,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(flags=st.lists(FLAG, max_size=6), config=config_files(), state=state_files())
def test_fuzzed_input_never_ends_in_a_traceback(
    api_url: str, tmp_path: Path, flags: list[list[str]], config: str | None, state: str | None
) -> None:
    cwd = Path(tempfile.mkdtemp(dir=tmp_path))
    (cwd / "afile").write_text("x")
    args = ["export", "--quiet"] + [a.replace("{cwd}", str(cwd)) for f in flags for a in f]
    if config is not None:
        (cwd / "c.toml").write_text(config, encoding="utf-8")
        args += ["--config", "c.toml"]
    if state is not None:
        (cwd / ".gcexport").mkdir()
        (cwd / ".gcexport" / "state.json").write_text(state, encoding="utf-8")
    before = _snapshot(cwd)
    code, stderr = _run(args, cwd, api_url)
    lines = stderr.strip().splitlines()
    event(f"exit {code}")  # --hypothesis-show-statistics shows how the cases ended
    assert code in (0, 1, 2, 3), (args, code, stderr)
    assert "internal error" not in stderr and "Traceback" not in stderr, (args, stderr)
    assert CLIENT_SECRET not in stderr
    if code != 0:
        assert len(lines) == 1, (args, code, stderr)
    if code == 2:
        assert _snapshot(cwd) == before, (args, stderr)
