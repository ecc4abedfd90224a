"""Window planning tiles time into whole UTC days; state survives restarts and rejects corruption."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gcexport.errors import LockedError, StateError
from gcexport.state import JobRecord, StateStore
from gcexport.windows import Window, incremental_days, plan_days

UTC = timezone.utc
instants = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
)


@given(instants, st.timedeltas(min_value=timedelta(seconds=1), max_value=timedelta(days=60)))
def test_days_tile_the_interval_without_gap_or_overlap(start: datetime, length: timedelta) -> None:
    end = start + length
    days = plan_days(start, end)
    assert days[0].start <= start and days[-1].end >= end
    assert days[0].start > start - timedelta(days=1) and days[-1].end < end + timedelta(days=1)
    for left, right in itertools.pairwise(days):
        assert left.end == right.start
    for window in days:
        assert window.end - window.start == timedelta(days=1)
        assert (window.start.hour, window.start.minute, window.start.second) == (0, 0, 0)


def test_window_is_half_open_and_round_trips() -> None:
    window = Window.for_day(date(2026, 11, 20))
    assert window.contains(datetime(2026, 11, 20, tzinfo=UTC))
    assert not window.contains(datetime(2026, 11, 21, tzinfo=UTC))
    assert str(window) == "[2026-11-20T00:00:00Z, 2026-11-21T00:00:00Z)"
    assert Window.parse(window.key) == window
    with pytest.raises(ValueError, match="not after its start"):
        Window(window.end, window.start)


def test_incremental_days_start_from_the_mark_minus_lookback_plus_provisional() -> None:
    now = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)
    days = incremental_days(
        now=now,
        final_through=datetime(2026, 11, 22, tzinfo=UTC),
        provisional={date(2026, 11, 18)},
        lookback=timedelta(hours=6),
        first_start=now - timedelta(days=3),
    )
    assert [w.day for w in days] == [
        date(2026, 11, 18),
        date(2026, 11, 21),
        date(2026, 11, 22),
        date(2026, 11, 23),
    ]
    first = incremental_days(now=now, final_through=None, provisional=(), lookback=timedelta(0),
                             first_start=datetime(2026, 11, 21, tzinfo=UTC))  # fmt: skip
    assert [w.day for w in first] == [date(2026, 11, 21), date(2026, 11, 22), date(2026, 11, 23)]


def test_state_round_trips_and_advances_the_mark(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    d20, d21, d22, d23 = (Window.for_day(date(2026, 11, d)) for d in (20, 21, 22, 23))

    def first(state):  # type: ignore[no-untyped-def]
        ds = state.dataset("conversation_details")
        ds.jobs[d23.key] = JobRecord("job-1", datetime(2026, 11, 23, tzinfo=UTC))
        ds.record_day(d20, final=True)
        ds.record_day(d21, final=True)
        ds.record_day(d22, final=False)

    store.update(first)
    reloaded = StateStore(tmp_path).load().dataset("conversation_details")
    assert reloaded.final_through == d21.end
    assert reloaded.provisional == {date(2026, 11, 22)}
    assert reloaded.jobs["2026-11-23T00:00:00Z/2026-11-24T00:00:00Z"].job_id == "job-1"
    reloaded.record_day(d22, final=True)
    assert reloaded.final_through == d22.end and reloaded.provisional == set()
    reloaded.record_day(d23, final=False)  # a finished window releases its job
    assert reloaded.jobs == {} and reloaded.provisional == {date(2026, 11, 23)}


@pytest.mark.parametrize(
    "content", ["{not json", '{"version": 99, "datasets": {}}', '{"version": 1}', "[]"]
)
def test_corrupt_state_is_an_input_error(tmp_path: Path, content: str) -> None:
    (tmp_path / "state.json").write_text(content, encoding="utf-8")
    with pytest.raises(StateError, match="is corrupt") as info:
        StateStore(tmp_path).load()
    assert info.value.exit_code == 2


def test_lock_is_exclusive(tmp_path: Path) -> None:
    first, second = StateStore(tmp_path), StateStore(tmp_path)
    with first.lock(), pytest.raises(LockedError, match="holds"), second.lock():
        pass
    with second.lock():
        pass
