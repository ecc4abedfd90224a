"""User status details (DATASETS.md §1): the sync query and the async jobs over the agents' timelines.

The query finds a record through the UTC days it is indexed on — its start day and its end day
(an open record: every day from its start up to now) — so a record spanning three days or more is
missing from a query for a middle day. Both copies are paged and the second is dropped after
paging, so pages hold fewer records than asked and one user's records spread over pages (§1.3).
Jobs use overlap semantics (configurable: `JOB_INDEX_DAYS`) and serve the data as it stood at the
availability watermark taken when the job was submitted.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from gcexport.emulator.agents import AgentTime, Status, Timeline
from gcexport.emulator.backend import Backend
from gcexport.emulator.filters import Family, Filter, parse_filters, row_lookup
from gcexport.emulator.http import Call, Reply, Routes
from gcexport.emulator.jobroutes import add_job_routes, cursor_for
from gcexport.emulator.problems import bad_request, invalid_value
from gcexport.emulator.wire import (
    DAY_MS,
    ceil_day,
    dumps,
    floor_day,
    iso,
    iso_seconds,
    parse_interval,
)

USER = Family("UserDetailQueryPredicate", ("userId",), ())
PRESENCE = Family("PresenceDetailQueryPredicate", ("systemPresence", "organizationPresenceId"), ())
ROUTING = Family("RoutingStatusDetailQueryPredicate", ("routingStatus",), ())
MAX_PAGE_SIZE = 100  # DATASETS.md §1.3 (laggyzee pages by 100) [UNVERIFIED as a documented max]
MAX_RESULTS = 100_000  # pageSize × pageNumber cap, as for conversations [UNVERIFIED]
JOB_INDEX_DAYS = (
    False  # jobs: overlap semantics; True = index-day semantics like the query [UNVERIFIED]
)
_ORDERS = ("asc", "desc", "unordered")
PRESENCE_KIND, ROUTING_KIND = 0, 1


@dataclass(frozen=True)
class UserSelection:
    """A validated UserDetailsQuery / AsyncUserDetailsQuery (interval, filters, order)."""

    start: int
    end: int
    users: list[Filter]
    presence: list[Filter]
    routing: list[Filter]
    order: str

    @property
    def filtered(self) -> bool:
        return bool(self.users or self.presence or self.routing)

    def wants_user(self, user_id: str) -> bool:
        return all(f.test(row_lookup({"userId": user_id})) for f in self.users)

    def wants(self, kind: int, record: Status) -> bool:
        if kind == PRESENCE_KIND:
            row = {"systemPresence": record.value, "organizationPresenceId": record.org_id}
            return all(f.test(row_lookup(row)) for f in self.presence)
        return all(f.test(row_lookup({"routingStatus": record.value})) for f in self.routing)


def parse_user_selection(body: dict[str, Any]) -> UserSelection:
    """Validate like the service: required interval, userId-only user filters, a known order."""
    try:
        start, end = parse_interval(body.get("interval"))
    except ValueError:
        raise bad_request(
            "The interval is required and must be 'start/end' ISO-8601 instants."
        ) from None
    order = body.get("order", "asc")
    if order not in _ORDERS:
        raise invalid_value(order, "SortOrder", _ORDERS)
    return UserSelection(
        start, end, parse_filters(body.get("userFilters"), USER),
        parse_filters(body.get("presenceFilters"), PRESENCE),
        parse_filters(body.get("routingStatusFilters"), ROUTING), order,
    )  # fmt: skip


Entry = tuple[str, int, Status]  # (user id, kind, record)


def record_json(kind: int, record: Status) -> dict[str, Any]:
    """AnalyticsUserPresenceRecord / AnalyticsRoutingStatusRecord; no endTime while open (§1.7.4)."""
    body: dict[str, Any] = {"startTime": iso(record.start)}
    if record.end is not None:
        body["endTime"] = iso(record.end)
    if kind == PRESENCE_KIND:
        body.update(systemPresence=record.value, organizationPresenceId=record.org_id)
    else:
        body["routingStatus"] = record.value
    return body


def user_details(entries: list[Entry]) -> list[dict[str, Any]]:
    """A page's records grouped by user, users in order of first appearance; empty arrays omitted."""
    grouped: dict[str, dict[str, Any]] = {}
    for user_id, kind, record in entries:
        detail = grouped.setdefault(user_id, {"userId": user_id})
        key = "primaryPresence" if kind == PRESENCE_KIND else "routingStatus"
        detail.setdefault(key, []).append(record_json(kind, record))
    return list(grouped.values())


