"""Agent time: each agent's presence and routing-status timelines, derived from the conversations they work.

DATASETS.md §1.7: two continuous timelines per user. Presence covers every instant since the org
was created (OFFLINE until a first login, then shifts, breaks and weeks-long OFFLINE); routing
status is OFF_QUEUE except while presence is ON_QUEUE (entered and left with a 0.1–3 s lag), and
inside ON_QUEUE it is INTERACTING exactly while the agent works one of its conversations (alert or
dial through wrap-up, the union when they overlap), NOT_RESPONDING from an alert that timed out (its
session carries `tNotResponding`, see missed.py) until the agent returns a few seconds later or the
next conversation reaches them, COMMUNICATING while an outbound call the agent placed (a non-ACD
interaction: its session opens with `dialing`) is not overlapped by ACD work, and IDLE otherwise.

How a timeline is built, all from (seed, user, UTC day), so any range gives the same records:
- an agent's *work* is the span of each of its agent sessions, read from the generated days;
- a day's *blocks* are the rostered shift (active queue members, 5 days a week, with whole weeks
  of leave) merged with each work span padded by a few minutes (gaps under 45 min close up);
- a day's *periods* are its blocks clipped to start after the two previous days' blocks end
  (a conversation lasts less than a day, so nothing older can reach), and touching periods join;
- within a period: AVAILABLE for a moment after login, ON_QUEUE, BREAK or MEAL in long idle gaps,
  OFFLINE after logout until the next period.
"""

from __future__ import annotations

import itertools
import random
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from gcexport.emulator.backend import Backend
from gcexport.emulator.wire import DAY_MS, floor_day, iso_to_ms, loads

# The ids Genesys gives its system presence definitions in every org (DATASETS.md §1.5, REAL).
SYSTEM_PRESENCE_IDS = {
    "AVAILABLE": "6a3af858-942f-489d-9700-5f9bcdcdae9b",
    "AWAY": "5e5c5c66-ea97-4e7f-ac41-6424784829f2",
    "BUSY": "31fe3bac-dea6-44b7-bed7-47f91660a1a0",
    "BREAK": "227b37e2-f1d0-4dd0-8f50-badd7cf6d158",
    "IDLE": "7ffa01cd-7866-4ad7-8faa-31e11b42f51f",
    "MEAL": "3fd96123-badb-4f69-bc03-1b1ccc6d8014",
    "MEETING": "bbdff279-7ae1-48ea-bade-7831d7234c64",
    "OFFLINE": "ccf3c10a-aa2c-4845-8e8d-f59fa48c58e5",
    "ON_QUEUE": "e08eaf1b-ee47-4fa9-a231-1200e284798f",
    "TRAINING": "d2390a99-8546-bad9-8f0a-219548e8aeb0",
}
ORIGIN_MS = iso_to_ms("2024-01-15T09:30:00.000Z")  # the org's creation: everyone OFFLINE since
MINUTE = 60_000
MERGE_GAP_MS = 45 * MINUTE
BREAK_GAP_MS = 25 * MINUTE  # an idle gap at least this long may hold a break
_SHIFT_STARTS_H = (6, 7, 7, 8, 8, 9, 10, 12, 14)
_OFF_DAYS = ((5, 6), (5, 6), (5, 6), (6, 0), (0, 1), (2, 3))  # weekday numbers, Monday = 0
_CACHED_DAYS = 96
# NOT_RESPONDING lasts until the agent returns [INFERRED]; shorter than the 2 min before a break
RETURN_MS = (3_000, 90_000)

Span = tuple[int, int]
DayWork = tuple[dict[str, list[Span]], dict[str, list[int]], dict[str, list[Span]]]


@dataclass(frozen=True)
class Status:
    """One record of a timeline: [start, end) in a status; end None while it is still open at now."""

    start: int
    end: int | None
    value: str
    org_id: str | None = None  # organizationPresenceId, presence records only


