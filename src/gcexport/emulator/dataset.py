"""Conversations generated lazily and deterministically per (seed, UTC day), kept as JSON bytes in a small LRU.

A day is generated whole (arrivals on a daily and weekly curve, then one journey each) and stored
as one serialised record per conversation, with participant attributes. Everything else — query
pages without attributes, truncation of live conversations at "now", filters, aggregates — is
derived from those bytes, so every endpoint serves the same facts.
"""

from __future__ import annotations

import bisect
import random
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from gcexport.emulator.journeys import build_conversation, finish
from gcexport.emulator.lifetimes import Version, change, lifetimes_rng
from gcexport.emulator.org import Org
from gcexport.emulator.wire import DAY_MS, dumps, iso, loads, uuid_tag

# Share of a day's arrivals per UTC hour (a contact-centre day peaking late morning and mid-afternoon).
_HOURLY = (0.4, 0.3, 0.2, 0.2, 0.3, 0.6, 1.5, 3.5, 6.0, 7.5, 8.0, 7.5,
           6.5, 7.0, 7.5, 7.0, 6.0, 4.5, 3.2, 2.5, 2.0, 1.6, 1.0, 0.7)  # fmt: skip
# Monday..Sunday volume factors; they average exactly 1 over a week.
_WEEKLY = (1.15, 1.10, 1.05, 1.05, 1.00, 0.85, 0.80)


@dataclass(frozen=True)
class Day:
    """One generated UTC day: parallel lists sorted by conversation start."""

    day_start: int
    starts: list[int]
    ends: list[int]
    ids: list[str]
    records: list[bytes]  # full conversation with participant attributes, final version
    divisions: list[frozenset[str]]  # each conversation's divisionIds (what scopes a client)
    # mode long-lived: index -> the version served before the final one (lifetimes.py)
    versions: dict[int, Version] = field(default_factory=dict)


