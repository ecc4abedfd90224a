"""Asynchronous details jobs: watermark, submit (or resume), poll, cursor paging, delete (REFERENCE.md §5).

Example::

    for page in iter_job_pages(client, start, end, on_job_submitted=state.remember_job):
        write(page.items)
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator, Iterator, Sequence
from datetime import datetime
from typing import Any

import pyarrow as pa

from gcexport.api.paging import PollPolicy, in_window_lazily
from gcexport.client import GenesysClient, Page
from gcexport.errors import (
    ApiError,
    AuthError,
    DataError,
    GcExportError,
    JobFailedError,
    QueryValidationError,
)
from gcexport.models import DetailsJobQuery, Filter, Interval, format_instant, parse_instant

log = logging.getLogger(__name__)

__all__ = [
    "JOBS_PATH",
    "PollPolicy",
    "delete_job",
    "get_availability",
    "iter_job_pages",
    "submit_job",
    "wait_for_job",
]

JOBS_PATH = "/api/v2/analytics/conversations/details/jobs"
JOB_PATH = JOBS_PATH + "/{jobId}"
RESULTS_PATH = JOB_PATH + "/results"
AVAILABILITY_PATH = JOBS_PATH + "/availability"
SUBMIT_ATTEMPTS = 4  # POSTs of one details job; each ambiguous failure may leave an orphan (§16)
TERMINAL_FAILURES = frozenset({"FAILED", "CANCELLED", "EXPIRED"})  # REFERENCE.md §5.2
_RESULTS_TOP_LEVEL = {"cursor": pa.string(), "dataAvailabilityDate": pa.string()}  # §5.3


def get_availability(client: GenesysClient) -> datetime:
    """The data-lake watermark: jobs only hold data up to this instant (REFERENCE.md §10)."""
    body = client.request("GET", AVAILABILITY_PATH).json()
    value = body.get("dataAvailabilityDate") if isinstance(body, dict) else None
    if not isinstance(value, str):
        raise DataError(f"{AVAILABILITY_PATH} answered without dataAvailabilityDate")
    return parse_instant(value)


def submit_job(client: GenesysClient, query: DetailsJobQuery) -> str:
    """Submit a details job and return its id (202 ``{jobId}``).

    Bounded (REFERENCE.md §16 item 7): a gateway 5xx or a dropped connection may come after the
    platform accepted the job, and jobs cannot be listed, so each ambiguous failure may leave one
    orphan job; at most SUBMIT_ATTEMPTS POSTs are sent, not the transport's usual retries.
    """
    for attempt in range(1, SUBMIT_ATTEMPTS + 1):
        try:
            body = client.request(
                "POST", JOBS_PATH, json=query.to_api(), once_if_ambiguous=True
            ).json()
            break
        except ApiError as exc:
            ambiguous = not isinstance(exc, AuthError) and (exc.status is None or exc.status >= 500)
            if not ambiguous or attempt == SUBMIT_ATTEMPTS:
                raise
            log.warning(
                "details job submission failed ambiguously (%s); it may exist as an orphan",
                exc.status,
            )
            client.clock.sleep(2.0**attempt)
    job_id = body.get("jobId") if isinstance(body, dict) else None
    if not isinstance(job_id, str) or not job_id:
        raise DataError(f"{JOBS_PATH} accepted the job but returned no jobId")
    return job_id


def job_state(client: GenesysClient, job_id: str) -> dict[str, Any]:
    """The job's ``AsyncQueryStatus`` (200 or 202, read `state` either way, §5)."""
    body = client.request("GET", f"{JOBS_PATH}/{job_id}", endpoint=JOB_PATH).json()
    if not isinstance(body, dict) or not isinstance(body.get("state"), str):
        raise DataError(f"job {job_id}: status without a state")
    return body


def wait_for_job(client: GenesysClient, job_id: str, poll: PollPolicy) -> dict[str, Any]:
    """Poll with growing waits on the client's clock until FULFILLED; raise on a terminal failure."""
    status = job_state(client, job_id)
    for wait in poll.intervals():
        _raise_if_failed(job_id, status)
        if status["state"] == "FULFILLED":
            return status
        client.clock.sleep(wait)
        status = job_state(client, job_id)
    _raise_if_failed(job_id, status)
    if status["state"] == "FULFILLED":
        return status
    raise JobFailedError(
        f"job {job_id} still {status['state']} after {poll.timeout:.0f}s of polling",
        job_id=job_id,
        state="TIMED_OUT",
        endpoint=JOB_PATH,
    )


def _raise_if_failed(job_id: str, status: dict[str, Any]) -> None:
    state = status["state"]
    if state in TERMINAL_FAILURES:
        reason = status.get("errorMessage") or "no error message"
        raise JobFailedError(
            f"details job {job_id} ended {state}: {reason}",
            job_id=job_id,
            state=state,
            endpoint=JOB_PATH,
        )