@dataclass(frozen=True)
class Timeline:
    """One user's records that overlap a range, unclipped, as served at now."""

    user_id: str
    presence: tuple[Status, ...]
    routing: tuple[Status, ...]


def day_work(records: list[bytes]) -> dict[str, list[Span]]:
    """user id → the spans of its agent sessions in these conversations, sorted by start."""
    work: dict[str, list[Span]] = defaultdict(list)
    for raw in records:
        for part in loads(raw)["participants"]:
            if part["purpose"] != "agent":
                continue
            for session in part["sessions"]:
                segments = session["segments"]
                start = iso_to_ms(segments[0]["segmentStart"])
                work[part["userId"]].append((start, iso_to_ms(segments[-1]["segmentEnd"])))
    return {user: sorted(spans) for user, spans in work.items()}


def day_direct(records: list[bytes]) -> dict[str, list[Span]]:
    """user id → the spans of the non-ACD calls it placed (agent sessions opening with `dialing`)."""
    found: dict[str, list[Span]] = defaultdict(list)
    for raw in records:
        for part in loads(raw)["participants"]:
            for session in part["sessions"] if part["purpose"] == "agent" else []:
                segments = session["segments"]
                if segments[0]["segmentType"] == "dialing":
                    span = (
                        iso_to_ms(segments[0]["segmentStart"]),
                        iso_to_ms(segments[-1]["segmentEnd"]),
                    )
                    found[part["userId"]].append(span)
    return {user: sorted(spans) for user, spans in found.items()}


def subtract(spans: list[Span], minus: list[Span]) -> list[Span]:
    """The parts of merged `spans` outside merged `minus`."""
    out: list[Span] = []
    for start, end in spans:
        for m_start, m_end in minus:
            if m_end <= start or m_start >= end:
                continue
            if m_start > start:
                out.append((start, m_start))
            start = max(start, m_end)
        if start < end:
            out.append((start, end))
    return out


def day_timeouts(records: list[bytes]) -> dict[str, list[int]]:
    """user id → the instants its alerts timed out (agent sessions carrying `tNotResponding`), sorted."""
    found: dict[str, list[int]] = defaultdict(list)
    for raw in records:
        for part in loads(raw)["participants"]:
            for session in part["sessions"] if part["purpose"] == "agent" else []:
                if any(m["name"] == "tNotResponding" for m in session["metrics"]):
                    found[part["userId"]].append(iso_to_ms(session["segments"][-1]["segmentEnd"]))
    return {user: sorted(times) for user, times in found.items()}


def merge(spans: list[Span], gap: int = 0) -> list[Span]:
    """Sorted spans with any two closer than `gap` (or touching) joined."""
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1] + gap:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


