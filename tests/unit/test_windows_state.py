"""Window planning tiles time into whole UTC days; state survives restarts and rejects corruption."""

from __future__ import annotations

import itertools
import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gcexport.errors import LockedError, StateError
from gcexport.state import DatasetState, JobRecord, StateStore
from gcexport.timespan import Window, incremental_days, plan_days

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
        ds.start_at(d20.day)  # a first run's first day starts the history
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


def _days(*numbers: int) -> list[Window]:
    return [Window.for_day(date(2026, 11, n)) for n in numbers]


def test_the_mark_advances_over_days_finished_out_of_order() -> None:
    """Issue #20: days recorded in completion order left the mark at the first one in line."""
    ds = DatasetState()
    ds.start_at(date(2026, 11, 20))
    for window in reversed(_days(20, 21, 22, 23, 24)):  # the last day finishes first
        ds.record_day(window, final=True)
    assert ds.final_through == datetime(2026, 11, 25, tzinfo=UTC)
    assert ds.final_days == set()
    now = datetime(2026, 11, 25, 8, tzinfo=UTC)
    due = ds.due(now=now, lookback=timedelta(hours=6), first_start=now - timedelta(days=3))
    assert [w.day for w in due] == [date(2026, 11, 24), date(2026, 11, 25)]


def test_a_first_days_failure_is_retried_not_skipped() -> None:
    """Issue #20: on a first run the first day to finish set the mark; an earlier day that then
    failed was never exported."""
    ds = DatasetState()
    ds.start_at(date(2026, 11, 20))
    for window in _days(21, 22):  # 11-20 failed
        ds.record_day(window, final=True)
    assert ds.final_through == datetime(2026, 11, 20, tzinfo=UTC)
    assert ds.final_days == {date(2026, 11, 21), date(2026, 11, 22)}
    now = datetime(2026, 11, 23, 8, tzinfo=UTC)
    due = ds.due(now=now, lookback=timedelta(0), first_start=now - timedelta(days=3))
    assert [w.day for w in due] == [date(2026, 11, 20), date(2026, 11, 23)]
    ds.record_day(_days(20)[0], final=True)  # the retry succeeds: the mark jumps past all three
    assert ds.final_through == datetime(2026, 11, 23, tzinfo=UTC) and ds.final_days == set()


def test_a_final_day_recorded_without_history_does_not_set_the_mark() -> None:
    ds = DatasetState()
    ds.record_day(_days(22)[0], final=True)
    assert ds.final_through is None and ds.final_days == {date(2026, 11, 22)}
    ds.start_at(date(2026, 11, 21))
    assert ds.final_through == datetime(2026, 11, 21, tzinfo=UTC)
    ds.record_day(_days(21)[0], final=True)
    assert ds.final_through == datetime(2026, 11, 23, tzinfo=UTC)


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (
            {"final_through": "9999-12-31T00:00:00+00:00"},
            "final_through 9999-12-31 is in the future",
        ),
        (
            {"final_through": "0001-01-01T00:00:00+00:00"},
            "final_through 0001-01-01 is before 2000-01-01",
        ),
        (
            {"final_through": "2026-11-20T05:00:00+00:00"},
            "final_through 2026-11-20T05:00:00+00:00 is not midnight UTC",
        ),
        ({"provisional": ["2027-01-01"]}, "provisional day 2027-01-01 is in the future"),
        ({"final_days": ["1999-12-31"]}, "final_days day 1999-12-31 is before 2000-01-01"),
    ],
)
def test_state_with_dates_no_run_could_write_is_refused(
    tmp_path: Path, payload: dict[str, object], reason: str
) -> None:
    data = {"version": 1, "datasets": {"conversation_details": payload}}
    (tmp_path / "state.json").write_text(json.dumps(data), encoding="utf-8")
    now = datetime(2026, 11, 25, 8, tzinfo=UTC)
    with pytest.raises(StateError) as info:
        StateStore(tmp_path).load(now=now)
    assert info.value.exit_code == 2
    assert str(info.value) == (
        f"State file {str(tmp_path / 'state.json')!r} is not valid: conversation_details "
        f"{reason}; `gcexport state reset` starts over."
    )


def test_reset_from_a_day_makes_it_and_later_days_due(tmp_path: Path) -> None:
    ds = DatasetState()
    ds.start_at(date(2026, 11, 18))
    for window in _days(18, 19, 20, 21):
        ds.record_day(window, final=True)
    ds.record_day(_days(23)[0], final=True)
    ds.record_day(_days(24)[0], final=False)
    ds.reset_from(date(2026, 11, 20))
    assert ds.final_through == datetime(2026, 11, 20, tzinfo=UTC)
    assert ds.final_days == set() and ds.provisional == set()
