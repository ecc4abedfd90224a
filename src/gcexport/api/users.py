"""Agent time endpoints: user details query (the tail) and jobs (bulk), user aggregates batched by 100 users.

Facts it relies on (DATASETS.md §1–§2): the details query matches a status record through the
UTC days it is stored under (start day and end day; an open record every day up to now), returns
records unclipped, and drops the second stored copy after paging, so pages may hold fewer records
than asked — even none while more follow — and a user's records spread over pages. The query
interval is capped at 7 days (31 with filters). Jobs answer before their own availability
watermark. The aggregates query names at most 100 users.

Example::

    for page in iter_user_detail_pages(client, start, end):
        rows.extend(page.items)  # AnalyticsUserDetail objects, possibly one user several times
"""

from __future__ import annotations

import logging
from collections.abc import Generator, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from gcexport.api.paging import PollPolicy, iter_numbered_pages, with_items
from gcexport.client import GenesysClient, Page
from gcexport.errors import ApiError, DataError, GcExportError, JobFailedError, QueryValidationError
from gcexport.models import Interval, format_instant, parse_instant

log = logging.getLogger(__name__)

__all__ = [
    "MAX_USERS_PER_AGGREGATE",
    "STATUS_METRICS",
    "USER_AGGREGATES_PATH",
    "USER_DETAILS_QUERY_PATH",
    "USER_JOBS_PATH",
    "get_user_availability",
    "iter_divisions",
    "iter_groups",
    "iter_presence_definitions",
    "iter_queue_members",
    "iter_skills",
    "iter_teams",
    "iter_user_aggregate_pages",
    "iter_user_detail_pages",
    "iter_user_job_pages",
]

USER_DETAILS_QUERY_PATH = "/api/v2/analytics/users/details/query"
USER_JOBS_PATH = "/api/v2/analytics/users/details/jobs"
_JOB_PATH = USER_JOBS_PATH + "/{jobId}"
_RESULTS_PATH = _JOB_PATH + "/results"
USER_AGGREGATES_PATH = "/api/v2/analytics/users/aggregates/query"
MAX_USERS_PER_AGGREGATE = 100  # DATASETS.md §2.2
STATUS_METRICS = ("tSystemPresence", "tOrganizationPresence", "tAgentRoutingStatus")
QUERY_PAGE_SIZE = 100  # DATASETS.md §1.3
MAX_QUERY_DAYS = 7  # unfiltered interval cap (§1.3)
MAX_PAGING_RESULTS = 100_000  # pageSize × pageNumber [UNVERIFIED for users; as conversations]
_FAILED = frozenset({"FAILED", "CANCELLED", "EXPIRED"})


def iter_user_detail_pages(
    client: GenesysClient, start: datetime, end: datetime, *, page_size: int = QUERY_PAGE_SIZE
) -> Iterator[Page]:
    """Every page of the details query over whole-UTC-day slices (≤ 7 days) covering [start, end).

    A page's `items` are its `userDetails`. Paging goes on past short and empty pages until a
    page is empty and as many distinct records as `totalHits` have been seen, or the paging cap.
    """
    day = datetime(start.year, start.month, start.day, tzinfo=start.tzinfo)
    while day < end:
        stop = min(day + timedelta(days=MAX_QUERY_DAYS), _ceil_day(end))
        yield from _iter_slice(client, Interval.of(day, stop), page_size)
        day = stop


def _ceil_day(moment: datetime) -> datetime:
    floor = datetime(moment.year, moment.month, moment.day, tzinfo=moment.tzinfo)
    return floor if floor == moment else floor + timedelta(days=1)