class AgentTime:
    """Every user's timelines, computed on demand from the conversation dataset and cached per day."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.seed = backend.config.seed
        self._work: OrderedDict[int, DayWork] = OrderedDict()
        self._lock = threading.Lock()
        self._blocks: dict[tuple[str, int], list[Span]] = {}

    @cached_property
    def members(self) -> frozenset[str]:
        """Users who take conversations: the active members of some queue."""
        return frozenset(m for q in self.backend.org.queues for m in q.member_ids)

    def user_ids(self) -> list[str]:
        """Every user the client sees (whatever the state) — they all have a presence timeline;
        mode division-scoped: only the users of the client's divisions."""
        return [u["id"] for u in self.backend.org.users if self.backend.visible(u["division"])]

    def work(self, day: int) -> dict[str, list[Span]]:
        """Agent work of the conversations that start on `day` (may run past midnight)."""
        return self._day(day)[0]

    def timeouts(self, day: int) -> dict[str, list[int]]:
        """Instants the alerts of conversations starting on `day` timed out, per agent."""
        return self._day(day)[1]

    def direct(self, day: int) -> dict[str, list[Span]]:
        """Non-ACD calls agents placed in conversations starting on `day`, per agent."""
        return self._day(day)[2]

    def _day(self, day: int) -> DayWork:
        with self._lock:
            if day in self._work:
                self._work.move_to_end(day)
                return self._work[day]
        records = self.backend.dataset.day(day).records if day >= floor_day(ORIGIN_MS) else []
        found = (day_work(records), day_timeouts(records), day_direct(records))
        with self._lock:
            self._work[day] = found
            while len(self._work) > _CACHED_DAYS:
                self._work.popitem(last=False)
        return found

    def rostered(self, user: str, day: int) -> bool:
        """A member's working day: not one of its two days off, not in a week of leave."""
        profile = random.Random(f"agent-{self.seed}-{user}")
        off = _OFF_DAYS[profile.randrange(len(_OFF_DAYS))]
        if (day // DAY_MS + 3) % 7 in off:  # 1970-01-01 was a Thursday (weekday 3)
            return False
        week = day // (7 * DAY_MS)
        leave = random.Random(f"leave-{self.seed}-{user}-{week // 4}")
        if leave.random() < 0.25:
            length = leave.randint(1, 2)
            first = leave.randint(0, 4 - length)
            return not first <= week % 4 < first + length
        return True

    def blocks(self, user: str, day: int) -> list[Span]:
        """Logged-in spans planned by `day`: the rostered shift and padded work, merged."""
        found = self._blocks.get((user, day))
        if found is None:
            if len(self._blocks) > 500_000:
                self._blocks.clear()
            found = self._blocks[(user, day)] = self._plan(user, day)
        return found

    def _plan(self, user: str, day: int) -> list[Span]:
        if user not in self.members or day < floor_day(ORIGIN_MS) + DAY_MS:
            return []
        rng = random.Random(f"shift-{self.seed}-{user}-{day}")
        spans: list[Span] = []
        if self.rostered(user, day):
            hour = _SHIFT_STARTS_H[random.Random(f"agent-{self.seed}-{user}").randrange(9)]
            start = day + hour * 3_600_000 + rng.randint(-20, 20) * MINUTE + rng.randrange(MINUTE)
            spans.append((start, start + rng.randint(480, 540) * MINUTE + rng.randrange(MINUTE)))
        for begin, end in self.work(day).get(user, []):
            pre, post = rng.randint(5, 20) * MINUTE, rng.randint(2, 15) * MINUTE
            spans.append((begin - pre - rng.randrange(MINUTE), end + post + rng.randrange(MINUTE)))
        return merge(spans, MERGE_GAP_MS)

    def periods(self, user: str, day: int) -> list[Span]:
        """`day`'s blocks clipped to start once the two previous days' blocks have ended."""
        reach = max((e for d in (day - DAY_MS, day - 2 * DAY_MS) for _, e in self.blocks(user, d)),
                    default=0)  # fmt: skip
        return [(max(s, reach), e) for s, e in self.blocks(user, day) if e > reach]

    def logged_in(self, user: str, start: int, end: int, now: int) -> tuple[int, list[Span]]:
        """(end of the last period before, the periods touching [start - 1 day, end + 1 day) and the next one)."""
        first, last = floor_day(start) - DAY_MS, floor_day(end - 1) + DAY_MS
        spans = merge([p for d in range(first, last + 1, DAY_MS) for p in self.periods(user, d)])
        before = ORIGIN_MS
        if user in self.members:
            day = first - DAY_MS
            while day >= floor_day(ORIGIN_MS) and before == ORIGIN_MS:
                before = max((e for _, e in self.periods(user, day)), default=ORIGIN_MS)
                day -= DAY_MS
            day, found = last + DAY_MS, False
            while not found and day <= now:
                following = self.periods(user, day)
                spans, found = merge(spans + following), bool(following)
                day += DAY_MS
        return before, spans

    def work_union(self, user: str, start: int, end: int) -> list[Span]:
        """The union of the user's work spans of conversations starting on days around [start, end)."""
        first, last = floor_day(start) - 2 * DAY_MS, floor_day(end - 1) + DAY_MS
        spans = [w for d in range(first, last + 1, DAY_MS) for w in self.work(d).get(user, [])]
        return merge(spans)

    def timeouts_around(self, user: str, start: int, end: int) -> list[int]:
        """The user's alert timeouts in conversations starting on days around [start, end)."""
        first, last = floor_day(start) - 2 * DAY_MS, floor_day(end - 1) + DAY_MS
        return sorted(
            t for d in range(first, last + 1, DAY_MS) for t in self.timeouts(d).get(user, [])
        )

    def timeline(self, user: str, start: int, end: int, now: int) -> Timeline:
        """The user's presence and routing records overlapping [start, end), as served at `now`."""
        before, spans = self.logged_in(user, start, end, now)
        work = self.work_union(user, spans[0][0], spans[-1][1]) if spans else []
        missed = self.timeouts_around(user, spans[0][0], spans[-1][1]) if spans else []
        direct = self.direct_only(user, spans[0][0], spans[-1][1]) if spans else []
        return build_timeline(self.seed, user, before=before, spans=spans, work=work,
                              start=start, end=end, now=now, timeouts=missed, direct=direct)  # fmt: skip

    def direct_only(self, user: str, start: int, end: int) -> list[Span]:
        """The user's non-ACD calls around [start, end), less any ACD work overlapping them."""
        first, last = floor_day(start) - 2 * DAY_MS, floor_day(end - 1) + DAY_MS
        days = range(first, last + 1, DAY_MS)
        direct = merge([w for d in days for w in self.direct(d).get(user, [])])
        if not direct:
            return []
        calls = {w for d in days for w in self.direct(d).get(user, [])}
        acd = merge([w for d in days for w in self.work(d).get(user, []) if w not in calls])
        return subtract(direct, acd)


def build_timeline(
    seed: int,
    user: str,
    *,
    before: int,
    spans: list[Span],
    work: list[Span],
    start: int,
    end: int,
    now: int,
    timeouts: Sequence[int] = (),
    direct: list[Span] | None = None,
) -> Timeline:
    """The records overlapping [start, end) at `now` of a user OFFLINE since `before`, logged in
    during `spans` (sorted, disjoint), working `work` (merged, each inside a span, a few minutes
    clear of its edges), whose alerts timed out at `timeouts` (each the end of a work span) and of
    whose work `direct` (merged, inside `work`) is non-ACD only: the pure core of
    `AgentTime.timeline`, open to property tests."""
    presence = _presence(seed, user, before, spans, work)
    routing = _routing(seed, user, presence, work, timeouts, direct or [])
    never = now + 366 * DAY_MS  # sentinels: whatever follows the last record lies after now
    return Timeline(
        user,
        _records([*presence, (never, "AVAILABLE")], start, end, now, with_ids=True),
        _records([*routing, (never, "IDLE")], start, end, now, with_ids=False),
    )


def _lag(seed: int, user: str, at: int) -> int:
    """The 0.1–3 s routing lag after a presence change (DATASETS.md §1.7, INFERRED)."""
    return random.Random(f"lag-{seed}-{user}-{at}").randint(100, 3_000)


def _presence(
    seed: int, user: str, before: int, spans: list[Span], work: list[Span]
) -> list[tuple[int, str]]:
    changes: list[tuple[int, str]] = [(before, "OFFLINE")]
    for start, end in spans:
        rng = random.Random(f"login-{seed}-{user}-{start}")
        changes += [(start, "AVAILABLE"), (start + rng.randint(10_000, 180_000), "ON_QUEUE")]
        inside = [w for w in work if start <= w[0] and w[1] <= end]
        edges = [changes[-1][0], *(t for w in inside for t in w), end]
        for gap_start, gap_end in zip(edges[::2], edges[1::2], strict=True):
            changes += _break(seed, user, gap_start, gap_end)
        changes.append((end, "OFFLINE"))
    return changes


def _break(seed: int, user: str, start: int, end: int) -> list[tuple[int, str]]:
    """A BREAK (15 min) or MEAL (30 min) two minutes into a long idle gap, or nothing."""
    if end - start < BREAK_GAP_MS:
        return []
    rng = random.Random(f"break-{seed}-{user}-{start}")
    if rng.random() < 0.5:
        return []
    meal = end - start >= 40 * MINUTE and rng.random() < 0.3
    at = start + 2 * MINUTE + rng.randrange(MINUTE)
    return [(at, "MEAL" if meal else "BREAK"), (at + (30 if meal else 15) * MINUTE, "ON_QUEUE")]


def return_ms(seed: int, user: str, at: int) -> int:
    """How long after an alert timed out at `at` the agent returns from NOT_RESPONDING."""
    return random.Random(f"return-{seed}-{user}-{at}").randint(*RETURN_MS)


def not_responding(
    seed: int, user: str, timeouts: Sequence[int], work: list[Span], on_queue: Span
) -> list[Span]:
    """NOT_RESPONDING spans: from each timeout inside `on_queue` and outside other work (merged
    `work`) until the agent returns, the next work begins or the ON_QUEUE period ends."""
    spans: list[Span] = []
    begin, until = on_queue
    for at in timeouts:
        if not begin <= at < until or any(s < at < e for s, e in work):
            continue
        stop = min([at + return_ms(seed, user, at), until, *(s for s, _ in work if s >= at)])
        if spans and spans[-1][1] > at:  # a second timeout while still not responding
            spans[-1] = (spans[-1][0], max(spans[-1][1], stop))
        elif stop > at:
            spans.append((at, stop))
    return spans


def _routing(
    seed: int,
    user: str,
    presence: list[tuple[int, str]],
    work: list[Span],
    timeouts: Sequence[int] = (),
    direct: list[Span] | None = None,
) -> list[tuple[int, str]]:
    logout = presence[0][0]  # the end of an earlier ON_QUEUE period, or the org's creation
    lagged = logout if logout == ORIGIN_MS else logout + _lag(seed, user, logout)
    changes: list[tuple[int, str]] = [(lagged, "OFF_QUEUE")]
    for (at, value), (until, _) in itertools.pairwise(presence):
        if value != "ON_QUEUE":
            continue
        begin, finish = at + _lag(seed, user, at), until + _lag(seed, user, until)
        changes.append((begin, "IDLE"))
        inside = [w for w in work if begin <= w[0] and w[1] <= until]
        missed = not_responding(seed, user, timeouts, inside, (begin, until))
        calls = [c for c in direct or [] if begin <= c[0] and c[1] <= until]
        pieces = sorted(
            [(*w, "INTERACTING") for w in subtract(inside, calls)]
            + [(*c, "COMMUNICATING") for c in calls]
            + [(*m, "NOT_RESPONDING") for m in missed]
        )
        for index, (p_start, p_end, value) in enumerate(pieces):
            changes.append((p_start, value))
            if index + 1 == len(pieces) or pieces[index + 1][0] != p_end:
                changes.append((p_end, "IDLE"))
        changes.append((finish, "OFF_QUEUE"))
    return changes


def _records(
    changes: list[tuple[int, str]], start: int, end: int, now: int, *, with_ids: bool
) -> tuple[Status, ...]:
    """Status changes → records overlapping [start, end) that began by now (the one holding now open)."""
    squeezed: list[tuple[int, str]] = []
    for at, value in sorted(changes, key=lambda c: c[0]):
        if squeezed and squeezed[-1][0] == at:
            squeezed[-1] = (at, value)
        elif not squeezed or squeezed[-1][1] != value:
            squeezed.append((at, value))
    out: list[Status] = []
    for (at, value), (until, _) in itertools.pairwise(squeezed):
        if at > now or at >= end:
            break
        if until <= start:
            continue
        closed = until if until <= now else None
        out.append(Status(at, closed, value, SYSTEM_PRESENCE_IDS[value] if with_ids else None))
    return tuple(out)
