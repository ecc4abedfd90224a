"""The routes every async analytics job family shares: status, results by cursor and delete.

Conversation details jobs (REFERENCE.md §5) and user details jobs (DATASETS.md §1.4) answer the
same way: a job polled while QUEUED or PENDING is 202, results before FULFILLED are 400, results of
an EXPIRED job are 404, a deleted job is gone, and the results' cursor belongs to its job.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar

from gcexport.emulator.http import Call, Reply, Routes
from gcexport.emulator.problems import bad_request, not_found

__all__ = ["JobBookLike", "add_job_routes", "cursor_for", "offset_of"]


class _JobLike(Protocol):
    id: str
    cancelled: bool


JobT = TypeVar("JobT", bound=_JobLike)


class JobBookLike(Protocol[JobT]):
    """What the shared routes need of a family's job book."""

    @property
    def jobs(self) -> Mapping[str, JobT]: ...

    def state(self, job: JobT) -> str: ...

    def status(self, job: JobT) -> dict[str, Any]: ...

    def page(self, job: JobT, offset: int, size: int) -> bytes | dict[str, Any]: ...


def add_job_routes(
    routes: Routes,
    base: str,
    book: JobBookLike[JobT],
    *,
    page_size_max: Callable[[], int],
    default_page_size: Callable[[], int],
) -> None:
    """Register `GET {base}/{jobId}`, `GET {base}/{jobId}/results` and `DELETE {base}/{jobId}`."""

    def job_of(call: Call) -> JobT:
        job = book.jobs.get(call.params["jobId"])
        if job is None or job.cancelled:
            raise not_found()
        return job

    def get_status(call: Call) -> Reply:
        body = book.status(job_of(call))
        return Reply.json(body, 202 if body["state"] in ("QUEUED", "PENDING") else 200)

    def get_results(call: Call) -> Reply:
        job = job_of(call)
        state = book.state(job)
        if state == "EXPIRED":
            raise not_found()
        if state != "FULFILLED":
            raise bad_request(f"Results are not available for a job in state {state}.")
        size, most = call.int_arg("pageSize", default_page_size()), page_size_max()
        if not 1 <= size <= most:
            raise bad_request(f"The page size must be between 1 and {most}.")
        body = book.page(job, offset_of(job.id, call.arg("cursor")), size)
        return Reply(200, body) if isinstance(body, bytes) else Reply.json(body)

    def delete_job(call: Call) -> Reply:
        job_of(call).cancelled = True
        return Reply(204)

    routes.add("GET", f"{base}/{{jobId}}", get_status)
    routes.add("GET", f"{base}/{{jobId}}/results", get_results)
    routes.add("DELETE", f"{base}/{{jobId}}", delete_job)


def cursor_for(job_id: str, offset: int) -> str:
    """The opaque cursor of a job's results from `offset` on."""
    return base64.urlsafe_b64encode(f"{job_id}:{offset}".encode()).decode().rstrip("=")


def offset_of(job_id: str, cursor: str | None) -> int:
    """Where `cursor` points in `job_id`'s results; 400 for a cursor of another job or garbage."""
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        owner, offset = text.rsplit(":", 1)
        value = int(offset)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        owner, value = "", -1
    if owner != job_id or value < 0:
        raise bad_request(f"The cursor [{cursor}] is not valid for this job.")
    return value