def _iter_slice(client: GenesysClient, interval: Interval, page_size: int) -> Iterator[Page]:
    seen: set[tuple[str, str, str]] = set()
    number = 1
    while number * page_size <= MAX_PAGING_RESULTS:
        body = {"interval": interval.to_api(), "order": "asc",
                "paging": {"pageSize": page_size, "pageNumber": number}}  # fmt: skip
        page = client.request("POST", USER_DETAILS_QUERY_PATH, json=body, items_key="userDetails")
        total = page.json().get("totalHits") or 0
        keys = _record_keys(page.items)
        seen |= keys
        yield with_items(page, page.items, total_hits=total, page_number=number)
        if not page.items and len(seen) >= total:
            return
        number += 1
    raise DataError(
        f"{USER_DETAILS_QUERY_PATH} {interval.to_api()}: paging cap reached with {len(seen)} records read"
    )


def _record_keys(details: list[dict[str, Any]]) -> set[tuple[str, str, str]]:
    keys = set()
    for detail in details:
        user = str(detail.get("userId"))
        keys |= {(user, "p", str(r.get("startTime"))) for r in detail.get("primaryPresence") or []}
        keys |= {(user, "r", str(r.get("startTime"))) for r in detail.get("routingStatus") or []}
    return keys


def get_user_availability(client: GenesysClient) -> datetime:
    """The user details jobs' watermark (`dataAvailabilityDate`)."""
    body = client.request("GET", USER_JOBS_PATH + "/availability").json()
    value = body.get("dataAvailabilityDate") if isinstance(body, dict) else None
    if not isinstance(value, str):
        raise DataError(f"{USER_JOBS_PATH}/availability answered without dataAvailabilityDate")
    return parse_instant(value)


def iter_user_job_pages(
    client: GenesysClient,
    start: datetime,
    end: datetime,
    *,
    page_size: int = 1000,
    poll: PollPolicy | None = None,
) -> Generator[Page, None, None]:
    """Result pages of one user details job over [start, end), which must end by the watermark."""
    window = Interval.of(start, end)
    available = get_user_availability(client)
    if window.end > available:
        raise QueryValidationError(
            f"window {window.to_api()} ends after the user details jobs' data availability date"
            f" {format_instant(available)}; use the user details query for the part after it"
        )
    body = client.request(
        "POST", USER_JOBS_PATH, json={"interval": window.to_api(), "order": "asc"}
    )
    job_id = body.json().get("jobId")
    if not isinstance(job_id, str) or not job_id:
        raise DataError(f"{USER_JOBS_PATH} accepted the job but returned no jobId")
    try:
        _wait(client, job_id, poll or PollPolicy())
        yield from _iter_results(client, job_id, page_size)
    finally:
        _release(client, job_id)


def _state(client: GenesysClient, job_id: str) -> str:
    body = client.request("GET", f"{USER_JOBS_PATH}/{job_id}", endpoint=_JOB_PATH).json()
    state = body.get("state") if isinstance(body, dict) else None
    if not isinstance(state, str):
        raise DataError(f"user details job {job_id}: status without a state")
    if state in _FAILED:
        raise JobFailedError(
            f"user details job {job_id} ended {state}: {body.get('errorMessage') or 'no error message'}",
            job_id=job_id, state=state, endpoint=_JOB_PATH,
        )  # fmt: skip
    return state


def _wait(client: GenesysClient, job_id: str, poll: PollPolicy) -> None:
    for wait in poll.intervals():
        if _state(client, job_id) == "FULFILLED":
            return
        client.clock.sleep(wait)
    if _state(client, job_id) != "FULFILLED":
        raise JobFailedError(
            f"user details job {job_id} not done after {poll.timeout:.0f}s of polling",
            job_id=job_id, state="TIMED_OUT", endpoint=_JOB_PATH,
        )  # fmt: skip


