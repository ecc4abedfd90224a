"""`gcexport bench` wiring: it finds the checkout's bench/ folder, and refuses bad names in one line (no benchmark runs)."""

from __future__ import annotations

from pathlib import Path

from reliability_support import cli_env, gcexport

from gcexport.benchrun import describe_command, find_checkout

REPO = Path(__file__).resolve().parents[2]


def test_checkout_is_found_from_inside_it_and_not_from_outside(tmp_path: Path) -> None:
    assert find_checkout([REPO / "src" / "gcexport"]) == REPO
    assert find_checkout([tmp_path]) is None


def test_command_line_is_recorded_so_the_run_can_be_repeated() -> None:
    assert describe_command(1000, Path("r.json"), ["e2e", "api"]) == (
        "gcexport bench --conversations 1000 --json r.json --only e2e --only api"
    )


def test_unknown_benchmark_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = gcexport(["bench", "--only", "nope"], cwd=REPO, env=cli_env("http://127.0.0.1:9"))
    assert result.code == 2
    assert result.stderr.strip().splitlines() == [
        "gcexport: error: Unknown benchmark 'nope'; choose from transform, emulator, budget, api, e2e."
    ]
