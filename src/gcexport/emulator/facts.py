"""Aggregate facts: every session metric served by the details endpoints, flattened with its dimensions.

Aggregates and reporting exports are computed only from these facts, which are read from the very
conversation views the details endpoints serve — so the two can never disagree. Rules (documented
choices, REFERENCE.md §6.1 leaves them open): a metric counts in the bucket containing its
`emitDate`; its dimensions are the conversation's, the participant's and the session's scalars plus
the first `queueId` and the `wrapUpCode` found on that session's segments; `oServiceLevel` counts one
per acd session with `tAcd` (answered within the queue's service-level duration = numerator).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from gcexport.emulator.backend import Backend
from gcexport.emulator.dataset import end_at, view_at
from gcexport.emulator.lifetimes import MAX_OPEN_DAYS
from gcexport.emulator.problems import bad_request
from gcexport.emulator.vocabulary import AGGREGATE_METRICS
from gcexport.emulator.wire import DAY_MS, floor_day, from_ms, iso_to_ms, to_ms

_METRICS = frozenset(AGGREGATE_METRICS)
_CONVERSATION_DIMS = (
    "conversationId",
    "conversationInitiator",
    "customerParticipation",
    "originatingDirection",
)
_DURATION = re.compile(
    r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$"
)
MAX_BUCKETS = 10_000


@dataclass(frozen=True)
class Fact:
    """One metric value: what, how much, when emitted, and the dimensions it can be grouped by."""

    metric: str
    value: int
    emit: int
    dims: dict[str, Any]
    answered_in_sl: bool = False
    sl_target: float | None = None


def session_dims(
    conversation: dict[str, Any], part: dict[str, Any], session: dict[str, Any]
) -> dict[str, Any]:
    """The dimension values of one session's metrics."""
    dims = {k: conversation[k] for k in _CONVERSATION_DIMS if k in conversation}
    if conversation.get("divisionIds"):
        dims["divisionId"] = conversation["divisionIds"][0]
    dims.update(
        (k, v) for k, v in part.items() if not isinstance(v, (list, dict)) and k != "participantId"
    )
    dims.update((k, v) for k, v in session.items() if not isinstance(v, (list, dict)))
    for seg in session["segments"]:
        if "queueId" in seg and "queueId" not in dims:
            dims["queueId"] = seg["queueId"]
        if "wrapUpCode" in seg:
            dims["wrapUpCode"] = seg["wrapUpCode"]
    return dims


def conversation_facts(conversation: dict[str, Any], backend: Backend) -> Iterator[Fact]:
    """Every aggregate-eligible metric of one conversation view, plus its service-level facts."""
    for part in conversation["participants"]:
        for session in part["sessions"]:
            dims = session_dims(conversation, part, session)
            metrics = session.get("metrics", [])
            for metric in metrics:
                if metric["name"] in _METRICS:
                    yield Fact(metric["name"], metric["value"], iso_to_ms(metric["emitDate"]), dims)
            if part["purpose"] == "acd":
                yield from _service_level(metrics, dims, backend)


def _service_level(
    metrics: list[dict[str, Any]], dims: dict[str, Any], backend: Backend
) -> Iterator[Fact]:
    names = {m["name"]: m for m in metrics}
    queue = backend.org.queue(dims.get("queueId", ""))
    if "tAcd" not in names or queue is None:
        return
    acd = names["tAcd"]
    within = "tAbandon" not in names and acd["value"] <= queue.sl_duration_ms
    yield Fact("oServiceLevel", 1, iso_to_ms(acd["emitDate"]), dims, within, queue.sl_percentage)


def iter_facts(backend: Backend, start: int, end: int) -> Iterator[Fact]:
    """Facts emitted in [start, end) at emulator-now (conversations may start up to a day earlier),
    of the conversations the client sees (mode division-scoped)."""
    now = backend.now_ms()
    back = (MAX_OPEN_DAYS + 1) if backend.config.has("long-lived") else 1
    first = floor_day(start) - back * DAY_MS
    for day, index in backend.dataset.iter_refs(first, end, now, divisions=backend.divisions):
        if end_at(day, index, now) < start:
            continue
        for fact in conversation_facts(view_at(day, index, now, attributes=False), backend):
            if start <= fact.emit < end:
                yield fact


def parse_zone(name: object) -> ZoneInfo:
    if not isinstance(name, str):
        raise bad_request("The timeZone must be an IANA time zone name.")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise bad_request(f"Invalid time zone [{name}].") from None


def buckets(start: int, end: int, granularity: str | None, zone: ZoneInfo) -> list[tuple[int, int]]:
    """[start, end) cut at granularity steps; calendar steps (D, W, M, Y) follow the zone's wall clock."""
    if not granularity:
        return [(start, end)]
    match = _DURATION.match(granularity) if isinstance(granularity, str) else None
    if match is None or not any(match.groups()):
        raise bad_request(
            f"Invalid granularity [{granularity}]: expected an ISO-8601 duration such as PT30M or P1D."
        )
    years, months, weeks, days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    clock = timedelta(hours=hours, minutes=minutes, seconds=seconds)
    local = _calendar_anchor(from_ms(start).astimezone(zone), clock)
    edges, step = [start], 0
    while edges[-1] < end:
        step += 1
        if len(edges) > MAX_BUCKETS:
            raise bad_request(
                f"The granularity [{granularity}] yields more than {MAX_BUCKETS} intervals."
            )
        edges.append(min(end, _advance(local, step, years * 12 + months, weeks * 7 + days, clock)))
    return list(itertools.pairwise(edges))


def _calendar_anchor(local: datetime, clock: timedelta) -> datetime:
    """Where calendar buckets (D, W, M, Y) are counted from: the zone's midnight on or before the
    interval's start (REFERENCE.md §16 item 10), so an interval starting at 00:00Z with a zone
    east or west of UTC opens with a partial bucket and then follows the zone's days (23 or 25
    hours at a DST change). Clock steps (PT30M) count from the start itself."""
    if clock:
        return local
    return datetime.combine(local.date(), datetime.min.time(), local.tzinfo)


def _advance(local: datetime, step: int, months: int, days: int, clock: timedelta) -> int:
    moved = local
    if months:
        total = local.month - 1 + months * step
        moved = local.replace(
            year=local.year + total // 12, month=total % 12 + 1, day=min(local.day, 28)
        )
    moved = moved + timedelta(days=days * step)  # aware arithmetic is wall-clock: DST-safe days
    return to_ms(moved.astimezone(timezone.utc) + clock * step)