def _iter_results(client: GenesysClient, job_id: str, page_size: int) -> Iterator[Page]:
    cursor: str | None = None
    seen: set[str] = set()
    while True:
        params: dict[str, Any] = {"pageSize": page_size, **({"cursor": cursor} if cursor else {})}
        page = client.request("GET", f"{USER_JOBS_PATH}/{job_id}/results", params=params,
                              endpoint=_RESULTS_PATH, items_key="userDetails")  # fmt: skip
        body = page.json()
        cursor = body.get("cursor") or None
        yield with_items(
            page, page.items, cursor=cursor, data_availability=body.get("dataAvailabilityDate")
        )
        if cursor is None:
            return
        if cursor in seen:
            raise DataError(f"user details job {job_id}: the results cursor repeated")
        seen.add(cursor)


def _release(client: GenesysClient, job_id: str) -> None:
    try:
        client.request("DELETE", f"{USER_JOBS_PATH}/{job_id}", endpoint=_JOB_PATH)
    except ApiError as exc:
        if exc.status != 404:
            log.warning("could not delete user details job %s: %s", job_id, exc)
    except GcExportError as exc:
        log.warning("could not delete user details job %s: %s", job_id, exc)


def iter_user_aggregate_pages(
    client: GenesysClient,
    start: datetime,
    end: datetime,
    user_ids: Sequence[str],
    *,
    granularity: str = "PT30M",
    time_zone: str = "UTC",
) -> Iterator[Page]:
    """One aggregates response per batch of at most 100 users; `items` are its `results`.

    Each page carries the batch's `systemToOrganizationMappings` in `page.json()`.
    """
    ids = sorted(set(user_ids))
    for first in range(0, len(ids), MAX_USERS_PER_AGGREGATE):
        batch = ids[first : first + MAX_USERS_PER_AGGREGATE]
        body = {
            "interval": Interval.of(start, end).to_api(), "granularity": granularity,
            "timeZone": time_zone, "groupBy": ["userId"], "metrics": list(STATUS_METRICS),
            "filter": {"type": "or", "predicates": [
                {"type": "dimension", "dimension": "userId", "operator": "matches", "value": u}
                for u in batch]},
        }  # fmt: skip
        page = client.request("POST", USER_AGGREGATES_PATH, json=body, items_key="results")
        yield with_items(page, page.items)


def iter_presence_definitions(client: GenesysClient) -> Iterator[Page]:
    """Every presence definition, system and custom (not paged; `localeCode=ALL`, DATASETS.md §1.5)."""
    page = client.request(
        "GET", "/api/v2/presence/definitions", params={"localeCode": "ALL"}, items_key="entities"
    )
    yield with_items(page, page.items)


def iter_queue_members(client: GenesysClient, queue_id: str) -> Iterator[Page]:
    """One queue's members (pageSize at most 100; the listing has no pageCount, so nextUri ends it)."""
    return iter_numbered_pages(client, f"/api/v2/routing/queues/{queue_id}/members", page_size=100)


def iter_skills(client: GenesysClient) -> Iterator[Page]:
    """Every routing skill."""
    return iter_numbered_pages(client, "/api/v2/routing/skills", page_size=100)


def iter_divisions(client: GenesysClient) -> Iterator[Page]:
    """Every authorization division."""
    return iter_numbered_pages(client, "/api/v2/authorization/divisions", page_size=100)


def iter_groups(client: GenesysClient) -> Iterator[Page]:
    """Every group (official and social)."""
    return iter_numbered_pages(client, "/api/v2/groups", page_size=100)


def iter_teams(client: GenesysClient, *, page_size: int = 100) -> Iterator[Page]:
    """Every team: cursor paging by `nextUri` (`after`), no total (DATASETS.md §3)."""
    path: str | None = f"/api/v2/teams?pageSize={page_size}"
    seen: set[str] = set()
    while path is not None:
        page = client.request("GET", path, endpoint="/api/v2/teams", items_key="entities")
        yield with_items(page, page.items)
        following = page.json().get("nextUri")
        if not following or not page.items:
            return
        if following in seen:
            raise DataError(f"/api/v2/teams: the cursor repeated ({following[:60]})")
        seen.add(following)
        path = following