def _records(timeline: Timeline) -> list[tuple[int, Status]]:
    return [(PRESENCE_KIND, r) for r in timeline.presence] + [
        (ROUTING_KIND, r) for r in timeline.routing
    ]


def index_days(record: Status, now: int) -> list[int]:
    """The UTC days a record is stored under: start and end day; open: every day up to now (§1.7.2)."""
    first = floor_day(record.start)
    if record.end is None:
        return list(range(first, floor_day(now) + DAY_MS, DAY_MS))
    return sorted({first, floor_day(record.end)})


def raw_entries(agents: AgentTime, sel: UserSelection, now: int) -> list[Entry]:
    """Every stored copy the query pages over, in index-day then start order (duplicates kept)."""
    first, last = floor_day(sel.start), ceil_day(sel.end)
    keyed: list[tuple[int, int, str, int, Status]] = []
    for user_id in agents.user_ids():
        if not sel.wants_user(user_id):
            continue
        for kind, record in _records(agents.timeline(user_id, first - 1, last, now)):
            if not sel.wants(kind, record):
                continue
            for day in index_days(record, now):
                if first <= day < last:
                    keyed.append((day, record.start, user_id, kind, record))
    keyed.sort(key=lambda k: k[:4], reverse=sel.order == "desc")
    return [(user_id, kind, record) for _, _, user_id, kind, record in keyed]


def overlap_entries(agents: AgentTime, sel: UserSelection, now: int) -> list[Entry]:
    """Job semantics: each record overlapping the interval once, in start order."""
    keyed: list[tuple[int, str, int, Status]] = []
    for user_id in agents.user_ids():
        if sel.wants_user(user_id):
            for kind, record in _records(agents.timeline(user_id, sel.start, sel.end, now)):
                if sel.wants(kind, record):
                    keyed.append((record.start, user_id, kind, record))
    keyed.sort(key=lambda k: k[:3], reverse=sel.order == "desc")
    return [(user_id, kind, record) for _, user_id, kind, record in keyed]


def first_seen(entries: list[Entry]) -> list[bool]:
    """For each stored copy: is it the first copy of its record (the others are dropped after paging)?"""
    seen: set[tuple[str, int, int]] = set()
    flags = []
    for user_id, kind, record in entries:
        key = (user_id, kind, record.start)
        flags.append(key not in seen)
        seen.add(key)
    return flags


class QueryBook:
    """The last few queries' stored copies, so paging through one query computes it once."""

    def __init__(self, agents: AgentTime) -> None:
        self.agents = agents
        self._cache: OrderedDict[tuple[bytes, int], tuple[list[Entry], list[bool]]] = OrderedDict()
        self._lock = threading.Lock()

    def run(self, body: dict[str, Any], now: int) -> bytes:
        sel = parse_user_selection(body)
        size, number = _paging(body)
        days = 31 if sel.filtered else 7
        if sel.end - sel.start > days * DAY_MS:
            raise bad_request(
                f"You must specify a search interval as part of your query that does not exceed {days} days."
            )
        entries, firsts = self._stored(body, sel, now)
        total = sum(firsts)
        if total == 0:
            return b'{"totalHits":0}'
        lo, hi = (number - 1) * size, number * size
        page = [e for e, keep in zip(entries[lo:hi], firsts[lo:hi], strict=True) if keep]
        reply: dict[str, Any] = {"userDetails": user_details(page)} if page else {}
        reply["totalHits"] = total
        return dumps(reply)

    def _stored(
        self, body: dict[str, Any], sel: UserSelection, now: int
    ) -> tuple[list[Entry], list[bool]]:
        key = (dumps({k: v for k, v in body.items() if k != "paging"}), now)
        with self._lock:
            found = self._cache.get(key)
        if found is None:
            entries = raw_entries(self.agents, sel, now)
            found = (entries, first_seen(entries))
            with self._lock:
                self._cache[key] = found
                while len(self._cache) > 4:
                    self._cache.popitem(last=False)
        return found


