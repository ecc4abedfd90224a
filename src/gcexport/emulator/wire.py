"""Wire formats shared by every route: ISO-8601 instants in milliseconds, intervals, ids, JSON bytes."""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Any

import orjson

DAY_MS = 86_400_000
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def to_ms(moment: datetime) -> int:
    """Milliseconds since the epoch of an aware datetime."""
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def from_ms(ms: int) -> datetime:
    """The aware UTC datetime of an epoch-milliseconds value."""
    return _EPOCH + timedelta(milliseconds=ms)


@lru_cache(maxsize=4096)
def _date(day: int) -> str:
    return (_EPOCH + timedelta(days=day)).strftime("%Y-%m-%d")


def iso(ms: int) -> str:
    """`2025-03-10T05:08:02.919Z` — the analytics timestamp format (REFERENCE.md §2)."""
    day, rest = divmod(ms, DAY_MS)
    date = _date(day)
    secs, milli = divmod(rest, 1000)
    hours, secs = divmod(secs, 3600)
    minutes, secs = divmod(secs, 60)
    return f"{date}T{hours:02d}:{minutes:02d}:{secs:02d}.{milli:03d}Z"


def iso_seconds(ms: int) -> str:
    """`2024-04-29T04:10:03Z` — how `dataAvailabilityDate` is written (REFERENCE.md §2)."""
    return from_ms(ms - ms % 1000).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_instant(text: str) -> int:
    """Epoch ms of an ISO-8601 instant with `Z` or an offset; raises ValueError otherwise."""
    cleaned = text.strip()
    if cleaned.endswith(("Z", "z")):
        cleaned = cleaned[:-1] + "+00:00"
    moment = datetime.fromisoformat(cleaned)
    if moment.tzinfo is None:
        raise ValueError(f"instant without a zone: {text}")
    return to_ms(moment)


def parse_interval(text: object) -> tuple[int, int]:
    """`start/end` → (start_ms, end_ms); raises ValueError for anything else or end <= start."""
    if not isinstance(text, str) or text.count("/") != 1:
        raise ValueError("interval must be 'start/end'")
    start_text, end_text = text.split("/")
    start, end = parse_instant(start_text), parse_instant(end_text)
    if end <= start:
        raise ValueError("interval end must be after its start")
    return start, end


def floor_day(ms: int) -> int:
    """Start of the UTC day holding `ms`."""
    return ms - ms % DAY_MS


def ceil_day(ms: int) -> int:
    """End of the UTC day holding the instant just before `ms` (midnight stays put)."""
    return floor_day(ms + DAY_MS - 1)


def new_uuid(rng: random.Random) -> str:
    """A version-4 UUID drawn from `rng`, so ids are reproducible per seed."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def dumps(value: Any) -> bytes:
    """JSON bytes (orjson; keys in insertion order, which the builders keep per §12.2)."""
    return orjson.dumps(value)


def loads(data: bytes | str) -> Any:
    """Parse JSON bytes."""
    return orjson.loads(data)


@lru_cache(maxsize=4096)
def _day_ms(date: str) -> int:
    return to_ms(datetime.fromisoformat(date).replace(tzinfo=timezone.utc))


def iso_to_ms(text: str) -> int:
    """Fast inverse of `iso` for the exact `YYYY-MM-DDTHH:MM:SS.mmmZ` form this emulator writes."""
    return (
        _day_ms(text[:10])
        + int(text[11:13]) * 3_600_000
        + int(text[14:16]) * 60_000
        + int(text[17:19]) * 1000
        + int(text[20:23])
    )
