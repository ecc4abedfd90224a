"""The emulator's agent timelines: continuous, consistent with the conversations agents work (DATASETS.md §1.7)."""

from __future__ import annotations

import itertools
from datetime import datetime, timezone

import pytest

from gcexport.clock import FakeClock
from gcexport.emulator import Emulator, EmulatorConfig
from gcexport.emulator.agents import ORIGIN_MS, SYSTEM_PRESENCE_IDS, Status, merge, subtract
from gcexport.emulator.wire import DAY_MS, iso_to_ms, to_ms

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=timezone.utc)
D = to_ms(datetime(2026, 3, 2, tzinfo=timezone.utc))


@pytest.fixture(scope="module")
def emu() -> Emulator:
    return Emulator(
        EmulatorConfig(seed=3, conversations_per_day=300, now=NOW), clock=FakeClock(NOW)
    )


def _work(
    emu: Emulator, start: int, end: int, *, placed: bool | None = None
) -> dict[str, list[tuple[int, int]]]:
    """Agent session spans (first segment start → last segment end) from the served conversations:
    all, or only the calls the agents placed (`placed`, opening with `dialing`), or only ACD ones."""
    spans: dict[str, list[tuple[int, int]]] = {}
    for conv in emu.truth.conversations(
        datetime.fromtimestamp((start - 2 * DAY_MS) / 1000, timezone.utc),
        datetime.fromtimestamp(end / 1000, timezone.utc),
    ):
        for part in conv["participants"]:
            if part["purpose"] == "agent":
                for s in part["sessions"]:
                    segs = s["segments"]
                    if placed is not None and (segs[0]["segmentType"] == "dialing") != placed:
                        continue
                    spans.setdefault(part["userId"], []).append(
                        (iso_to_ms(segs[0]["segmentStart"]), iso_to_ms(segs[-1]["segmentEnd"]))
                    )
    return spans


def _clip(spans: list[tuple[int, int]], lo: int, hi: int) -> list[tuple[int, int]]:
    return merge([(max(s, lo), min(e, hi)) for s, e in spans if e > lo and s < hi])


def _abut(records: tuple[Status, ...]) -> bool:
    return all(a.end == b.start for a, b in itertools.pairwise(records))


def test_timelines_are_continuous_and_routing_only_on_queue(emu: Emulator) -> None:
    now = emu.backend.now_ms()
    for user in emu.agents.user_ids():
        line = emu.agents.timeline(user, D, D + 2 * DAY_MS, now)
        assert line.presence[0].start <= D and line.routing[0].start <= D
        assert _abut(line.presence) and _abut(line.routing)
        on_queue = [
            (r.start, (r.end or now) + 3_000) for r in line.presence if r.value == "ON_QUEUE"
        ]
        for record in line.routing:
            if record.value != "OFF_QUEUE":
                assert any(s <= record.start and (record.end or now) <= e for s, e in on_queue)
        for record in line.presence:
            assert record.org_id == SYSTEM_PRESENCE_IDS[record.value]


def test_interacting_is_exactly_the_agents_conversation_work(emu: Emulator) -> None:
    """INTERACTING ∪ COMMUNICATING is all their work; COMMUNICATING only calls they placed."""
    now, lo, hi = emu.backend.now_ms(), D, D + DAY_MS
    work, placed = _work(emu, lo, hi), _work(emu, lo, hi, placed=True)
    acd = _work(emu, lo, hi, placed=False)
    assert sum(len(spans) for spans in placed.values()) > 50
    checked = 0
    for user in emu.agents.user_ids():
        line = emu.agents.timeline(user, lo, hi, now)
        busy = [(r.start, r.end or now) for r in line.routing
                if r.value in ("INTERACTING", "COMMUNICATING")]  # fmt: skip
        assert _clip(busy, lo, hi) == _clip(work.get(user, []), lo, hi)
        calls = [(r.start, r.end or now) for r in line.routing if r.value == "COMMUNICATING"]
        expected = subtract(merge(placed.get(user, [])), merge(acd.get(user, [])))
        assert _clip(calls, lo, hi) == _clip(expected, lo, hi)
        checked += bool(work.get(user))
    assert checked > 50


def test_users_who_never_work_stay_offline_since_the_org_began(emu: Emulator) -> None:
    now = emu.backend.now_ms()
    idle = [u for u in emu.agents.user_ids() if u not in emu.agents.members]
    assert idle
    line = emu.agents.timeline(idle[0], D, D + DAY_MS, now)
    assert line.presence == (Status(ORIGIN_MS, None, "OFFLINE", SYSTEM_PRESENCE_IDS["OFFLINE"]),)
    assert [(r.start, r.end, r.value) for r in line.routing] == [(ORIGIN_MS, None, "OFF_QUEUE")]


