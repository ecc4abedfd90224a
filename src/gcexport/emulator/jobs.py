"""Asynchronous details jobs (REFERENCE.md §5): submit, status on the emulator clock, cursor results, delete.

Job results follow the documented overlap semantics (a conversation's lifetime overlaps the
interval) and are capped at the watermark: a conversation is served only once it has ENDED at or
before `dataAvailabilityDate` (taken at submission), always in its final version.
"""

from __future__ import annotations

import threading
import uuid
from array import array
from dataclasses import dataclass, field
from typing import Any

from gcexport.emulator.backend import Backend
from gcexport.emulator.dataset import end_at, record_at, view_at
from gcexport.emulator.details import Selection, parse_selection
from gcexport.emulator.http import Call, Reply, Routes
from gcexport.emulator.jobroutes import add_job_routes, cursor_for
from gcexport.emulator.lifetimes import MAX_OPEN_DAYS
from gcexport.emulator.problems import bad_request
from gcexport.emulator.wire import DAY_MS, floor_day, iso, iso_seconds


@dataclass
class Job:
    """One submitted job and, once fulfilled, the (day, indexes) it serves."""

    id: str
    selection: Selection
    limit: int | None
    start_of_day: bool
    submitted_mono: float
    submitted_ms: int
    watermark: int
    fail: bool
    cancelled: bool = False
    days: list[int] = field(default_factory=list)
    picks: list[array[int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class JobBook:
    """All jobs of one emulator, advanced lazily from the clock whenever someone looks."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.jobs: dict[str, Job] = {}

    def submit(self, body: dict[str, Any], *, fail: bool) -> Job:
        selection = parse_selection(body)
        limit = body.get("limit")
        if limit is not None and (not isinstance(limit, int) or limit < 1):
            raise bad_request("The limit must be a positive integer.")
        b = self.backend
        job = Job(str(uuid.uuid4()), selection, limit, bool(body.get("startOfDayIntervalMatching")),
                  b.clock.monotonic(), b.now_ms(), b.watermark_ms(), fail)  # fmt: skip
        job.days = self._days(job)
        self.jobs[job.id] = job
        return job

    def state(self, job: Job) -> str:
        cfg, elapsed = self.backend.config, self.backend.clock.monotonic() - job.submitted_mono
        if job.cancelled:
            return "CANCELLED"
        if elapsed < cfg.job_queued_seconds:
            return "QUEUED"
        done_at = cfg.job_queued_seconds + cfg.job_pending_seconds
        if elapsed < done_at:
            return "PENDING"
        if job.fail:
            return "FAILED"
        return "EXPIRED" if elapsed >= done_at + cfg.job_expiry_seconds else "FULFILLED"

    def status(self, job: Job) -> dict[str, Any]:
        cfg, state = self.backend.config, self.state(job)
        done = job.submitted_ms + int((cfg.job_queued_seconds + cfg.job_pending_seconds) * 1000)
        body: dict[str, Any] = {"state": state}
        if state == "FAILED":
            body["errorMessage"] = (
                "The analytics query failed to complete. Please resubmit the job."
            )
        body["submissionDate"] = iso(job.submitted_ms)
        if state in ("FULFILLED", "FAILED", "EXPIRED"):
            body["completionDate"] = iso(done)
        if state in ("FULFILLED", "EXPIRED"):
            body["expirationDate"] = iso(done + int(cfg.job_expiry_seconds * 1000))
        return body

    def _days(self, job: Job) -> list[int]:
        """The UTC days whose conversations may belong to the job (one day back for overlaps, or
        as far back as a conversation can stay open in mode long-lived)."""
        sel = job.selection
        back = (MAX_OPEN_DAYS + 1) if self.backend.config.has("long-lived") else 1
        first = floor_day(sel.start) - (0 if job.start_of_day else back * DAY_MS)
        last = min(sel.end, job.watermark + 1)
        return list(range(first, last, DAY_MS))

    def picked(self, job: Job, position: int) -> array[int]:
        """The chosen indexes of the job's `position`-th day, chosen on first need and in day order,
        so a long job streams one generated day at a time (overlap, watermark, filters, limit)."""
        with job.lock:
            while len(job.picks) <= position:
                job.picks.append(
                    self._pick_day(job, job.days[len(job.picks)], sum(map(len, job.picks)))
                )
            return job.picks[position]

    def _pick_day(self, job: Job, day_start: int, before: int) -> array[int]:
        sel, mark = job.selection, job.watermark
        chosen: array[int] = array("l")
        if job.limit is not None and before >= job.limit:
            return chosen
        for day, index in self.backend.dataset.iter_refs(
            day_start, min(sel.end, day_start + DAY_MS), mark, divisions=self.backend.divisions
        ):
            end = end_at(day, index, mark)
            if end > mark or (not job.start_of_day and end < sel.start):
                continue
            if sel.filtered and not sel.matches(view_at(day, index, mark, attributes=True)):
                continue
            chosen.append(index)
            if job.limit is not None and before + len(chosen) >= job.limit:
                break
        return chosen

    def page(self, job: Job, offset: int, size: int) -> bytes:
        """Conversations [offset, offset+size) as one results page; a cursor when any remain."""
        chunks: list[bytes] = []
        skip, position = offset, 0
        while position < len(job.days) and len(chunks) < size:
            indexes = self.picked(job, position)
            if skip < len(indexes):
                day = self.backend.dataset.day(job.days[position])
                chunks += [
                    record_at(day, i, job.watermark, attributes=True)
                    for i in indexes[skip : skip + size - len(chunks)]
                ]
            skip = max(0, skip - len(indexes))
            position += 1
        left_today = position > 0 and self._left_in_day(job, position - 1, offset + len(chunks))
        more = left_today or any(
            len(self.picked(job, p)) > 0 for p in range(position, len(job.days))
        )
        body = b'{"conversations":[' + b",".join(chunks) + b"]," if chunks else b"{"
        if more:
            body += b'"cursor":"' + cursor_for(job.id, offset + len(chunks)).encode() + b'",'
        return body + b'"dataAvailabilityDate":"' + iso_seconds(job.watermark).encode() + b'"}'

    def _left_in_day(self, job: Job, position: int, served: int) -> bool:
        return sum(len(self.picked(job, p)) for p in range(position + 1)) > served


def add_routes(routes: Routes, book: JobBook, draw_job_failure: Any) -> None:
    """Register submit, availability, status, results and delete."""
    backend = book.backend

    def post_job(call: Call) -> Reply:
        job = book.submit(call.json(), fail=draw_job_failure())
        return Reply.json({"jobId": job.id}, 202)

    def get_availability(call: Call) -> Reply:
        return Reply.json({"dataAvailabilityDate": iso_seconds(backend.watermark_ms())})

    base = "/api/v2/analytics/conversations/details/jobs"
    routes.add("POST", base, post_job)
    routes.add("GET", f"{base}/availability", get_availability)
    add_job_routes(
        routes,
        base,
        book,
        page_size_max=lambda: backend.config.job_page_size_max,
        default_page_size=lambda: min(1000, backend.config.job_page_size_max),
    )