def _paging(body: dict[str, Any]) -> tuple[int, int]:
    paging = body.get("paging") or {}
    if not isinstance(paging, dict):
        raise bad_request()
    size, number = int(paging.get("pageSize", 25)), int(paging.get("pageNumber", 1))
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise bad_request(f"The page size must be between 1 and {MAX_PAGE_SIZE}.")
    if number < 1:
        raise bad_request("The page number must be 1 or greater.")
    if size * number > MAX_RESULTS:
        raise bad_request(f"Pagination may not exceed {MAX_RESULTS} results.")
    return size, number


@dataclass
class UserJob:
    """One submitted user details job; its records are found on the first results call."""

    id: str
    selection: UserSelection
    limit: int | None
    submitted_mono: float
    submitted_ms: int
    watermark: int
    cancelled: bool = False
    entries: list[Entry] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


class UserJobBook:
    """User details jobs, advanced lazily from the clock (same states as conversation jobs)."""

    def __init__(self, backend: Backend, agents: AgentTime) -> None:
        self.backend, self.agents = backend, agents
        self.jobs: dict[str, UserJob] = {}

    def submit(self, body: dict[str, Any]) -> UserJob:
        sel = parse_user_selection(body)
        limit = body.get("limit")
        if limit is not None and (not isinstance(limit, int) or limit < 1):
            raise bad_request("The limit must be a positive integer.")
        b = self.backend
        job = UserJob(
            str(uuid.uuid4()), sel, limit, b.clock.monotonic(), b.now_ms(), b.watermark_ms()
        )
        self.jobs[job.id] = job
        return job

    def state(self, job: UserJob) -> str:
        cfg, elapsed = self.backend.config, self.backend.clock.monotonic() - job.submitted_mono
        if job.cancelled:
            return "CANCELLED"
        if elapsed < cfg.job_queued_seconds:
            return "QUEUED"
        done_at = cfg.job_queued_seconds + cfg.job_pending_seconds
        if elapsed < done_at:
            return "PENDING"
        return "EXPIRED" if elapsed >= done_at + cfg.job_expiry_seconds else "FULFILLED"

    def status(self, job: UserJob) -> dict[str, Any]:
        cfg, state = self.backend.config, self.state(job)
        done = job.submitted_ms + int((cfg.job_queued_seconds + cfg.job_pending_seconds) * 1000)
        body: dict[str, Any] = {"state": state, "submissionDate": iso(job.submitted_ms)}
        if state in ("FULFILLED", "EXPIRED"):
            body["completionDate"] = iso(done)
            body["expirationDate"] = iso(done + int(cfg.job_expiry_seconds * 1000))
        return body

    def entries(self, job: UserJob) -> list[Entry]:
        """The job's records as of its watermark (data after it is simply missing, §1.7.5)."""
        with job.lock:
            if job.entries is None:
                mark, sel = job.watermark, job.selection
                if JOB_INDEX_DAYS:
                    raw = raw_entries(self.agents, sel, mark)
                    found = [e for e, keep in zip(raw, first_seen(raw), strict=True) if keep]
                else:
                    found = overlap_entries(self.agents, sel, mark)
                job.entries = found[: job.limit] if job.limit else found
            return job.entries

    def page(self, job: UserJob, offset: int, size: int) -> dict[str, Any]:
        entries = self.entries(job)
        body: dict[str, Any] = {}
        chunk = entries[offset : offset + size]
        if chunk:
            body["userDetails"] = user_details(chunk)
        if offset + size < len(entries):
            body["cursor"] = cursor_for(job.id, offset + size)
        body["dataAvailabilityDate"] = iso_seconds(job.watermark)
        return body


def add_routes(routes: Routes, backend: Backend, agents: AgentTime) -> None:
    """Register the user details query and the six user details job routes."""
    queries, book = QueryBook(agents), UserJobBook(backend, agents)
    base = "/api/v2/analytics/users/details"

    def post_query(call: Call) -> Reply:
        return Reply(200, queries.run(call.json(), backend.now_ms()))

    def post_job(call: Call) -> Reply:
        return Reply.json({"jobId": book.submit(call.json()).id}, 202)

    def get_availability(call: Call) -> Reply:
        return Reply.json({"dataAvailabilityDate": iso_seconds(backend.watermark_ms())})

    routes.add("POST", f"{base}/query", post_query)
    routes.add("POST", f"{base}/jobs", post_job)
    routes.add("GET", f"{base}/jobs/availability", get_availability)
    add_job_routes(
        routes,
        f"{base}/jobs",
        book,
        page_size_max=lambda: backend.config.job_page_size_max,
        default_page_size=lambda: 1000,
    )
