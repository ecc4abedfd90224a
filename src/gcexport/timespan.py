"""The one timestamp parser: ISO-8601 text in, `datetime` out, the same on every Python we support.

`datetime.fromisoformat` accepts `Z`, `+0000` and fractions of any length only from Python 3.11, so
every piece of gcexport that reads a timestamp (the API's, a user's, our own files') calls this.

Example::

    >>> parse_timestamp("2026-03-01T10:00:00.5Z")
    datetime.datetime(2026, 3, 1, 10, 0, 0, 500000, tzinfo=datetime.timezone.utc)
    >>> parse_timestamp("2026-03-01 10:00")  # no zone: naive, the caller decides
    datetime.datetime(2026, 3, 1, 10, 0)
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

__all__ = ["parse_timestamp"]

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
