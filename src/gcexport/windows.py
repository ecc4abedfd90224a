"""Window planning: half-open UTC intervals `[start, end)`, tiled into whole UTC days.

Partitions are UTC days, and a re-run replaces a partition, so the unit of work is a whole day:
a window that cuts a day in two is widened to the day (never narrowed — that would drop rows).

Example::

    >>> [str(w) for w in plan_days(datetime(2026, 11, 20, 6, tzinfo=UTC), datetime(2026, 11, 22, tzinfo=UTC))]
    ['[2026-11-20T00:00:00Z, 2026-11-21T00:00:00Z)', '[2026-11-21T00:00:00Z, 2026-11-22T00:00:00Z)']
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from gcexport.timespan import parse_timestamp

__all__ = ["UTC", "Window", "day_floor", "incremental_days", "plan_days"]

UTC = timezone.utc
DAY = timedelta(days=1)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True, order=True)
class Window:
    """A half-open UTC interval `[start, end)`."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("Window bounds must be timezone-aware")
        if self.end <= self.start:
            raise ValueError(
                f"Window end {_iso(self.end)} is not after its start {_iso(self.start)}"
            )

    @property
    def day(self) -> date:
        """The UTC date of the window's start (its partition)."""
        return self.start.astimezone(UTC).date()

    @property
    def key(self) -> str:
        return f"{_iso(self.start)}/{_iso(self.end)}"

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment < self.end

    def __str__(self) -> str:
        return f"[{_iso(self.start)}, {_iso(self.end)})"

    @classmethod
    def for_day(cls, day: date) -> Window:
        start = datetime.combine(day, time(), tzinfo=UTC)
        return cls(start, start + DAY)

    @classmethod
    def parse(cls, key: str) -> Window:
        start, _, end = key.partition("/")
        return cls(_parse(start), _parse(end))


def _parse(text: str) -> datetime:
    return parse_timestamp(text).astimezone(UTC)


def day_floor(moment: datetime) -> datetime:
    """Midnight UTC at or before `moment`."""
    utc = moment.astimezone(UTC)
    return datetime.combine(utc.date(), time(), tzinfo=UTC)


def _day_ceil(moment: datetime) -> datetime:
    floor = day_floor(moment)
    return floor if floor == moment.astimezone(UTC) else floor + DAY


def plan_days(start: datetime, end: datetime) -> list[Window]:
    """Tile `[start, end)` widened to whole UTC days, one Window per day, in order."""
    if end <= start:
        raise ValueError(f"end {_iso(end)} must be after start {_iso(start)}")
    first, last = day_floor(start), _day_ceil(end)
    count = (last - first) // DAY
    return [Window(first + i * DAY, first + (i + 1) * DAY) for i in range(count)]


def incremental_days(
    *,
    now: datetime,
    final_through: datetime | None,
    provisional: Iterable[date],
    lookback: timedelta,
    first_start: datetime,
    final_days: Iterable[date] = (),
) -> list[Window]:
    """The days an incremental run exports.

    From the saved high-water mark (or `first_start` on a first run) minus the look-back for late
    changes, through the day that contains `now`, plus every day still marked provisional, less
    the `final_days` (days after the mark that are already final).
    """
    begin = (final_through - lookback) if final_through else first_start
    days = {w.day for w in plan_days(min(begin, now), now + timedelta(microseconds=1))}
    days.difference_update(final_days)
    days.update(d for d in provisional if Window.for_day(d).start <= now)
    return [Window.for_day(d) for d in sorted(days)]
