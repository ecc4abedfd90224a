"""The half-open UTC time interval ``[start, end)`` every analytics request is about.

Example::

    >>> iv = Interval(start=datetime(2026, 1, 1, tzinfo=timezone.utc),
    ...               end=datetime(2026, 1, 2, tzinfo=timezone.utc))
    >>> iv.to_api()
    '2026-01-01T00:00:00.000Z/2026-01-02T00:00:00.000Z'
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from gcexport.errors import QueryValidationError
from gcexport.timespan import parse_timestamp

__all__ = ["Interval", "format_instant", "parse_instant"]

DAY = timedelta(days=1)


def format_instant(value: datetime) -> str:
    """ISO-8601 UTC with milliseconds and a ``Z`` (REFERENCE.md §2: send Z)."""
    utc = value.astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def parse_instant(text: str) -> datetime:
    """Parse a Genesys timestamp, with or without millis (REFERENCE.md §2)."""
    value = parse_timestamp(text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def _floor_day(value: datetime) -> datetime:
    return value.replace(hour=0, minute=0, second=0, microsecond=0)


class Interval(BaseModel):
    """A half-open ``[start, end)`` interval of aware UTC instants."""

    model_config = ConfigDict(frozen=True)

    start: datetime
    end: datetime

    @field_validator("start", "end")
    @classmethod
    def _aware_utc(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware (UTC)")
        return value.astimezone(timezone.utc)

    @model_validator(mode="after")
    def _ordered(self) -> Interval:
        if self.end <= self.start:
            raise ValueError(
                f"interval end {self.end.isoformat()} is not after start {self.start.isoformat()}"
            )
        return self

    @classmethod
    def of(cls, start: datetime, end: datetime) -> Interval:
        """Build an interval, turning a bad shape into `QueryValidationError`."""
        try:
            return cls(start=start, end=end)
        except ValueError as exc:
            raise QueryValidationError(f"invalid interval: {_first_error(exc)}") from None

    @property
    def duration(self) -> timedelta:
        return self.end - self.start

    def to_api(self) -> str:
        return f"{format_instant(self.start)}/{format_instant(self.end)}"

    def contains(self, instant: datetime) -> bool:
        return self.start <= instant < self.end

    def day_aligned(self) -> Interval:
        """The smallest interval of whole UTC days covering this one (REFERENCE.md §3.1)."""
        end_floor = _floor_day(self.end)
        end = end_floor if end_floor == self.end else end_floor + DAY
        return Interval(start=_floor_day(self.start), end=end)

    def short_of_midnight(self) -> Interval:
        """For a day-matching query: an end at 00:00Z moved 1 ms earlier, the same days otherwise.

        Whether an interval ending exactly at 00:00Z "touches" the day it opens is undocumented
        (REFERENCE.md §16 item 2); ending at 23:59:59.999Z touches only the days meant.
        """
        if self.end != _floor_day(self.end) or self.duration <= timedelta(milliseconds=1):
            return self
        return Interval(start=self.start, end=self.end - timedelta(milliseconds=1))

    def split(self, size: timedelta) -> Iterator[Interval]:
        """Consecutive pieces of at most `size` that tile this interval with no gap or overlap."""
        cursor = self.start
        while cursor < self.end:
            stop = min(cursor + size, self.end)
            yield Interval(start=cursor, end=stop)
            cursor = stop

    def __str__(self) -> str:
        return self.to_api()


def _first_error(exc: ValueError) -> str:
    errors: list[dict[str, Any]] = getattr(exc, "errors", lambda: [])()
    if errors:
        return str(errors[0].get("msg", exc))
    return str(exc)
