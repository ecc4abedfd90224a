"""Identities on Hypothesis-generated schedules: every aggregate bucket's sum is the overlap of the detail
records with it, timelines stay continuous, INTERACTING is exactly the agents' ACD work, COMMUNICATING
their non-ACD calls, and NOT_RESPONDING follows exactly the alerts that timed out."""

from __future__ import annotations

import itertools
from datetime import datetime, timezone
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gcexport.clock import FakeClock
from gcexport.emulator import Emulator, EmulatorConfig
from gcexport.emulator.agents import (
    RETURN_MS,
    Span,
    Timeline,
    build_timeline,
    merge,
    subtract,
)
from gcexport.emulator.facts import buckets, parse_zone
from gcexport.emulator.useraggregates import USER_METRICS, UserAggregateQuery, bucket_sums, render
from gcexport.emulator.userstatus import PRESENCE_KIND, ROUTING_KIND, user_details
from gcexport.emulator.wire import DAY_MS, from_ms, iso_to_ms, to_ms
from gcexport.models import Interval
from gcexport.transform.user_status import aggregate_table, status_tables

MIN, HOUR = 60_000, 3_600_000
BASE = to_ms(datetime(2026, 5, 4, tzinfo=timezone.utc))
USER = "3b0a2f7e-8c51-4d2b-9a6e-5f1c0d9e7a21"


Schedule = tuple[int, list[Span], list[Span], int, list[int], list[Span]]


@st.composite
def schedules(draw: st.DrawFn) -> Schedule:
    """(OFFLINE since, logged-in spans, work inside them a few minutes clear of their edges, now,
    the ends of the work spans that were alerts which timed out, the work spans that were non-ACD
    calls the agent placed)."""
    before = BASE - draw(st.integers(HOUR, 5 * DAY_MS))  # a logout
    cursor, spans, work, timeouts, direct = BASE, [], [], [], []
    for _ in range(draw(st.integers(0, 4))):
        start = cursor + draw(st.integers(MIN, 20 * HOUR))
        end = start + draw(st.integers(20 * MIN, 12 * HOUR))
        at = start + 6 * MIN
        for _ in range(draw(st.integers(0, 6))):
            gap, length = draw(st.integers(1_000, 90 * MIN)), draw(st.integers(1_000, 40 * MIN))
            if at + gap + length > end - 3 * MIN:
                break
            work.append((at + gap, at + gap + length))
            kind = draw(st.sampled_from(["acd", "timeout", "direct"]))
            if kind == "timeout":
                timeouts.append(at + gap + length)
            elif kind == "direct":
                direct.append((at + gap, at + gap + length))
            at += gap + length + 1
        spans.append((start, end))
        cursor = end
    now = max(BASE, cursor + draw(st.integers(-4 * HOUR, 2 * DAY_MS)))
    return before, spans, work, now, timeouts, direct


def _timeline(schedule: Schedule) -> Timeline:
    before, spans, work, now, timeouts, direct = schedule
    return build_timeline(7, USER, before=before, spans=spans, work=work, start=before,
                          end=now + 1, now=now, timeouts=timeouts, direct=direct)  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(schedules())
def test_timelines_abut_and_interacting_is_the_work(schedule: Schedule) -> None:
    _, _, work, now, _, direct = schedule
    line = _timeline(schedule)
    for records in (line.presence, line.routing):
        assert all(a.end == b.start for a, b in itertools.pairwise(records))
        assert records[-1].end is None and records[0].start <= schedule[0] + 3_000
    served = {
        value: merge([(r.start, r.end or now) for r in line.routing if r.value == value])
        for value in ("INTERACTING", "COMMUNICATING")
    }
    acd = [w for w in work if w not in direct]
    assert served["INTERACTING"] == merge([(s, min(e, now)) for s, e in acd if s <= now])
    assert served["COMMUNICATING"] == merge([(s, min(e, now)) for s, e in direct if s <= now])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schedules(), st.sampled_from(["PT15M", "PT30M", "PT1H", "P1D"]))
