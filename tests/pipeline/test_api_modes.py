"""The exporter against the behaviours the real API has or MAY have (REFERENCE.md §16): each emulator
mode runs end to end with exact parity, row for row, participant attributes included (jobs served)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from tests.pipeline.conftest import Served, export
from tests.pipeline.test_export_e2e import _day, _expected, _parquet_ids, _warehouse_counts

MODES = [
    (),
    ("approximate-total-hits",),
    ("midnight-touches-next-day",),
    ("approximate-total-hits", "midnight-touches-next-day"),
]


@pytest.mark.parametrize("served", MODES, indirect=True, ids=lambda m: "+".join(m) or "default")
def test_every_mode_exports_every_day_exactly_with_attributes(
    served: Served, tmp_path: Path
) -> None:
    today = served.clock.now().date()
    days = [today - timedelta(days=n) for n in (3, 2, 1)]
    result = export(served, tmp_path, "--start", days[0].isoformat(), "--end", today.isoformat())
    assert result.code == 0, result.stderr
    db = tmp_path / "out" / "gcexport.duckdb"
    for day in days:
        truth = served.emulator.truth.conversations(*_day(day))
        assert _warehouse_counts(db, day) == _expected(truth)
        assert sorted(_parquet_ids(tmp_path / "out", day)) == sorted(
            c["conversationId"] for c in truth
        )
    text = (tmp_path / "state" / "audit.jsonl").read_text(encoding="utf-8")
    checked = [
        r for r in map(json.loads, text.splitlines()) if r["type"] == "details_count_checked"
    ]
    assert all(r["missing_from_job"] == 0 for r in checked)
    over_estimated = [d for d in days if len(served.emulator.truth.conversations(*_day(d))) % 2]
    # an odd count is over-estimated in mode approximate-total-hits (an even one under-estimated):
    # exactly those job days were cross-checked against the query's ids, and kept
    approximate = "approximate-total-hits" in served.emulator.config.modes
    assert len(checked) == (len(over_estimated) if approximate else 0)
    runs = [r for r in map(json.loads, text.splitlines()) if r["type"] == "run"]
    assert runs[-1]["parity_ok"] is True
