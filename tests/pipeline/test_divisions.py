"""Division scoping is never silent (REFERENCE.md §16 item 5): plain `gcexport check` names the
divisions the client cannot see (a warning, exit 0), and a client that may not list divisions gets
"could not tell" from check and from the run — which goes on and exports."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from gcexport.commands.progress import summary_lines
from gcexport.emulator import Emulator, EmulatorConfig, serve
from tests.conftest import TEST_NOW, run_cli
from tests.pipeline.conftest import OffsetClock, Served, export

REFUSED = (
    "could not tell which divisions the client cannot see: listing them was refused (HTTP 403:"
    " the client's role lacks authorization:division:view)"
)


def _check(served: Served, tmp_path: Path) -> tuple[int, list[str]]:
    args = [
        "check",
        "--set",
        f'export.out="{tmp_path / "out"}"',
        "--set",
        'export.datasets=["lookups"]',
    ]
    result = run_cli(args, cwd=tmp_path, env=served.env())
    return result.code, result.stdout.splitlines()


@pytest.mark.parametrize(
    "served", [(), ("division-scoped",)], indirect=True, ids=["default", "division-scoped"]
)
def test_plain_check_names_the_divisions_the_client_cannot_see(
    served: Served, tmp_path: Path
) -> None:
    code, lines = _check(served, tmp_path)
    assert code == 0, lines  # a warning is not a failure
    said = [line for line in lines if line.split()[1:2] == ["divisions"]]
    if served.emulator.config.modes:
        assert said == [
            f"WARN  {'divisions':<34} the client cannot see 2 of 3 divisions (Consumer, Business):"
            " their conversations, queues and users are not exported"
        ]
        assert lines[-1].endswith("checks passed (1 with a warning)")
    else:
        assert said == [f"PASS  {'divisions':<34} the client sees all 3 divisions"]
        assert "warning" not in lines[-1]


@pytest.fixture
def refused() -> Iterator[Served]:
    """Like `served`, but the client's role lacks authorization:division:view."""
    today = TEST_NOW.replace(hour=12, minute=0, second=0, microsecond=0)
    clock = OffsetClock(today - timedelta(days=1))
    config = EmulatorConfig(
        seed=11, conversations_per_day=150, rate_limit=0, client_id="pipeline-client",
        client_secret="s3cr3t-PIPELINE-test-9f2c", job_queued_seconds=0.1, job_pending_seconds=0.1,
        export_running_seconds=0.1, missing_permissions=("authorization:division:view",),
    )  # fmt: skip
    emulator = Emulator(config, clock=clock)
    with serve(emulator, host="127.0.0.1", port=0) as server:
        yield Served(emulator, clock, server.base_url)


def test_a_refused_division_listing_is_said_and_never_fails_check_or_export(
    refused: Served, tmp_path: Path
) -> None:
    code, lines = _check(refused, tmp_path)
    assert code == 0, lines
    assert [line for line in lines if line.split()[1:2] == ["divisions"]] == [
        f"WARN  {'divisions':<34} {REFUSED}"
    ]
    day = refused.clock.now().date() - timedelta(days=2)
    window = ("--start", day.isoformat(), "--end", (day + timedelta(days=1)).isoformat())
    result = export(refused, tmp_path, *window, "--dataset", "lookups", "--json")
    assert result.code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["divisions_not_visible"] is None
    assert summary["divisions_unknown"] == REFUSED.split(": ", 1)[1]
    assert summary["status"] == "success" and summary["parity_ok"] is True
    assert REFUSED in summary_lines(summary)  # the summary under the table says it too
    with duckdb.connect(str(tmp_path / "out" / "gcexport.duckdb"), read_only=True) as con:
        history = con.execute("select divisions_not_visible, divisions_unknown from gcexport_runs")
        assert history.fetchall() == [(None, summary["divisions_unknown"])]  # and the run history
    text = (tmp_path / "state" / "audit.jsonl").read_text(encoding="utf-8")
    runs = [r for r in map(json.loads, text.splitlines()) if r["type"] == "run"]
    assert runs[-1]["divisions_unknown"] == summary["divisions_unknown"]
    listed = [r for r in refused.emulator.requests if r.path == "/api/v2/authorization/divisions"]
    assert [r.status for r in listed] == [403, 403]  # once by check, once by the run: no retries