def delete_job(client: GenesysClient, job_id: str) -> None:
    """Cancel/delete a job (204); one already gone (404, e.g. a retried DELETE) counts as deleted."""
    try:
        client.request("DELETE", f"{JOBS_PATH}/{job_id}", endpoint=JOB_PATH)
    except ApiError as exc:
        if exc.status != 404:
            raise


def iter_job_pages(
    client: GenesysClient,
    start: datetime,
    end: datetime,
    *,
    page_size: int = 1000,
    poll: PollPolicy | None = None,
    job_id: str | None = None,
    on_job_submitted: Callable[[str], None] | None = None,
    segment_filters: Sequence[Filter] | None = None,
    conversation_filters: Sequence[Filter] | None = None,
    check_availability: bool = True,
    start_of_day: bool = False,
) -> Generator[Page, None, None]:
    """Pages of job results, filtered to conversations starting in ``[start, end)``.

    `start_of_day` sends `startOfDayIntervalMatching` (REFERENCE.md §5.1): only conversations
    starting on or after the UTC start of day of `start`, instead of every one whose lifetime
    overlaps the window (weeks of long-lived emails, all thrown away by the filter above).

    Refuses a window past the availability watermark (jobs would silently return less, §10).
    Reuses `job_id` when it is still valid (crash-resume); deletes the job after the last page
    and when the caller stops early.
    """
    window = Interval.of(start, end)
    if check_availability:
        _check_watermark(client, window)
    query = DetailsJobQuery(
        interval=window,
        segment_filters=list(segment_filters or []) or None,
        conversation_filters=list(conversation_filters or []) or None,
        start_of_day_interval_matching=True if start_of_day else None,
    )
    job_id = _resume_or_submit(client, query, job_id, on_job_submitted, poll or PollPolicy())
    try:
        yield from _iter_results(client, job_id, window, page_size)
    except GcExportError:
        _delete_after_failure(client, job_id)
        raise
    except GeneratorExit:  # the caller stopped early: release the job's results now
        _release(client, job_id, "after an early stop")
        raise
    _release(client, job_id, "after its last page")


def _check_watermark(client: GenesysClient, window: Interval) -> None:
    available = get_availability(client)
    if window.end > available:
        raise QueryValidationError(
            f"window {window.to_api()} ends after the details-job data availability date"
            f" {format_instant(available)}; jobs would return partial data — use the details"
            " query for the part after it"
        )


def _resume_or_submit(
    client: GenesysClient,
    query: DetailsJobQuery,
    job_id: str | None,
    on_job_submitted: Callable[[str], None] | None,
    poll: PollPolicy,
) -> str:
    if job_id is not None and _still_valid(client, job_id):
        wait_for_job(client, job_id, poll)
        return job_id
    job_id = submit_job(client, query)
    if on_job_submitted is not None:
        on_job_submitted(job_id)
    try:
        wait_for_job(client, job_id, poll)
    except GcExportError:
        _delete_after_failure(client, job_id)
        raise
    return job_id


def _still_valid(client: GenesysClient, job_id: str) -> bool:
    try:
        state = job_state(client, job_id)["state"]
    except ApiError as exc:
        if exc.status in (400, 404):
            return False
        raise
    return state not in TERMINAL_FAILURES


def _delete_after_failure(client: GenesysClient, job_id: str) -> None:
    # The job's own failure is the error worth reporting; a failed cleanup is logged, not raised.
    _release(client, job_id, "after a failure")


def _release(client: GenesysClient, job_id: str, when: str) -> None:
    """Delete a job whose results are no longer needed; a failed DELETE is logged, not raised.

    Every row has been read (or the run is already failing): a job left behind only holds results
    until its `expirationDate` (REFERENCE.md §5.2), so it must not fail an export that is complete.
    """
    try:
        delete_job(client, job_id)
    except GcExportError as exc:
        log.warning("could not delete details job %s %s: %s", job_id, when, exc)


def _iter_results(
    client: GenesysClient, job_id: str, window: Interval, page_size: int
) -> Iterator[Page]:
    cursor: str | None = None
    seen: set[str] = set()
    while True:
        params: dict[str, Any] = {"pageSize": page_size}
        if cursor is not None:
            params["cursor"] = cursor
        page = client.request(
            "GET",
            f"{JOBS_PATH}/{job_id}/results",
            params=params,
            endpoint=RESULTS_PATH,
            items_key="conversations",
        )
        top = page.top_level(_RESULTS_TOP_LEVEL)  # the conversations stay unparsed
        cursor = top["cursor"] or None
        yield in_window_lazily(
            page, window, cursor=cursor, data_availability=top["dataAvailabilityDate"]
        )
        if cursor is None:
            return
        if cursor in seen:
            raise DataError(
                f"job {job_id}: the results cursor repeated ({cursor[:40]}); stopping instead of looping"
            )
        seen.add(cursor)
