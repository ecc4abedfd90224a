"""Time, once: the timestamp parser and the one interval type, `[start, end)` in UTC, tiled in days.

`datetime.fromisoformat` accepts `Z`, `+0000` and fractions of any length only from Python 3.11, so
every piece of gcexport that reads a timestamp (the API's, a user's, our own files') calls
`parse_timestamp`. Every half-open interval — a request's, a partition's day, a run's window — is
an `Interval` (`Window` is the same type, the name the run uses for a day it exports).

Partitions are UTC days, and a re-run replaces a partition, so the unit of work is a whole day:
a window that cuts a day in two is widened to the day (never narrowed — that would drop rows).

Durations have one grammar too, `duration_parts`: ISO-8601 (`P1D`, `PT6H`, `P1W`, `P1M`) and, where
a person types them, the short forms `90s`, `15m`, `6h`, `2d`. Config (`config.parse_duration`) wants
exact spans; the API's granularities (`models.parse_duration`) also accept calendar ones.

Example::

    >>> duration_parts("P1DT6H"), duration_parts("P1Y2M")
    ((0, datetime.timedelta(days=1, seconds=21600)), (14, datetime.timedelta(0)))
    >>> parse_timestamp("2026-03-01T10:00:00.5Z")
    datetime.datetime(2026, 3, 1, 10, 0, 0, 500000, tzinfo=datetime.timezone.utc)
    >>> parse_timestamp("2026-03-01 10:00")  # no zone: naive, the caller decides
    datetime.datetime(2026, 3, 1, 10, 0)
    >>> [str(w) for w in plan_days(datetime(2026, 11, 20, 6, tzinfo=UTC), datetime(2026, 11, 22, tzinfo=UTC))]
    ['[2026-11-20T00:00:00Z, 2026-11-21T00:00:00Z)', '[2026-11-21T00:00:00Z, 2026-11-22T00:00:00Z)']
    >>> Interval.for_day(date(2026, 1, 1)).to_api()
    '2026-01-01T00:00:00.000Z/2026-01-02T00:00:00.000Z'
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from gcexport.errors import QueryValidationError

__all__ = [
    "DAY",
    "UTC",
    "Interval",
    "Window",
    "day_floor",
    "duration_parts",
    "format_instant",
    "incremental_days",
    "parse_instant",
    "parse_timestamp",
    "plan_days",
]

UTC = timezone.utc
DAY = timedelta(days=1)

_STAMP = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?"
    r"(Z|z|[+-]\d{2}(?::?\d{2}(?::?\d{2})?)?)?"
)


def parse_timestamp(text: str) -> datetime:
    """`YYYY-MM-DD[THH:MM[:SS[.fff]]][Z|±HH[:MM]]` → datetime (aware when a zone is given).

    Raises ValueError for anything else, or for a field out of range (month 13, hour 25).
    """
    match = _STAMP.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not an ISO-8601 timestamp")
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    micros = int((fraction or "0")[:6].ljust(6, "0"))
    return datetime(
        int(year), int(month), int(day),
        int(hour or 0), int(minute or 0), int(second or 0), micros,
        tzinfo=_zone(offset),
    )  # fmt: skip


_ISO_DURATION = re.compile(
    r"^P(?!$)(?:(?P<y>\d+)Y)?(?:(?P<mo>\d+)M)?(?:(?P<w>\d+)W)?(?:(?P<d>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<h>\d+)H)?(?:(?P<mi>\d+)M)?(?:(?P<s>\d+)S)?)?$"
)
_SHORT_DURATION = re.compile(r"^(?P<n>\d+)(?P<u>[smhd])$")
_SHORT_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def duration_parts(text: str, *, short: bool = True) -> tuple[int, timedelta]:
    """A duration as (calendar months, exact span): ISO-8601 or, when `short`, `90s`/`15m`/`6h`/`2d`.

    Raises ValueError when `text` is neither; callers turn it into their own one-sentence error.
    """
    value = text
    if short and (brief := _SHORT_DURATION.match(value)):
        return 0, timedelta(**{_SHORT_UNITS[brief["u"]]: int(brief["n"])})
    match = _ISO_DURATION.match(value)
    if match is None:
        raise ValueError(f"{text!r} is not a duration")
    parts = {k: int(v) for k, v in match.groupdict().items() if v is not None}
    months = parts.get("y", 0) * 12 + parts.get("mo", 0)
    span = timedelta(
        weeks=parts.get("w", 0),
        days=parts.get("d", 0),
        hours=parts.get("h", 0),
        minutes=parts.get("mi", 0),
        seconds=parts.get("s", 0),
    )
    return months, span


def _zone(offset: str | None) -> timezone | None:
    if offset is None:
        return None
    if offset in ("Z", "z"):
        return timezone.utc
    digits = offset[1:].replace(":", "")
    delta = timedelta(
        hours=int(digits[:2]), minutes=int(digits[2:4] or 0), seconds=int(digits[4:6] or 0)
    )
    if delta >= timedelta(hours=24):
        raise ValueError(f"UTC offset {offset!r} is out of range")
    return timezone(-delta if offset[0] == "-" else delta)


def parse_instant(text: str) -> datetime:
    """Parse a Genesys timestamp, with or without millis, into aware UTC (naive means UTC)."""
    value = parse_timestamp(text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def format_instant(value: datetime) -> str:
    """ISO-8601 UTC with milliseconds and a ``Z`` (REFERENCE.md §2: send Z)."""
    utc = value.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True, order=True)
class Interval:
    """A half-open interval `[start, end)` of aware instants, held in UTC.

    A bad shape (naive bounds, an end not after the start) is a ValueError; `Interval.of` turns
    it into `QueryValidationError` for request models.
    """

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("interval bounds must be timezone-aware (UTC)")
        if self.end <= self.start:
            raise ValueError(
                f"interval end {_iso(self.end)} is not after its start {_iso(self.start)}"
            )
        object.__setattr__(self, "start", self.start.astimezone(UTC))
        object.__setattr__(self, "end", self.end.astimezone(UTC))

    @classmethod
    def of(cls, start: datetime, end: datetime) -> Interval:
        """Build an interval, turning a bad shape into `QueryValidationError`."""
        if start.tzinfo is not None and end.tzinfo is not None and end <= start:
            raise QueryValidationError(
                f"invalid interval: end {_iso(end)} is not after start {_iso(start)}"
            )
        try:
            return cls(start, end)
        except ValueError as exc:
            raise QueryValidationError(f"invalid interval: {exc}") from None

    @classmethod
    def for_day(cls, day: date) -> Interval:
        start = datetime.combine(day, time(), tzinfo=UTC)
        return cls(start, start + DAY)

    @classmethod
    def parse(cls, key: str) -> Interval:
        """The inverse of `key`."""
        start, _, end = key.partition("/")
        return cls(parse_timestamp(start).astimezone(UTC), parse_timestamp(end).astimezone(UTC))

    @property
    def day(self) -> date:
        """The UTC date of the start (the partition)."""
        return self.start.date()

    @property
    def key(self) -> str:
        """`start/end` in seconds, as the state file and the summary name a window."""
        return f"{_iso(self.start)}/{_iso(self.end)}"

    @property
    def duration(self) -> timedelta:
        return self.end - self.start

    def to_api(self) -> str:
        """The API's form: `start/end` with milliseconds and `Z`."""
        return f"{format_instant(self.start)}/{format_instant(self.end)}"

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment < self.end

    def day_aligned(self) -> Interval:
        """The smallest interval of whole UTC days covering this one (REFERENCE.md §3.1)."""
        return Interval(day_floor(self.start), _day_ceil(self.end))

    def short_of_midnight(self) -> Interval:
        """For a day-matching query: an end at 00:00Z moved 1 ms earlier, the same days otherwise.

        Whether an interval ending exactly at 00:00Z "touches" the day it opens is undocumented
        (REFERENCE.md §16 item 2); ending at 23:59:59.999Z touches only the days meant.
        """
        if self.end != day_floor(self.end) or self.duration <= timedelta(milliseconds=1):
            return self
        return Interval(self.start, self.end - timedelta(milliseconds=1))

    def split(self, size: timedelta) -> Iterator[Interval]:
        """Consecutive pieces of at most `size` that tile this interval with no gap or overlap."""
        cursor = self.start
        while cursor < self.end:
            stop = min(cursor + size, self.end)
            yield Interval(cursor, stop)
            cursor = stop

    def __str__(self) -> str:
        return f"[{_iso(self.start)}, {_iso(self.end)})"


