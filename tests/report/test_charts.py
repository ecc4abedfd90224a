"""The time axis: local time, gaps filled, DST's repeated hour kept apart, long windows per day."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from gcexport.kpi_report.charts import timeline
from gcexport.kpi_report.queries import BucketRow
from gcexport.kpi_report.scope import QueryKinds, Scope

UTC = timezone.utc  # datetime.UTC is Python 3.11+


def _scope(zone: str, start: datetime, hours: int) -> Scope:
    return Scope(
        start=start,
        end=start + timedelta(hours=hours),
        kinds=QueryKinds(queue="queue_hourly", granularity="PT1H"),
        time_zone=zone,
    )


def _rows(start: datetime, hours: list[int]) -> list[BucketRow]:
    return [BucketRow(start + timedelta(hours=h), "voice", 10 + h, 1, 5.0, 10.0) for h in hours]


def test_the_repeated_hour_of_a_dst_change_stays_two_columns() -> None:
    start = datetime(2026, 10, 24, 22, tzinfo=UTC)  # London leaves BST at 01:00 UTC on 25 Oct
    line = timeline(_rows(start, [0, 1, 2, 3, 4]), _scope("Europe/London", start, 5))
    assert [s.label for s in line.slots] == [
        "Sat 23:00", "Sun 00:00", "Sun 01:00", "Sun 01:00", "Sun 02:00",
    ]  # fmt: skip
    assert [s.offered["voice"] for s in line.slots] == [10, 11, 12, 13, 14]


def test_missing_hours_are_filled_with_empty_slots() -> None:
    start = datetime(2026, 11, 20, tzinfo=UTC)
    line = timeline(_rows(start, [0, 3]), _scope("Asia/Kolkata", start, 4))
    assert [s.label for s in line.slots] == ["Fri 05:30", "Fri 06:30", "Fri 07:30", "Fri 08:30"]
    assert [sum(s.offered.values()) for s in line.slots] == [10, 0, 0, 13]
    assert line.unit == "Hour starting" and line.time_zone == "Asia/Kolkata"


def test_long_windows_are_drawn_per_local_day() -> None:
    start = datetime(2026, 11, 1, tzinfo=UTC)
    line = timeline(
        _rows(start, list(range(0, 24 * 6, 5))), _scope("America/New_York", start, 24 * 6)
    )
    assert line.unit == "Day"
    assert [s.label for s in line.slots][:2] == ["Sat 31 Oct", "Sun 01 Nov"]
    assert sum(sum(s.offered.values()) for s in line.slots) == sum(10 + h for h in range(0, 144, 5))
