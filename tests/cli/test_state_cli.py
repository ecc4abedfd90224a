"""`gcexport state show` / `state reset`, and a state file no run could have written (exit 2)."""

from __future__ import annotations

import json
from datetime import timedelta, timezone
from pathlib import Path

from tests.conftest import TEST_NOW, clean_env, run_cli

UTC = timezone.utc
CREDS = {"GENESYS_CLIENT_ID": "abc", "GENESYS_CLIENT_SECRET": "xyz"}


def _write_state(workdir: Path, datasets: dict[str, object]) -> Path:
    state = workdir / "state"
    state.mkdir(exist_ok=True)
    path = state / "state.json"
    path.write_text(json.dumps({"version": 1, "datasets": datasets}), encoding="utf-8")
    return path


def _state_args(workdir: Path) -> list[str]:
    return ["--set", f'export.state_dir="{workdir / "state"}"', "--set", 'export.lookback="PT0S"']


def test_show_lists_final_provisional_and_due_per_dataset(tmp_path: Path) -> None:
    today = TEST_NOW.date()  # the CLI's clock starts there (GCEXPORT_NOW)
    mark = today - timedelta(days=3)
    _write_state(
        tmp_path,
        {
            "conversation_details": {
                "final_through": f"{mark}T00:00:00+00:00",
                "final_days": [str(today - timedelta(days=1))],
                "provisional": [str(today - timedelta(days=2))],
            }
        },
    )
    result = run_cli(["state", "show", *_state_args(tmp_path)], cwd=tmp_path, env=clean_env())
    assert result.code == 0, result.stderr
    lines = result.stdout.splitlines()
    block = lines[lines.index("conversation_details") : lines.index("conversation_details") + 4]
    assert block[1] == (f"  final        every day before {mark}; also {today - timedelta(days=1)}")
    assert block[2] == f"  provisional  {today - timedelta(days=2)}"
    assert block[3] == f"  due          {mark}..{today - timedelta(days=2)}, {today}"
    assert "conversation_aggregates" in lines  # no state yet: everything from first_start is due


def test_reset_from_a_day_makes_those_days_due_again(tmp_path: Path) -> None:
    today = TEST_NOW.date()  # the CLI's clock starts there (GCEXPORT_NOW)
    path = _write_state(
        tmp_path, {"conversation_details": {"final_through": f"{today}T00:00:00+00:00"}}
    )
    since = today - timedelta(days=2)
    result = run_cli(
        [
            "state",
            "reset",
            "--dataset",
            "conversation_details",
            "--from",
            str(since),
            *_state_args(tmp_path),
        ],
        cwd=tmp_path,
        env=clean_env(),
    )
    assert result.code == 0, result.stderr
    assert result.stdout.strip() == (
        f"conversation_details: days from {since} on are due again on the next run."
    )
    saved = json.loads(path.read_text(encoding="utf-8"))["datasets"]["conversation_details"]
    assert saved["final_through"] == f"{since}T00:00:00+00:00"


def test_reset_of_an_unknown_dataset_is_bad_input(tmp_path: Path) -> None:
    result = run_cli(
        ["state", "reset", "--dataset", "lookups", *_state_args(tmp_path)],
        cwd=tmp_path,
        env=clean_env(),
    )
    assert result.code == 2
    assert "is not a day-partitioned dataset" in result.stderr


def test_an_export_refuses_a_state_file_no_run_could_write(tmp_path: Path) -> None:
    path = _write_state(
        tmp_path, {"conversation_details": {"final_through": "9999-12-31T00:00:00+00:00"}}
    )
    before = path.read_bytes()
    result = run_cli(
        ["export", "--out", str(tmp_path / "out"), *_state_args(tmp_path)],
        cwd=tmp_path,
        env=clean_env(**CREDS),
    )
    assert result.code == 2, result.stderr
    assert result.stderr.strip() == (
        f"gcexport: error: State file {str(path)!r} is not valid: conversation_details "
        "final_through 9999-12-31 is in the future; `gcexport state reset` starts over."
    )
    assert path.read_bytes() == before
    assert not (tmp_path / "state" / "run.lock").exists()
    reset = run_cli(["state", "reset", *_state_args(tmp_path)], cwd=tmp_path, env=clean_env())
    assert reset.code == 0 and not path.exists()
    assert (tmp_path / "state" / "state.json.bak").read_bytes() == before
