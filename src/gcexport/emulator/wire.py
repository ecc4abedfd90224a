"""Wire formats shared by every route: ISO-8601 instants in milliseconds, intervals, ids, JSON bytes."""

from __future__ import annotations

import random
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


_CLOCK = tuple(f"T{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}." for s in range(86_400))
_MILLIS = tuple(f"{m:03d}Z" for m in range(1000))


def iso(ms: int) -> str:
    """`2025-03-10T05:08:02.919Z` — the analytics timestamp format (REFERENCE.md §2)."""
    day, rest = divmod(ms, DAY_MS)
    second, milli = divmod(rest, 1000)
    return _date(day) + _CLOCK[second] + _MILLIS[milli]


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


_VERSION_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_VERSION_SET = (0x4000 << 64) | (0x8000 << 48)


def new_uuid(rng: random.Random) -> str:
    """A version-4 UUID drawn from `rng`, so ids are reproducible per seed."""
    return format_uuid((rng.getrandbits(128) & _VERSION_CLEAR) | _VERSION_SET)


def tagged_uuid(rng: random.Random, tag: int) -> str:
    """A v4 UUID whose low 32 bits hide `tag` (XOR a hash of the rest): looks random, yet `uuid_tag` recovers it."""
    base = ((rng.getrandbits(128) & _VERSION_CLEAR) | _VERSION_SET) & ~0xFFFFFFFF
    return format_uuid(base | ((tag ^ _mix(base)) & 0xFFFFFFFF))


def uuid_tag(text: str) -> int | None:
    """The tag hidden by `tagged_uuid`, or None for text that is not a UUID."""
    try:
        value = int(text.replace("-", ""), 16)
    except ValueError:
        return None
    if len(text) != 36 or value >> 128:
        return None
    base = value & ~0xFFFFFFFF
    return (value ^ _mix(base)) & 0xFFFFFFFF


def _mix(base: int) -> int:
    return ((base >> 32) * 0x9E3779B1) & 0xFFFFFFFF


def format_uuid(value: int) -> str:
    """The canonical 8-4-4-4-12 text of a 128-bit integer."""
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


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