def test_members_have_shifts_breaks_and_multi_day_offline(emu: Emulator) -> None:
    now = emu.backend.now_ms()
    values: set[str] = set()
    longest = 0
    for user in sorted(emu.agents.members):
        line = emu.agents.timeline(user, D - 14 * DAY_MS, D, now)
        values |= {r.value for r in line.presence}
        longest = max(
            longest, *((r.end or now) - r.start for r in line.presence if r.value == "OFFLINE")
        )
    assert {"AVAILABLE", "ON_QUEUE", "OFFLINE", "BREAK", "MEAL"} <= values
    assert longest > 4 * DAY_MS  # a week of leave, broken only by conversations routed to them


def test_the_same_record_whatever_the_range(emu: Emulator) -> None:
    now = emu.backend.now_ms()
    user = sorted(emu.agents.members)[0]
    wide = emu.agents.timeline(user, D - 3 * DAY_MS, D + 2 * DAY_MS, now)
    narrow = emu.agents.timeline(user, D, D + DAY_MS, now)
    assert set(narrow.presence) <= set(wide.presence)
    assert set(narrow.routing) <= set(wide.routing)


def test_the_record_holding_now_is_open(emu: Emulator) -> None:
    now = emu.backend.now_ms()
    for user in emu.agents.user_ids()[:40]:
        line = emu.agents.timeline(user, now - DAY_MS, now, now)
        assert line.presence[-1].end is None and line.routing[-1].end is None
        assert all(r.end is not None and r.end <= now for r in line.presence[:-1])


def _missed_alerts(emu: Emulator, start: int, end: int) -> list[tuple[dict, dict, dict]]:
    """(conversation, agent participant, its session) for every alert that timed out in [start, end)."""
    found = []
    for conv in emu.truth.conversations(
        datetime.fromtimestamp(start / 1000, timezone.utc),
        datetime.fromtimestamp(end / 1000, timezone.utc),
    ):
        for part in conv["participants"]:
            for s in part["sessions"] if part["purpose"] == "agent" else []:
                if any(m["name"] == "tNotResponding" for m in s["metrics"]):
                    found.append((conv, part, s))
    return found


def test_missed_alerts_have_the_real_shape_and_another_agent_answers(emu: Emulator) -> None:
    """As in the real sample: an agent participant of its own, one `alert` segment ended by the
    client, tAlert = tNotResponding = the queue's alerting timeout (+ ≤ 400 ms), then an answer."""
    missed = _missed_alerts(emu, D, D + DAY_MS)
    assert len(missed) >= 10
    queues = {q.id: q.entity() for q in emu.backend.org.queues}
    for conv, part, session in missed:
        assert len(part["sessions"]) == 1 and len(session["segments"]) == 1
        (segment,) = session["segments"]
        assert (segment["segmentType"], segment["disconnectType"]) == ("alert", "client")
        values = {m["name"]: m["value"] for m in session["metrics"]}
        assert set(values) == {"tAlert", "tNotResponding"}
        assert values["tAlert"] == values["tNotResponding"]
        media = {"voice": "call"}.get(session["mediaType"], session["mediaType"])
        timeout = (
            queues[segment["queueId"]]["mediaSettings"][media]["alertingTimeoutSeconds"] * 1000
        )
        assert timeout <= values["tAlert"] <= timeout + 400
        end = iso_to_ms(segment["segmentEnd"])
        alerts = [  # (start, answered) of the conversation's other alerts
            (iso_to_ms(s["segments"][0]["segmentStart"]), s["segments"][-1]["segmentType"] == "wrapup")
            for p in conv["participants"] if p["purpose"] == "agent" and p is not part
            for s in p["sessions"] if s["segments"][0]["segmentType"] == "alert"
        ]  # fmt: skip
        assert any(end < a <= end + 6_000 for a, _ in alerts)  # offered again a moment later
        assert any(a > end and answered for a, answered in alerts)  # and answered in the end


def test_not_responding_starts_when_an_alert_times_out(emu: Emulator) -> None:
    """The agent whose alert timed out is NOT_RESPONDING from that instant (unless other work holds
    them), for at most 90 s, and only then."""
    now = emu.backend.now_ms()
    missed = _missed_alerts(emu, D - DAY_MS, D + 2 * DAY_MS)
    by_user: dict[str, set[int]] = {}
    for _, part, session in missed:
        by_user.setdefault(part["userId"], set()).add(
            iso_to_ms(session["segments"][0]["segmentEnd"])
        )
    work = _work(emu, D - DAY_MS, D + 2 * DAY_MS)
    opened = 0
    for user, timeouts in by_user.items():
        line = emu.agents.timeline(user, D - DAY_MS, D + 2 * DAY_MS, now)
        starts = {r.start: r for r in line.routing if r.value == "NOT_RESPONDING"}
        for at in (t for t in timeouts if D <= t < D + DAY_MS):
            busy = any(s < at < e for s, e in merge(work[user]))
            assert (at in starts) != busy, (user, at)
            if at in starts:
                record = starts[at]
                assert record.end is not None and record.end - at <= 90_000
                opened += 1
        assert {t for t in starts if D <= t < D + DAY_MS} <= timeouts
    for user in set(emu.agents.user_ids()) - set(by_user):
        line = emu.agents.timeline(user, D, D + DAY_MS, now)
        assert all(r.value != "NOT_RESPONDING" for r in line.routing)
    assert opened >= 10
