"""`conversation_details`: every conversation of a day, with participants, sessions, segments and more.

Details use async jobs for days wholly before the availability watermark and the synchronous query
for the tail (REFERENCE.md §10). `totalHits` is only an estimate (§16 item 2): a job day that reads
fewer unique ids than it is checked against the query's ids, and fetched again with the query only
when the query serves an id the job lacked (conversations still open at the watermark), so nothing
is lost; parity holds each day to the unique in-window ids the API served.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from types import MappingProxyType

import orjson
import pyarrow as pa

from gcexport.api import details as details_api
from gcexport.api import jobs as jobs_api
from gcexport.api.paging import PollPolicy, iter_ahead
from gcexport.client import GenesysClient, Page
from gcexport.datasets._common import DatasetBase, day_is_final
from gcexport.datasets.base import DayResult, ExportContext
from gcexport.datasets.rereads import reread_ended_days
from gcexport.errors import ApiError, DataError, JobFailedError
from gcexport.loading import DayLoad
from gcexport.models import Interval
from gcexport.state import JobRecord
from gcexport.timespan import Window
from gcexport.transform import TABLE_SCHEMAS, DriftField, flatten_conversation_pages
from gcexport.transform.schemas import DETAIL_SCHEMAS
from gcexport.transform.selection import Selection, compact_id, select_conversations

__all__ = ["DATASET", "DETAILS", "DETAIL_TABLES", "LIVE_GRACE", "ConversationDetails"]

DETAIL_TABLES = tuple(DETAIL_SCHEMAS)  # conversations, participants, sessions, segments, …
DETAILS = "conversation_details"
JOB_ATTEMPTS = 3  # details jobs per day before a FAILED / EXPIRED job fails the run
LIVE_GRACE = timedelta(days=7)  # an open conversation stops holding its day provisional after this
QUERY_PATH = "/api/v2/analytics/conversations/details/query"


class ConversationDetails(DatasetBase):
    name = DETAILS
    summary = (
        "async details jobs for days before the data-availability watermark, the synchronous "
        "details query for the tail"
    )
    permission = "analytics:conversationDetail:view"
    section = "details"

    tables = MappingProxyType({name: TABLE_SCHEMAS[name] for name in DETAIL_TABLES})

    def is_final(
        self,
        window: Window,
        *,
        now: datetime,
        watermark: datetime | None,
        settle: timedelta,
        live: bool = False,
    ) -> bool:
        """The day ended at or before the availability watermark, and none of its conversations is
        still open — unless the day ended LIVE_GRACE ago (bounds the provisional set: a
        conversation open for a week does not hold its day back for ever). Incremental runs pass
        live=False for open conversations they re-read when they end (`reread`), so one open
        email does not hold a day provisional for a week."""
        settled = watermark is not None and window.end <= watermark
        return settled and (not live or now - window.end >= LIVE_GRACE)

    def reread(self, ctx: ExportContext, due: list[Window]) -> list[Window]:
        ctx.rereads_ended = True  # days holding a conversation that ended since: due again
        return reread_ended_days(ctx, due, dataset=DETAILS)

    def export(self, ctx: ExportContext, window: Window) -> DayResult:
        return _export_details(ctx, window)

    def check(self, client: GenesysClient, interval: str) -> str:
        body = {"interval": interval, "paging": {"pageSize": 1, "pageNumber": 1}}
        page = client.request("POST", QUERY_PATH, json=body, items_key="conversations")
        watermark = jobs_api.get_availability(client).isoformat()
        return f"HTTP {page.context.status}; jobs watermark {watermark}"


DATASET = ConversationDetails()


def _detail_schemas() -> dict[str, pa.Schema]:
    return {name: TABLE_SCHEMAS[name] for name in DETAIL_TABLES}


def _export_details(ctx: ExportContext, window: Window) -> DayResult:
    expected = _count_conversations(ctx, window)
    ctx.on_expected(expected)
    use_job = (
        ctx.settings.details.use_jobs and ctx.watermark is not None and window.end <= ctx.watermark
    )
    if use_job:
        result = _load_with_jobs(ctx, window, expected)
        if result is not None:
            return result
    query = details_api.iter_query_pages(
        ctx.client, window.start, window.end, page_size=ctx.settings.details.query_page_size
    )
    result = _details_load(
        ctx, window, _Pages("details/query", query), method="query", expected=None
    )
    assert result is not None
    if window.end > ctx.now:  # an unfinished day has no count to hold it to yet
        result.expected_conversations = None
    if use_job:
        result.without_attributes = True
        ctx.audit.write("details_without_attributes", day=str(window.day))
    return result


def _load_with_jobs(ctx: ExportContext, window: Window, expected: int) -> DayResult | None:
    """Load the day from an async job; a job that ends FAILED, CANCELLED or EXPIRED (or whose
    results expire while read) is resubmitted, up to JOB_ATTEMPTS jobs in all, then the error stands.

    Nothing of a failed attempt is published: its staged partitions are discarded.
    """
    for attempt in range(1, JOB_ATTEMPTS + 1):
        try:
            return _details_load(
                ctx, window, _job_pages(ctx, window), method="job", expected=expected
            )
        except (JobFailedError, ApiError) as exc:
            if not _job_gone(exc) or attempt == JOB_ATTEMPTS:
                raise
            ctx.state.update(lambda s: s.dataset(DETAILS).jobs.pop(window.key, None))
            ctx.audit.write("job_resubmitted", attempt=attempt, error=str(exc))
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


def _job_gone(exc: ApiError) -> bool:
    """A job that failed or whose results are gone; resubmitting it can succeed."""
    if isinstance(exc, JobFailedError):
        return True
    return exc.status == 404 and exc.endpoint == jobs_api.RESULTS_PATH


@dataclass(frozen=True)
class _Pages:
    """A day's detail pages and the audit endpoint they are recorded under."""

    endpoint: str
    pages: Iterator[Page]


