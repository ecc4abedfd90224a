"""An injectable clock (now, monotonic, sleep), so retries, token expiry and polling test instantly.

Example::

    clock = FakeClock(datetime(2026, 1, 1, tzinfo=timezone.utc))
    clock.sleep(30)          # returns at once
    assert clock.slept == [30]

`GCEXPORT_NOW=2027-03-31T23:59:00Z gcexport demo` runs the real clock from that instant on (at
real speed): how the test suite runs a subprocess on any date, and how a run is replayed as of T.
"""

from __future__ import annotations

import functools
import os
import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Protocol, runtime_checkable

from gcexport.errors import ConfigError
from gcexport.timespan import parse_timestamp

__all__ = ["NOW_VARIABLE", "Clock", "FakeClock", "SystemClock", "utcnow"]

NOW_VARIABLE = "GCEXPORT_NOW"


def utcnow() -> datetime:
    """The current time as an aware UTC datetime (shifted to start at `GCEXPORT_NOW` if set)."""
    shift = _shift()  # first: the first reading is then never before the instant it names
    return datetime.now(timezone.utc) + shift


@functools.cache
def _shift() -> timedelta:
    """How far `GCEXPORT_NOW` moves this process's clock: read once, at the first look."""
    text = os.environ.get(NOW_VARIABLE, "").strip()
    if not text:
        return timedelta(0)
    try:
        start = parse_timestamp(text)
    except ValueError:
        start = None
    if start is None or start.tzinfo is None:
        raise ConfigError(
            f"{NOW_VARIABLE}={text!r} is not a timestamp with a zone, such as 2027-03-31T23:59:00Z"
        )
    return start - datetime.now(timezone.utc)


@runtime_checkable
class Clock(Protocol):
    """What gcexport needs to know about time."""

    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes backwards."""
        ...

    def sleep(self, seconds: float) -> None:
        """Wait `seconds`."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        return utcnow()

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)

    def __repr__(self) -> str:
        return "SystemClock()"


class FakeClock:
    """A clock that only moves when told to; `sleep` advances it at once and is recorded.

    Thread-safe, so many workers can share one.
    """

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 1, tzinfo=timezone.utc)
        if self._now.tzinfo is None:
            raise ValueError("FakeClock needs a timezone-aware start")
        self._mono = 0.0
        self._lock = threading.Lock()
        self.slept: list[float] = []

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def monotonic(self) -> float:
        with self._lock:
            return self._mono

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.slept.append(seconds)
            if seconds > 0:
                self._advance(seconds)

    def advance(self, seconds: float) -> None:
        """Move time forward without recording a sleep."""
        with self._lock:
            self._advance(seconds)

    def _advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)
        self._mono += seconds

    def __repr__(self) -> str:
        return f"FakeClock(now={self._now.isoformat()}, slept={len(self.slept)})"
