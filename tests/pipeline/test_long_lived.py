"""Long-lived and re-opened conversations (REFERENCE.md §16 item 4, emulator mode long-lived): a
settled day is final even while one of its emails is open; a later incremental run re-reads the
conversations that ended since and exports again exactly the days they belong to."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.conftest import CliResult, run_cli
from tests.pipeline.conftest import Served
from tests.pipeline.test_export_e2e import _day

INCREMENTAL = (
    *("--set", 'export.first_start="P4D"', "--set", 'export.lookback="PT0S"', "--json"),
    *("--set", 'export.datasets=["conversation_details"]'),
)
MARGIN = timedelta(minutes=5)  # datasets.REREAD_MARGIN


def _export(served: Served, workdir: Path) -> CliResult:
    """An incremental run whose clock is the emulator's (the two move together here)."""
    common = ["export", "--out", str(workdir / "out"), "--state-dir", str(workdir / "state")]
    env = served.env(GCEXPORT_NOW=served.clock.now().isoformat())
    args = [*common, "--requests-per-minute", "6000", "--quiet", *INCREMENTAL]
    return run_cli(args, cwd=workdir, env=env, timeout=240)


def _stored(db: Path, day: date) -> dict[str, Any]:
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "select conversation_id, conversation_end from conversations where partition_date = ?",
            [day],
        ).fetchall()
    return {cid: end for cid, end in rows}


def _end(conversation: dict[str, Any]) -> datetime | None:
    end = conversation.get("conversationEnd")
    return datetime.fromisoformat(end) if end else None


@pytest.mark.parametrize("served", [("long-lived",)], indirect=True, ids=["long-lived"])
def test_open_emails_do_not_hold_days_and_ended_ones_bring_their_day_back(
    served: Served, tmp_path: Path
) -> None:
    today = served.clock.now().date()
    days = [today - timedelta(days=n) for n in (4, 3, 2, 1)]
    first_now = served.clock.now()
    first = _export(served, tmp_path)
    assert first.code == 0, first.stderr
    summary = json.loads(first.stdout)
    assert summary["provisional"] == [f"conversation_details:{today}"]  # open emails hold nothing
    db = tmp_path / "out" / "gcexport.duckdb"
    open_ones = 0
    for day in days:
        truth = served.emulator.truth.conversations(*_day(day))
        stored = _stored(db, day)
        assert sorted(stored) == sorted(c["conversationId"] for c in truth)  # open ones included
        open_ones += sum(1 for c in truth if _end(c) is None)
        assert all(stored[c["conversationId"]] is None for c in truth if _end(c) is None)
    assert open_ones > 0, "the mode should leave some emails open at 150 conversations a day"

    served.clock.advance(timedelta(days=3))
    second_now = served.clock.now()
    # the days of conversations that ended between the two runs' watermarks: due again, no others
    lag = timedelta(hours=6)
    ended_since = {
        day
        for day in days
        for c in served.emulator.truth.conversations(*_day(day))
        if (end := _end(c)) is not None and first_now - lag - MARGIN <= end < second_now - lag
    }
    assert ended_since and ended_since != set(days), "some days, not all, should come back"
    second = _export(served, tmp_path)
    assert second.code == 0, second.stderr
    later = json.loads(second.stdout)
    exported = {
        date.fromisoformat(w.split("T")[0]) for w in later["windows"]["conversation_details"]
    }
    new_days = {today + timedelta(days=n) for n in range(0, 4)}
    served_by_query = {date.fromisoformat(d.split(":")[1]) for d in summary["without_attributes"]}
    assert exported == ended_since | new_days | served_by_query
    watermark = second_now - timedelta(hours=6)
    for (
        day
    ) in ended_since:  # rewritten: each conversation as it is now (ended ones by the watermark)
        truth = served.emulator.truth.conversations(*_day(day))
        stored = _stored(db, day)
        assert sorted(stored) == sorted(c["conversationId"] for c in truth)
        for c in truth:
            end = _end(c)
            if end is not None and end <= watermark:
                assert stored[c["conversationId"]] is not None
                assert stored[c["conversationId"]].replace(tzinfo=end.tzinfo) == end.replace(
                    tzinfo=end.tzinfo
                )