def _count_conversations(ctx: ExportContext, window: Window) -> int:
    """The API's estimate of the day's conversations: `totalHits` of a one-row details query.

    An estimate only (REFERENCE.md §3.3, §16 item 2): it says when a job must be cross-checked,
    never what parity compares. The interval ends short of midnight so it cannot touch the next day.
    """
    body = {
        "interval": Interval.of(window.start, window.end).short_of_midnight().to_api(),
        "paging": {"pageSize": 1, "pageNumber": 1},
    }
    page = ctx.client.request("POST", QUERY_PATH, json=body, items_key="conversations")
    return int(page.json().get("totalHits", 0))


def _job_pages(ctx: ExportContext, window: Window) -> _Pages:
    saved = ctx.state.load().dataset(DETAILS).jobs.get(window.key)

    def remember(job_id: str) -> None:
        record = JobRecord(job_id, ctx.now)
        ctx.state.update(lambda s: s.dataset(DETAILS).jobs.__setitem__(window.key, record))

    pages = jobs_api.iter_job_pages(
        ctx.client,
        window.start,
        window.end,
        page_size=ctx.settings.details.job_page_size,
        poll=PollPolicy.quick_first(ctx.settings.details.poll_seconds),
        job_id=saved.job_id if saved else None,
        on_job_submitted=remember,
        check_availability=False,  # checked once per run: ctx.watermark
        # windows are UTC days: start-of-day matching serves exactly the conversations starting
        # in the window, not every long-lived one whose lifetime overlaps it (§16 item 4)
        start_of_day=True,
    )
    return _Pages("details/jobs", pages)


def _details_load(
    ctx: ExportContext, window: Window, source: _Pages, *, method: str, expected: int | None
) -> DayResult | None:
    """Load the day from `source`; None (nothing published) when a job came back short.

    The next page is fetched on a thread while this one is flattened and written (one page
    ahead, so memory stays bounded); each page is parsed once, by Arrow.
    """
    seen: set[str | int] = set()  # ids kept so far (compact_id)
    live = False
    drift: list[DriftField] = []
    audit_context = functools.partial(ctx.audit.context, dataset=DETAILS, window=window.key)
    with (
        # closing: a job abandoned by an error is deleted now, while the client is still open
        contextlib.closing(iter_ahead(source.pages, enter=audit_context)) as stream,
        DayLoad(ctx.load, DETAILS, window.day, schemas=_detail_schemas()) as load,
    ):
        for page in stream:
            # One page per core at a time, over all days (they still fetch in parallel), the
            # earliest day's first: days finish in turn and load while later ones transform.
            with ctx.load.cores.turn(window.day.toordinal()):
                flat = flatten_conversation_pages([page.raw], source=method)
                chosen = select_conversations(
                    flat.tables, start=window.start, end=window.end, seen=seen
                )
                ctx.record_page(source.endpoint, page, rows=chosen.in_window)
                ctx.on_conversations(chosen.in_window)
                if not chosen.kept:
                    continue
                live = live or chosen.live
                drift.extend(flat.drift)
                load.add(_only_day(chosen.tables, window.day))
                del flat, chosen
        estimate = expected if method == "job" and expected is not None else 0
        if len(seen) < estimate:
            open_ones = _job_misses_only_open(ctx, window, seen, estimate)
            if open_ones is None:
                load.abort()
                return None
            if open_ones.kept:
                live = True
                load.add(_only_day(open_ones.tables, window.day))
        found = len(seen)
        seen.clear()  # the ids are not needed while the day waits for the warehouse
        live = live and not (ctx.rereads_ended and method == "job")
        load.provisional = not day_is_final(ctx, DATASET, window, live=live)
        outcomes = load.commit()
    return DayResult(DETAILS, window, outcomes, load.provisional, found, drift, method)


def _job_misses_only_open(
    ctx: ExportContext, window: Window, seen: set[str | int], estimate: int
) -> Selection | None:
    """The conversations the query serves and a job lacks, when every one of them is still open.

    `totalHits` is an estimate (§16 item 2), so a job short of it is checked against the truth:
    the unique in-window ids of the query. A job serves only conversations that ended by the
    watermark, so the open ones come from the query (without attributes; the day is re-read when
    they end). None when the job lacks an ended conversation: the query serves the whole day.
    """
    missing = ended = 0
    pages: list[bytes] = []
    query = details_api.iter_query_pages(
        ctx.client, window.start, window.end, page_size=ctx.settings.details.query_page_size
    )
    for page in query:  # audited, but neither progress rows nor raw pages: kept rows are few
        ctx.audit.page(endpoint="details/query", rows=0, context=page.context)
        lacking = [c for c in page.items if compact_id(c.get("conversationId")) not in seen]
        missing += len(lacking)
        ended += sum(1 for c in lacking if c.get("conversationEnd") is not None)
        if lacking:
            pages.append(orjson.dumps({"conversations": lacking}))
    ctx.audit.write(
        "details_count_checked",
        total_hits=estimate,
        job_ids=len(seen),
        missing_from_job=missing,
        open_from_query=missing - ended,
    )
    if ended:
        return None
    flat = flatten_conversation_pages(pages, source="query")
    return select_conversations(flat.tables, start=window.start, end=window.end, seen=seen)


def _only_day(tables: dict[str, pa.Table], day: date) -> dict[str, pa.Table]:
    for name, table in tables.items():
        if table.num_rows and "partition_date" in table.column_names:
            days = set(table.column("partition_date").unique().to_pylist())
            if days - {day}:
                raise DataError(f"{name}: rows outside {day} reached the {day} partition: {days}")
    return tables
