"""Incremental runs finalize days whatever datasets are in the run, and runs end telling the truth.

Reproductions from issue #20: aggregates-only and `details.use_jobs = false` runs never finalized
a day; the manifest kept "running" after success; a failed run's summary read "parity FAILED".
"""

from __future__ import annotations

import json
from datetime import date, timedelta, timezone
from pathlib import Path

import pytest

from gcexport.run.verify import drift_entries as _drift_entries
from gcexport.state import StateStore
from gcexport.transform.columns import DriftField
from tests.conftest import TEST_NOW, run_cli
from tests.pipeline.conftest import Served, export

UTC = timezone.utc
FIRST_START = ("--set", 'export.first_start="P3D"', "--set", 'export.lookback="PT0S"')


def _mark(workdir: Path, dataset: str) -> date | None:
    state = StateStore(workdir / "state").load()
    mark = state.dataset(dataset).final_through
    return mark.date() if mark else None


@pytest.mark.parametrize(
    ("dataset", "extra"),
    [
        ("conversation_aggregates", ()),
        ("reporting_exports", ()),
        ("conversation_details", ("--set", "details.use_jobs=false")),
    ],
)
def test_a_run_of_one_dataset_finalizes_settled_days(
    served: Served, tmp_path: Path, dataset: str, extra: tuple[str, ...]
) -> None:
    """Days that ended long ago become final without conversation_details (or its jobs) in the
    run; the next run exports only from the mark on, not everything since first_start again."""
    today = TEST_NOW.date()  # the export's clock (GCEXPORT_NOW)
    first = export(served, tmp_path, "--dataset", dataset, *FIRST_START, *extra, "--json")
    assert first.code == 0, first.stderr
    mark = _mark(tmp_path, dataset)
    # every day before yesterday ended >= 24 h ago: past the 6 h settle time (aggregates,
    # reports) and the emulator's watermark (its now is yesterday noon, lag 6 h)
    assert mark is not None and mark >= today - timedelta(days=2), mark
    second = export(served, tmp_path, "--dataset", dataset, *FIRST_START, *extra, "--json")
    assert second.code == 0, second.stderr
    again = {w.split("T")[0] for w in json.loads(second.stdout)["windows"][dataset]}
    assert str(today - timedelta(days=3)) not in again, again


def test_a_successful_run_seals_its_manifest_with_status_and_finish_time(
    served: Served, tmp_path: Path
) -> None:
    day = (served.clock.now() - timedelta(days=2)).date()
    result = export(
        served,
        tmp_path,
        "--start",
        str(day),
        "--end",
        str(day + timedelta(days=1)),
        "--dataset",
        "conversation_aggregates",
        "--json",
    )
    assert result.code == 0, result.stderr
    summary = json.loads(result.stdout)
    manifest = json.loads(Path(summary["manifest"].removeprefix("file://")).read_text())
    assert manifest["status"] == "success"
    assert manifest["exit_code"] == 0 and manifest["error"] is None
    assert manifest["finished_at"] == summary["finished_at"] != ""


def test_a_run_that_failed_before_parity_does_not_claim_a_parity_result(
    served: Served, tmp_path: Path
) -> None:
    result = run_cli(
        [
            "export",
            "--out",
            str(tmp_path / "out"),
            "--state-dir",
            str(tmp_path / "state"),
            "--dataset",
            "conversation_aggregates",
        ],
        cwd=tmp_path,
        env=served.env(GENESYS_CLIENT_SECRET="wrong-secret"),
    )
    assert result.code == 1, result.stderr
    assert "parity FAILED" not in result.stderr
    assert "parity not checked" in result.stderr
    assert "Genesys refused the client credentials" in result.stderr


def test_drift_entries_are_json_objects() -> None:
    drift = [
        DriftField("conversations", "newThing", "42"),
        DriftField("conversations", "newThing", "42"),  # the same finding from another page
        DriftField("participants", "flags", "x"),
    ]
    entries = _drift_entries(drift)
    assert entries == [
        {"example": "42", "field_path": "newThing", "table": "conversations"},
        {"example": "x", "field_path": "flags", "table": "participants"},
    ]
    assert json.loads(json.dumps(entries)) == entries
