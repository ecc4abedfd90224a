"""`gcexport.export(on_commit=...)`: one `CommittedPartition` per (dataset, table, day) as it lands,
counted as the summary's parity counts it, after the day is recorded in the state."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import gcexport
from gcexport.emulator import Emulator, EmulatorConfig
from gcexport.state import DatasetState, StateStore
from tests.conftest import emulator_settings

DAY = date(2026, 6, 10)
DATASETS = ["conversation_details", "conversation_aggregates"]


def _recorded(state: DatasetState, day: date) -> bool:
    mark = state.final_through
    return (
        day in state.provisional
        or day in state.final_days
        or (mark is not None and mark.date() > day)
    )


def test_each_partition_of_two_days_is_reported_once_with_the_parity_counts(tmp_path: Path) -> None:
    clock = gcexport.FakeClock(datetime(2026, 6, 12, 9, 30, tzinfo=timezone.utc))
    emulator = Emulator(
        EmulatorConfig(seed=5, conversations_per_day=40, availability_lag=timedelta(hours=1)),
        clock=clock,
    )
    settings = emulator_settings(tmp_path, DATASETS)
    events: list[gcexport.CommittedPartition] = []
    recorded_first: list[bool] = []

    def on_commit(partition: gcexport.CommittedPartition) -> None:
        state = StateStore(tmp_path / "state").load().dataset(partition.dataset)
        recorded_first.append(_recorded(state, partition.day))
        events.append(partition)

    summary = gcexport.export(
        settings,
        start=DAY,
        end=DAY + timedelta(days=2),
        transport=emulator.transport(),
        clock=clock,
        on_commit=on_commit,
    )

    assert summary.status == "success"
    keys = [(e.dataset, e.table, e.day) for e in events]
    assert len(keys) == len(set(keys))
    assert {e.dataset for e in events} == set(DATASETS)
    assert {e.day for e in events} == {DAY, DAY + timedelta(days=1)}
    assert recorded_first == [True] * len(events)
    parity = {
        (row["table"], row["partition_date"]): (row["api"], row["files"], row["warehouse"])
        for row in summary.parity
        if row["partition_date"] is not None
    }
    assert {
        (e.table, e.day.isoformat()): (e.api_rows, e.file_rows, e.warehouse_rows) for e in events
    } == parity
    conversations = [e for e in events if e.table == "conversations"]
    assert len(conversations) == 2 and all(e.api_rows and e.api_rows > 0 for e in conversations)
    assert all(e.parity_ok and not e.provisional for e in events)
    assert sum(len(e.files) for e in events) == summary.files
    assert sum(e.bytes for e in events) == summary.bytes
    assert {uri for e in events for uri in e.files} <= set(summary.checksums)
