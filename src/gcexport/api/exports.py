"""Reporting (view) exports: create, poll the listing, download the CSV, delete (REFERENCE.md §7).

There is no GET-by-id for exports (§7), so polling reads the listing and matches the id. The file
is fetched from the API host's download resource, whatever host `downloadUrl` names (§16 item 1).

Example::

    result = run_export(client, ReportExportRequest(name="q", view_type="QUEUE_PERFORMANCE_SUMMARY_VIEW",
                                                    interval=iv))
    result.csv, result.job["status"]
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any

from gcexport.api.paging import PollPolicy, iter_numbered_pages
from gcexport.client import GenesysClient
from gcexport.errors import ApiError, AuthError, ConfigError, DataError, JobFailedError
from gcexport.models import ReportExportRequest

__all__ = [
    "EXPORTS_PATH",
    "ExportResult",
    "create_and_wait",
    "delete_export",
    "download",
    "run_export",
    "with_required_filters",
]

log = logging.getLogger(__name__)

EXPORTS_PATH = "/api/v2/analytics/reporting/exports"
EXPORT_PATH = EXPORTS_PATH + "/{exportId}"
METADATA_PATH = EXPORTS_PATH + "/metadata"
CREATE_ATTEMPTS = 4  # POSTs of one export; each after the first only when none of its name exists
# The AnalyticsSession mediaType enum (REFERENCE.md §4): "every media type" for a required filter.
ALL_MEDIA_TYPES = ("callback", "chat", "cobrowse", "email", "internalmessage", "message",
                   "screenmonitoring", "screenshare", "unknown", "video", "voice")  # fmt: skip
DOWNLOAD_PATH = "/api/v2/downloads/{downloadId}"
DONE = "COMPLETED"
# COMPLETED_WITH_PARTIAL_RESULTS would be silently less data, so it fails like FAILED (§7).
FAILED = frozenset({"FAILED", "CANCELLED", "CANCELLING", "COMPLETED_WITH_PARTIAL_RESULTS"})


@dataclass(frozen=True)
class ExportResult:
    """The downloaded file and the export job's final description."""

    csv: bytes
    job: dict[str, Any]

    def __repr__(self) -> str:
        return f"ExportResult(id={self.job.get('id')!r}, bytes={len(self.csv)})"


def run_export(
    client: GenesysClient,
    request: ReportExportRequest,
    *,
    poll: PollPolicy | None = None,
    delete: bool = True,
) -> ExportResult:
    """Create the export, wait for it, download its file and (by default) delete it."""
    job = create_and_wait(client, request, poll)
    content = download(client, job)
    if delete:
        _delete(client, str(job["id"]))
    return ExportResult(csv=content, job=job)


def download(
    client: GenesysClient, job: dict[str, Any], hops: list[tuple[int, str]] | None = None
) -> bytes:
    """The file of a COMPLETED export, from the API host's download resource (§16 item 1)."""
    url = job.get("downloadUrl")
    if not isinstance(url, str) or not url:
        raise DataError(f"export {job.get('id')} is {DONE} but has no downloadUrl")
    return client.download(_download_path(url), endpoint=DOWNLOAD_PATH, hops=hops).raw


def create_and_wait(
    client: GenesysClient, request: ReportExportRequest, poll: PollPolicy | None = None
) -> dict[str, Any]:
    """Create the export (its view's required filters added) and wait until it is COMPLETED."""
    request = with_required_filters(client, request)
    export_id = _create(client, request.model_copy(update={"name": _unique_name(request.name)}))
    return _wait(client, export_id, poll or PollPolicy())


def delete_export(client: GenesysClient, export_id: str) -> None:
    """Delete an export (a 404/405 is only logged)."""
    _delete(client, export_id)


def _unique_name(name: str) -> str:
    """The export's name plus a token of its own, so that it can be found by name (§16 item 7)."""
    return f"{name} [gcexport {uuid.uuid4().hex[:12]}]"


def _create(client: GenesysClient, request: ReportExportRequest) -> str:
    """POST the export once per attempt; after an ambiguous failure, find it by name first.

    A gateway 5xx or a dropped connection may come after the platform created the export, and an
    orphan counts against the org's limits (REFERENCE.md §16 item 7): exports can be listed, so
    a retry is only sent when no export of this (unique) name exists.
    """
    for attempt in range(1, CREATE_ATTEMPTS + 1):
        try:
            page = client.request(
                "POST", EXPORTS_PATH, json=request.to_api(), once_if_ambiguous=True
            )
        except ApiError as exc:
            if not _ambiguous(exc):
                raise
            found = _find_by_name(client, request.name)
            if found is not None:
                log.info("export %r was created despite %s; using it", request.name, exc.status)
                return found
            if attempt == CREATE_ATTEMPTS:
                raise
            client.clock.sleep(2.0**attempt)
            continue
        created = page.json()
        export_id = created.get("id") if isinstance(created, dict) else None
        if not isinstance(export_id, str):
            raise DataError(f"{EXPORTS_PATH} created an export but returned no id")
        return export_id
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


