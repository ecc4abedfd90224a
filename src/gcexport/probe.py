"""`gcexport check --deep`: a few tiny calls that settle what the emulator cannot (REFERENCE.md §16).

Each probe checks one assumption about the real API and answers PASS (it holds), FAIL (it does not:
the emulator is wrong there, and the finding says how) or SKIP (this org could not tell). The report
it writes holds shapes only — booleans, HTTP statuses, enum and field names, counts — never ids,
names, hosts, conversation data or credentials, so it can be shared as it is.

Example::

    findings = run_probes(client, clock)
    write_report(findings, Path("gcexport-deep-check.json"))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson

from gcexport.api import exports as exports_api
from gcexport.api.paging import PollPolicy
from gcexport.client import GenesysClient
from gcexport.clock import Clock
from gcexport.errors import ApiError, GcExportError
from gcexport.models import Interval, ReportExportRequest
from gcexport.timespan import day_floor

__all__ = ["Finding", "run_probes", "write_report"]

QUERY_PATH = "/api/v2/analytics/conversations/details/query"
DIVISIONS_PATH = "/api/v2/authorization/divisions"
PERMITTED_PATH = "/api/v2/authorization/divisionspermitted/me"
SMALL_WINDOW_MAX = 1000  # conversations paged to compare totalHits with unique ids
_MEDIA = ("callback", "email", "message", "chat", "voice")  # smallest volumes first, usually


@dataclass(frozen=True)
class Finding:
    """One assumption: PASS (True), FAIL (False) or SKIP (None), with shapes that show why."""

    name: str
    ok: bool | None
    detail: str
    shape: dict[str, Any] = field(default_factory=dict)

    @property
    def status(self) -> str:
        return {True: "PASS", False: "FAIL", None: "SKIP"}[self.ok]


def run_probes(client: GenesysClient, clock: Clock) -> list[Finding]:
    """Every probe, in order; an error in one is that probe's FAIL, not the end of the others."""
    day = day_floor(clock.now()) - timedelta(days=3)  # complete, and well inside the query's reach
    probes: list[tuple[str, Callable[[], Finding]]] = [
        ("midnight_end", lambda: _midnight_end(client, day)),
        ("total_hits_exact", lambda: _total_hits(client, day)),
        ("export_required_filters", lambda: _export_filters(client)),
        ("download_redirect", lambda: _download(client, day)),
        ("divisions_visible", lambda: _divisions(client)),
    ]
    findings = []
    for name, probe in probes:
        try:
            findings.append(probe())
        except GcExportError as exc:
            shape = {"error": type(exc).__name__, "status": getattr(exc, "status", None)}
            findings.append(Finding(name, False, f"the probe failed: {exc}", shape))
    return findings


def write_report(findings: list[Finding], path: Path) -> None:
    """The shareable report: one entry per probe, shapes only."""
    body = [{"probe": f.name, "status": f.status, "shape": f.shape} for f in findings]
    path.write_bytes(orjson.dumps({"gcexport_deep_check": body}, option=orjson.OPT_INDENT_2))


def _total(client: GenesysClient, start: datetime, end: datetime, **extra: Any) -> int:
    body = {"interval": _iso(start, end), "paging": {"pageSize": 1, "pageNumber": 1}, **extra}
    page = client.request("POST", QUERY_PATH, json=body, items_key="conversations")
    return int(page.json().get("totalHits") or 0)


def _iso(start: datetime, end: datetime) -> str:
    return Interval.of(start, end).to_api()


def _midnight_end(client: GenesysClient, day: datetime) -> Finding:
    name, after, short = "midnight_end", day + timedelta(days=1), timedelta(milliseconds=1)
    at_midnight, before = _total(client, day, after), _total(client, day, after - short)
    next_day = _total(client, after, after + timedelta(days=1) - short)
    shape = {"differs": at_midnight != before, "next_day_has_conversations": next_day > 0}
    if next_day == 0:
        return Finding(name, None, "the next day has no conversations: cannot tell", shape)
    if at_midnight == before:
        return Finding(
            name, True, "an interval ending at 00:00Z does not touch the next day", shape
        )
    shape["extra_equals_next_day"] = at_midnight - before == next_day
    return Finding(name, False, "an interval ending at 00:00Z also matches the next day", shape)