def test_each_bucket_sum_is_the_overlap_of_the_detail_rows(
    schedule: Schedule, granularity: str
) -> None:
    """Emulator → JSON → the exporter's transforms on both sides; identity checked on the tables."""
    before, _, _, now, _, _ = schedule
    line = _timeline(schedule)
    lo, hi = BASE - DAY_MS, BASE + 3 * DAY_MS
    intervals = buckets(lo, hi, granularity, parse_zone("UTC"))
    query = UserAggregateQuery(lo, hi, intervals, ("userId",), USER_METRICS, None)
    records = [("presence", r) for r in line.presence] + [("routing", r) for r in line.routing]
    sums = {(USER,): bucket_sums(records, intervals, USER_METRICS, now)}
    mappings = {r.value: {r.org_id} for r in line.presence if r.org_id}
    response = render(query, sums, mappings)  # type: ignore[arg-type]
    window = Interval.of(from_ms(lo), from_ms(hi))
    aggregates = aggregate_table([response], window, granularity=granularity, time_zone="UTC",
                                 extracted_at=from_ms(now)).to_pylist()  # fmt: skip
    entries = [(USER, PRESENCE_KIND, r) for r in line.presence]
    entries += [(USER, ROUTING_KIND, r) for r in line.routing]
    presence, routing = status_tables(user_details(entries), Interval.of(from_ms(before), from_ms(now + 1)),
                                      source="query", extracted_at=from_ms(now))  # fmt: skip
    details = {"tSystemPresence": (presence, "system_presence"),
               "tOrganizationPresence": (presence, "organization_presence_id"),
               "tAgentRoutingStatus": (routing, "routing_status")}  # fmt: skip
    for row in aggregates:
        table, column = details[row["metric"]]
        start, end = to_ms(row["interval_start"]), to_ms(row["interval_end"])
        assert row["sum_ms"] == _overlap(
            table.to_pylist(), column, row["qualifier"], start, end, now
        )
    for start, end in intervals:  # every bucket is covered by exactly one presence at a time
        covered = sum(r["sum_ms"] for r in aggregates
                      if r["metric"] == "tSystemPresence" and to_ms(r["interval_start"]) == start)  # fmt: skip
        assert covered == max(0, min(end, now) - max(start, before))


@settings(max_examples=80, deadline=None)
@given(schedules())
def test_not_responding_follows_exactly_the_alerts_that_timed_out(schedule: Schedule) -> None:
    """Each NOT_RESPONDING record starts at a timeout, right after the INTERACTING of that alert, and
    lasts at most the return time; each timeout served while on queue opens one."""
    _, _, _, now, timeouts, _ = schedule
    line = _timeline(schedule)
    starts = {r.start for r in line.routing if r.value == "NOT_RESPONDING"}
    for before_it, record in itertools.pairwise(line.routing):
        if record.value == "NOT_RESPONDING":
            assert record.start in timeouts and before_it.value == "INTERACTING"
            assert (record.end or now) - record.start <= RETURN_MS[1]
    on_queue = [(r.start, r.end or now) for r in line.presence if r.value == "ON_QUEUE"]
    for at in timeouts:
        if at < now and any(s + 3_000 < at < e for s, e in on_queue):
            assert at in starts, at
    assert len(starts) <= len(timeouts)


def _overlap(
    rows: list[dict[str, Any]], column: str, value: str, lo: int, hi: int, now: int
) -> int:
    total = 0
    for row in rows:
        if row[column] == value:
            end = to_ms(row["end_time"]) if row["end_time"] is not None else now
            total += max(0, min(hi, end) - max(lo, to_ms(row["start_time"])))
    return total


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10_000))
def test_interacting_covers_the_agents_handle_time(seed: int) -> None:
    """Every agent session's handle time (answer through wrap-up) lies inside INTERACTING or, for a
    call the agent placed (non-ACD), COMMUNICATING; INTERACTING is exactly the union of the ACD
    sessions' alert-through-wrap-up spans, COMMUNICATING the placed calls outside them."""
    now = datetime(2026, 5, 6, 12, tzinfo=timezone.utc)
    emu = Emulator(
        EmulatorConfig(seed=seed, conversations_per_day=40, now=now), clock=FakeClock(now)
    )
    lo, hi = BASE, BASE + DAY_MS
    handled: dict[str, list[Span]] = {}
    spans: dict[str, list[Span]] = {}
    calls: dict[str, list[Span]] = {}
    for conv in emu.truth.conversations(from_ms(lo - DAY_MS), from_ms(hi)):
        for part in conv["participants"]:
            for session in part["sessions"] if part["purpose"] == "agent" else []:
                segs = session["segments"]
                first, last = iso_to_ms(segs[0]["segmentStart"]), iso_to_ms(segs[-1]["segmentEnd"])
                placed = segs[0]["segmentType"] == "dialing"
                (calls if placed else spans).setdefault(part["userId"], []).append((first, last))
                answered = [
                    iso_to_ms(g["segmentStart"]) for g in segs if g["segmentType"] != "alert"
                ]
                if lo <= first and last <= hi and answered:
                    handled.setdefault(part["userId"], []).append((answered[0], last))
    assert handled
    for user, sessions in handled.items():
        line = emu.agents.timeline(user, lo, hi, to_ms(now))
        served = {
            value: merge([(r.start, r.end or to_ms(now)) for r in line.routing if r.value == value])
            for value in ("INTERACTING", "COMMUNICATING")
        }
        acd, placed = merge(spans.get(user, [])), merge(calls.get(user, []))
        assert _clip(served["INTERACTING"], lo, hi) == _clip(acd, lo, hi)
        assert _clip(served["COMMUNICATING"], lo, hi) == _clip(subtract(placed, acd), lo, hi)
        working = merge(served["INTERACTING"] + served["COMMUNICATING"])
        for start, end in sessions:
            assert any(s <= start and end <= e for s, e in working)
    assert any(calls.values())


def _clip(spans: list[Span], lo: int, hi: int) -> list[Span]:
    return merge([(max(s, lo), min(e, hi)) for s, e in spans if e > lo and s < hi])