def _ambiguous(exc: ApiError) -> bool:
    """A failure after which the server may or may not have acted: 5xx, 408 or no answer."""
    return not isinstance(exc, AuthError) and (
        exc.status is None or exc.status in (408,) or exc.status >= 500
    )


def _find_by_name(client: GenesysClient, name: str) -> str | None:
    for page in iter_numbered_pages(client, EXPORTS_PATH, page_size=100):
        for job in page.items:
            if job.get("name") == name and isinstance(job.get("id"), str):
                return str(job["id"])
    return None


def with_required_filters(
    client: GenesysClient, request: ReportExportRequest
) -> ReportExportRequest:
    """The request with every filter its view requires, as `GET …/exports/metadata` lists them.

    A required `mediaTypes` left unset means every media type (REFERENCE.md §16 item 6: peers
    always send it); any other required filter must come from the configuration.
    """
    missing = [f for f in _required_filters(client, request.view_type) if not request.filter.get(f)]
    if not missing:
        return request
    other = [name for name in missing if name != "mediaTypes"]
    if other:
        raise ConfigError(
            f"Reporting view {request.view_type} requires the filter {other[0]!r}: set it in that"
            " reporting export's filter."
        )
    filled = {**request.filter, "mediaTypes": list(ALL_MEDIA_TYPES)}
    return request.model_copy(update={"filter": filled})


def _required_filters(client: GenesysClient, view_type: str) -> list[str]:
    for page in iter_numbered_pages(client, METADATA_PATH, page_size=100):
        for view in page.items:
            if view.get("viewType") == view_type:
                return [str(name) for name in view.get("requiredFilters") or []]
    return []


def _download_path(download_url: str) -> str:
    """The API host's resource for a `downloadUrl` (REFERENCE.md §16 item 1).

    The real `downloadUrl` is `https://apps.<domain>/platform/api/v2/downloads/<id>`, on another
    origin than the API; the token stays on the API's own origin, so the file is fetched the way
    the SDK does, from `GET /api/v2/downloads/{id}`, which redirects to a signed URL.
    """
    download_id = download_url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    if not download_id or "/downloads/" not in download_url:
        raise DataError(f"export downloadUrl {download_url!r} does not name a download id")
    return DOWNLOAD_PATH.format(downloadId=download_id)


def _wait(client: GenesysClient, export_id: str, poll: PollPolicy) -> dict[str, Any]:
    job = _find(client, export_id)
    for wait in poll.intervals():
        if _finished(export_id, job):
            return job
        client.clock.sleep(wait)
        job = _find(client, export_id)
    if _finished(export_id, job):
        return job
    raise JobFailedError(
        f"export {export_id} still {job.get('status')} after {poll.timeout:.0f}s of polling",
        job_id=export_id, state="TIMED_OUT", endpoint=EXPORTS_PATH,
    )  # fmt: skip


def _finished(export_id: str, job: dict[str, Any]) -> bool:
    status = str(job.get("status"))
    if status in FAILED:
        reason = job.get("exportErrorMessagesType") or "no error type given"
        raise JobFailedError(
            f"reporting export {export_id} ended {status}: {reason}",
            job_id=export_id, state=status, endpoint=EXPORTS_PATH,
        )  # fmt: skip
    return status == DONE


def _find(client: GenesysClient, export_id: str) -> dict[str, Any]:
    for page in iter_numbered_pages(client, EXPORTS_PATH, page_size=100):
        for job in page.items:
            if job.get("id") == export_id:
                return job
    raise DataError(f"export {export_id} is missing from {EXPORTS_PATH} right after being created")


def _delete(client: GenesysClient, export_id: str) -> None:
    # Deleting is housekeeping; REFERENCE.md §7 lists no DELETE, so a 404/405 only gets logged.
    try:
        client.request("DELETE", f"{EXPORTS_PATH}/{export_id}", endpoint=EXPORT_PATH)
    except ApiError as exc:
        if exc.status not in (404, 405):
            raise
        log.info(
            "export %s could not be deleted (%s); it expires on its own", export_id, exc.status
        )
