"""End to end through the CLI against the served emulator: row-for-row parity, idempotent re-runs,
incremental pick-up of late changes, and an audit log that accounts for every request."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.pipeline.conftest import Served, export

UTC = timezone.utc


def _day(d: date) -> tuple[datetime, datetime]:
    start = datetime.combine(d, time(), tzinfo=UTC)
    return start, start + timedelta(days=1)


def _expected(conversations: list[dict[str, Any]]) -> dict[str, int]:
    participants = [p for c in conversations for p in c.get("participants", [])]
    sessions = [s for p in participants for s in p.get("sessions", [])]
    return {
        "conversations": len(conversations),
        "participants": len(participants),
        "sessions": len(sessions),
        "segments": sum(len(s.get("segments", [])) for s in sessions),
        "session_metrics": sum(len(s.get("metrics", [])) for s in sessions),
        "participant_attributes": sum(len(p.get("attributes", {})) for p in participants),
    }


def _warehouse_counts(db: Path, day: date) -> dict[str, int]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {
            t: con.execute(f"select count(*) from {t} where partition_date = ?", [day]).fetchone()[
                0
            ]  # type: ignore[index]
            for t in (
                "conversations",
                "participants",
                "sessions",
                "segments",
                "session_metrics",
                "participant_attributes",
            )
        }


def _parquet_ids(out: Path, day: date) -> list[str]:
    files = sorted((out / "conversations" / f"date={day.isoformat()}").glob("*.parquet"))
    assert files, f"no conversation files for {day}"
    rows = duckdb.sql(
        f"select conversation_id from read_parquet({[str(f) for f in files]!r})"
    ).fetchall()
    return [r[0] for r in rows]


def test_three_days_match_the_emulator_row_for_row_and_rerun_changes_nothing(
    served: Served, tmp_path: Path
) -> None:
    emu_today = served.clock.now().date()
    days = [emu_today - timedelta(days=n) for n in (3, 2, 1)]
    args = ("--start", days[0].isoformat(), "--end", emu_today.isoformat())
    first = export(served, tmp_path, *args)
    assert first.code == 0, first.stderr
    db = tmp_path / "out" / "gcexport.duckdb"
    snapshot = {}
    for day in days:
        truth = served.emulator.truth.conversations(*_day(day))
        assert _warehouse_counts(db, day) == _expected(truth)
        ids = _parquet_ids(tmp_path / "out", day)
        assert sorted(ids) == sorted(c["conversationId"] for c in truth)
        assert len(ids) == len(set(ids))
        snapshot[day] = _warehouse_counts(db, day)
    with duckdb.connect(str(db), read_only=True) as con:
        before = con.execute(
            "select md5(string_agg(conversation_id || coalesce(cast(conversation_end as varchar), ''), ',' order by conversation_id)) from conversations"
        ).fetchone()
    second = export(served, tmp_path, *args)
    assert second.code == 0, second.stderr
    with duckdb.connect(str(db), read_only=True) as con:
        after = con.execute(
            "select md5(string_agg(conversation_id || coalesce(cast(conversation_end as varchar), ''), ',' order by conversation_id)) from conversations"
        ).fetchone()
        runs = con.execute("select count(*), bool_and(parity_ok) from gcexport_runs").fetchone()
    assert before == after
    assert runs == (2, True)
    for day in days:
        assert _warehouse_counts(db, day) == snapshot[day]
        assert len(_parquet_ids(tmp_path / "out", day)) == snapshot[day]["conversations"]


def test_a_day_later_only_changes_are_picked_up_and_live_conversations_end(
    served: Served, tmp_path: Path
) -> None:
    emu_today = served.clock.now().date()
    _until_a_conversation_is_live(served, emu_today)
    incremental = ("--set", 'export.first_start="P2D"', "--set", 'export.lookback="PT0S"', "--json")
    first = export(served, tmp_path, *incremental)
    assert first.code == 0, first.stderr
    summary = json.loads(first.stdout)
    assert f"conversation_details:{emu_today}" in summary["provisional"]
    live_before = _live_ids(tmp_path, emu_today)
    assert live_before, "the emulator's current day should hold live conversations"
    served.clock.advance(timedelta(days=1))
    second = export(served, tmp_path, *incremental)
    assert second.code == 0, second.stderr
    later = json.loads(second.stdout)
    first_days = {w.split("T")[0] for w in summary["windows"]["conversation_details"]}
    second_days = {w.split("T")[0] for w in later["windows"]["conversation_details"]}
    final_day = (emu_today - timedelta(days=1)).isoformat()
    assert final_day in first_days and final_day not in second_days, (
        "a final day was exported again"
    )
    assert emu_today.isoformat() in second_days, "the provisional day was not re-exported"
    assert f"conversation_details:{emu_today}" not in later["provisional"]
    truth = served.emulator.truth.conversations(*_day(emu_today))
    still_live = {c["conversationId"] for c in truth if "conversationEnd" not in c}
    assert _live_ids(tmp_path, emu_today) == still_live
    assert len(live_before - still_live) > 0, "no live conversation ended in a day"
    assert _warehouse_counts(tmp_path / "out" / "gcexport.duckdb", emu_today) == _expected(truth)


def _until_a_conversation_is_live(served: Served, day: date) -> None:
    """Move the emulator's clock on in 10-minute steps (within its day) until one of the day's
    conversations is still live: whether one is at a given instant depends on the seeded data of
    that date, and the suite runs at any instant (GCEXPORT_TEST_NOW)."""
    for _ in range(60):
        if any("conversationEnd" not in c for c in served.emulator.truth.conversations(*_day(day))):
            return
        served.clock.advance(timedelta(minutes=10))
    pytest.fail(f"no live conversation on {day} between noon and 22:00 in the emulator")


def _live_ids(workdir: Path, day: date) -> set[str]:
    with duckdb.connect(str(workdir / "out" / "gcexport.duckdb"), read_only=True) as con:
        rows = con.execute(
            "select conversation_id from conversations where partition_date = ? and conversation_end is null",
            [day],
        ).fetchall()
    return {r[0] for r in rows}


def test_the_audit_log_accounts_for_every_request_and_holds_no_secret(
    served: Served, tmp_path: Path
) -> None:
    day = served.clock.now().date() - timedelta(days=2)
    result = export(
        served, tmp_path, "--start", day.isoformat(), "--end", (day + timedelta(days=1)).isoformat()
    )
    assert result.code == 0, result.stderr
    text = (tmp_path / "state" / "audit.jsonl").read_text(encoding="utf-8")
    assert served.secret not in text
    records = [json.loads(line) for line in text.splitlines()]
    requests = [r for r in records if r["type"] == "request"]
    seen = Counter((r.method, r.path.split("?")[0]) for r in served.emulator.requests)
    logged = Counter((r["method"], r["path"].split("?")[0]) for r in requests)
    assert logged == seen
    runs = [r for r in records if r["type"] == "run"]
    assert len(runs) == 1 and runs[0]["status"] == "success" and runs[0]["parity_ok"] is True
    assert runs[0]["requests"] == len(requests)
    for path in (tmp_path / "out").rglob("*"):
        if path.is_file() and path.suffix in {".json", ".jsonl", ".csv"}:
            assert served.secret not in path.read_text(encoding="utf-8", errors="replace")