Window = Interval  # the run's name for the day it exports: the same type


def day_floor(moment: datetime) -> datetime:
    """Midnight UTC at or before `moment`."""
    utc = moment.astimezone(UTC)
    return datetime.combine(utc.date(), time(), tzinfo=UTC)


def _day_ceil(moment: datetime) -> datetime:
    floor = day_floor(moment)
    return floor if floor == moment.astimezone(UTC) else floor + DAY


def plan_days(start: datetime, end: datetime) -> list[Interval]:
    """Tile `[start, end)` widened to whole UTC days, one interval per day, in order."""
    if end <= start:
        raise ValueError(f"end {_iso(end)} must be after start {_iso(start)}")
    first, last = day_floor(start), _day_ceil(end)
    count = (last - first) // DAY
    return [Interval(first + i * DAY, first + (i + 1) * DAY) for i in range(count)]


def incremental_days(
    *,
    now: datetime,
    final_through: datetime | None,
    provisional: Iterable[date],
    lookback: timedelta,
    first_start: datetime,
    final_days: Iterable[date] = (),
) -> list[Interval]:
    """The days an incremental run exports.

    From the saved high-water mark (or `first_start` on a first run) minus the look-back for late
    changes, through the day that contains `now`, plus every day still marked provisional, less
    the `final_days` (days after the mark that are already final).
    """
    begin = (final_through - lookback) if final_through else first_start
    days = {w.day for w in plan_days(min(begin, now), now + timedelta(microseconds=1))}
    days.difference_update(final_days)
    days.update(d for d in provisional if Interval.for_day(d).start <= now)
    return [Interval.for_day(d) for d in sorted(days)]