def _total_hits(client: GenesysClient, day: datetime) -> Finding:
    name, end = "total_hits_exact", day + timedelta(days=1, milliseconds=-1)
    for media in _MEDIA:
        segment = [{"type": "or", "predicates": [{"dimension": "mediaType", "value": media}]}]
        total = _total(client, day, end, segmentFilters=segment)
        if not 1 <= total <= SMALL_WINDOW_MAX:
            continue
        ids: set[str] = set()
        for number in range(1, SMALL_WINDOW_MAX // 100 + 2):
            body = {"interval": _iso(day, end), "segmentFilters": segment,
                    "paging": {"pageSize": 100, "pageNumber": number}}  # fmt: skip
            page = client.request("POST", QUERY_PATH, json=body, items_key="conversations")
            ids.update(str(c.get("conversationId")) for c in page.items)
            if len(page.items) < 100:
                break
        shape = {"media_type": media, "total_hits_minus_unique_ids": total - len(ids)}
        if total == len(ids):
            return Finding(name, True, f"totalHits equals the unique ids read ({media})", shape)
        return Finding(name, False, f"totalHits differs from the unique ids read ({media})", shape)
    return Finding(name, None, f"no media type has 1–{SMALL_WINDOW_MAX} conversations that day")


def _export_filters(client: GenesysClient) -> Finding:
    name, required = "export_required_filters", _required_by_view(client)
    beyond = {view: names for view, names in required.items() if set(names) - {"mediaTypes"}}
    shape = {
        "views": len(required),
        "required": sorted({n for ns in required.values() for n in ns}),
    }
    if beyond:
        shape["views_requiring_more_than_mediaTypes"] = sorted(beyond)
        return Finding(name, False, "some views require filters gcexport cannot fill", shape)
    return Finding(name, True, "every required filter is mediaTypes (filled when unset)", shape)


def _required_by_view(client: GenesysClient) -> dict[str, list[str]]:
    from gcexport.api.paging import iter_numbered_pages

    found: dict[str, list[str]] = {}
    for page in iter_numbered_pages(client, exports_api.METADATA_PATH, page_size=100):
        for view in page.items:
            found[str(view.get("viewType"))] = [str(n) for n in view.get("requiredFilters") or []]
    return found


def _download(client: GenesysClient, day: datetime) -> Finding:
    request = ReportExportRequest(
        name="gcexport check --deep", view_type="QUEUE_PERFORMANCE_SUMMARY_VIEW",
        interval=Interval.of(day, day + timedelta(days=1)), filter={"mediaTypes": ["voice"]},
    )  # fmt: skip
    job = exports_api.create_and_wait(client, request, PollPolicy(initial=1, timeout=300))
    hops: list[tuple[int, str]] = []
    try:
        content = exports_api.download(client, job, hops)
    finally:
        exports_api.delete_export(client, str(job["id"]))
    api = httpx.URL(client.api_url)
    url = httpx.URL(str(job.get("downloadUrl")))
    shape = {
        "download_url_on_api_origin": _same_origin(url, api),
        "download_url_host_prefix": (url.host or "").split(".", 1)[0]
        if url.host != api.host
        else "",
        "download_url_path": "/".join(url.path.split("/")[:-1]) + "/<id>",
        "statuses": [status for status, _ in hops],
        "signed_url_on_api_origin": [_same_origin(httpx.URL(u), api) for _, u in hops[1:]],
        "file_bytes_nonzero": bool(content),
    }
    redirected = len(hops) > 1 and hops[0][0] in (301, 302, 303, 307, 308)
    if redirected and content:
        return Finding(
            "download_redirect", True, "the download resource redirects to a signed URL", shape
        )
    return Finding(
        "download_redirect", False, "the download did not go resource → signed URL", shape
    )


def _same_origin(a: httpx.URL, b: httpx.URL) -> bool:
    return (a.scheme, a.host, a.port) == (b.scheme, b.host, b.port)


def _divisions(client: GenesysClient) -> Finding:
    name = "divisions_visible"
    try:
        every = _count(client, DIVISIONS_PATH, {})
        permitted = _count(
            client, PERMITTED_PATH, {"permission": "analytics:conversationDetail:view"}
        )
    except ApiError as exc:
        if exc.status in (403, 404):
            return Finding(
                name,
                None,
                f"divisions could not be listed (HTTP {exc.status})",
                {"status": exc.status},
            )
        raise
    shape = {"divisions": every, "permitted": permitted, "not_visible": max(0, every - permitted)}
    if permitted >= every:
        return Finding(name, True, f"the client sees all {every} divisions", shape)
    return Finding(
        name, False, f"the client cannot see {every - permitted} of {every} divisions", shape
    )


def _count(client: GenesysClient, path: str, params: dict[str, Any]) -> int:
    page = client.request("GET", path, params={"pageSize": 100, **params})
    body = page.json()
    if isinstance(body, list):  # divisionspermitted/me answers a bare list
        return len(body)
    total = body.get("total") if isinstance(body, dict) else None
    return int(total) if isinstance(total, int) else len(body.get("entities") or [])