def day_volume(day_start: int, per_day: int, *, weekly: bool) -> int:
    """How many conversations start on the day beginning at `day_start`."""
    if not weekly:
        return per_day
    weekday = (day_start // DAY_MS + 3) % 7  # 1970-01-01 was a Thursday
    return round(per_day * _WEEKLY[weekday])


def generate_day(
    seed: int, org: Org, day_start: int, count: int, *, long_lived: bool = False
) -> Day:
    """Every conversation that starts on this UTC day, sorted by start (`long_lived`: some of
    them stay open for days, are re-opened or get their wrap-up late, lifetimes.py)."""
    rng = random.Random(f"{seed}-{day_start}")
    cumulative = [sum(_HOURLY[: h + 1]) for h in range(24)]
    starts = sorted(
        day_start
        + bisect.bisect(cumulative, rng.random() * cumulative[-1]) * 3_600_000
        + rng.randrange(3_600_000)
        for _ in range(count)
    )
    ends: list[int] = []
    ids: list[str] = []
    records: list[bytes] = []
    divisions: list[frozenset[str]] = []
    for start in starts:
        conversation, end, attributes = build_conversation(rng, org, start)
        ends.append(end)
        ids.append(conversation["conversationId"])
        divisions.append(frozenset(conversation["divisionIds"]))
        records.append(dumps(finish(conversation, attributes)))
    day = Day(day_start, starts, ends, ids, records, divisions)
    if long_lived:
        _change_lifetimes(day, lifetimes_rng(seed, day_start))
    return day


def _change_lifetimes(day: Day, rng: random.Random) -> None:
    for index, record in enumerate(day.records):
        changed = change(rng, loads(record), day.ends[index])
        if changed is None:
            continue
        day.records[index], day.ends[index] = dumps(changed.conversation), changed.end
        if changed.early is not None:
            day.versions[index] = changed.early


class Dataset:
    """The org's conversations, any day on demand, a few days cached."""

    def __init__(
        self,
        seed: int,
        org: Org,
        per_day: int,
        *,
        weekly: bool,
        cached_days: int,
        long_lived: bool = False,
    ) -> None:
        self.seed, self.org, self.per_day, self.weekly = seed, org, per_day, weekly
        self.long_lived = long_lived
        self._cache: OrderedDict[int, Day] = OrderedDict()
        self._cached_days = cached_days
        self._lock = threading.Lock()
        self._generating = threading.Lock()

    def day(self, day_start: int) -> Day:
        """The generated day starting at `day_start` (a UTC midnight in epoch ms)."""
        cached = self._cached(day_start)
        if cached is not None:
            return cached
        with self._generating:  # one generator at a time: two threads wanting a day build it once
            cached = self._cached(day_start)
            if cached is not None:
                return cached
            volume = day_volume(day_start, self.per_day, weekly=self.weekly)
            day = generate_day(self.seed, self.org, day_start, volume, long_lived=self.long_lived)
            with self._lock:
                self._cache[day_start] = day
                while len(self._cache) > self._cached_days:
                    self._cache.popitem(last=False)
            return day

    def _cached(self, day_start: int) -> Day | None:
        with self._lock:
            day = self._cache.get(day_start)
            if day is not None:
                self._cache.move_to_end(day_start)
            return day

    def iter_refs(
        self, start: int, end: int, now: int, *, divisions: frozenset[str] | None = None
    ) -> Iterator[tuple[Day, int]]:
        """(day, index) of conversations with start in [start, end) and start <= now, in start order;
        with `divisions`, only those visible to a client permitted them (any divisionId in it)."""
        day_start = start - start % DAY_MS
        end = min(end, now + 1)
        while day_start < end:
            day = self.day(day_start)
            lo = bisect.bisect_left(day.starts, start)
            hi = bisect.bisect_left(day.starts, end)
            for index in range(lo, hi):
                if divisions is None or not day.divisions[index].isdisjoint(divisions):
                    yield day, index
            day_start += DAY_MS

    def find(
        self, conversation_id: str, now: int, *, divisions: frozenset[str] | None = None
    ) -> tuple[Day, int] | None:
        """Locate a conversation by id: its UTC day is hidden in the id (`tagged_uuid`), so one day is
        searched; one outside `divisions` (when given) is not found."""
        tag = uuid_tag(conversation_id)
        if tag is None or tag * DAY_MS > now:
            return None
        day = self.day(tag * DAY_MS)
        try:
            index = day.ids.index(conversation_id)
        except ValueError:
            return None
        if divisions is not None and day.divisions[index].isdisjoint(divisions):
            return None
        return (day, index) if day.starts[index] <= now else None


def version_at(day: Day, index: int, now: int) -> tuple[bytes, int]:
    """(record, conversation end) of the version served at `now`: an earlier one until it is
    replaced (mode long-lived), else the final one."""
    early = day.versions.get(index)
    if early is not None and now < early.until:
        return early.record, early.end
    return day.records[index], day.ends[index]


def end_at(day: Day, index: int, now: int) -> int:
    """The conversation's end as known at `now` (later than `now` while it is live)."""
    return version_at(day, index, now)[1]


def record_at(day: Day, index: int, now: int, *, attributes: bool) -> bytes:
    """The conversation's bytes as served at `now` (truncated if live), with or without attributes."""
    record, end = version_at(day, index, now)
    if end <= now and attributes:
        return record
    return dumps(view_at(day, index, now, attributes=attributes))


def view_at(day: Day, index: int, now: int, *, attributes: bool) -> dict[str, Any]:
    """The conversation as a dict at `now`: live ones lose conversationEnd, future segments and metrics."""
    record, end = version_at(day, index, now)
    conversation: dict[str, Any] = loads(record)
    if not attributes:
        for part in conversation["participants"]:
            part.pop("attributes", None)
    if end > now:
        truncate(conversation, iso(now))
    return conversation


def truncate(conversation: dict[str, Any], cutoff: str) -> None:
    """Remove everything that has not happened by `cutoff` (ISO strings compare in time order)."""
    del conversation["conversationEnd"]
    participants = []
    for part in conversation["participants"]:
        sessions = [
            s for s in (_truncate_session(s, cutoff) for s in part["sessions"]) if s is not None
        ]
        if sessions:
            part["sessions"] = sessions
            participants.append(part)
    conversation["participants"] = participants


def _truncate_session(session: dict[str, Any], cutoff: str) -> dict[str, Any] | None:
    segments = [seg for seg in session["segments"] if seg["segmentStart"] <= cutoff]
    if not segments:
        return None
    for seg in segments:
        if seg["segmentEnd"] > cutoff:
            del seg["segmentEnd"]
            seg.pop("disconnectType", None)
            seg.pop("wrapUpCode", None)
    session["segments"] = segments
    metrics = [m for m in session["metrics"] if m["emitDate"] <= cutoff]
    if metrics:
        session["metrics"] = metrics
    else:
        del session["metrics"]
    flow = session.get("flow")
    if flow is not None and segments[-1].get("segmentEnd") is None:
        for key in (
            "exitReason",
            "transferTargetAddress",
            "transferTargetName",
            "transferType",
            "endingLanguage",
        ):
            flow.pop(key, None)
    return session
