"""One exporter per dataset: fetch a day (or a snapshot), transform it, and load it through DayLoad.

Details use async jobs for days wholly before the availability watermark and the synchronous query
for the tail (REFERENCE.md §10). `totalHits` is only an estimate (§16 item 2): a job day that reads
fewer unique ids than it is checked against the query's ids, and fetched again with the query only
when the query serves an id the job lacked (conversations still open at the watermark), so nothing
is lost; parity holds each day to the unique in-window ids the API served.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pyarrow as pa

from gcexport.api import aggregates as aggregates_api
from gcexport.api import details as details_api
from gcexport.api import exports as exports_api
from gcexport.api import jobs as jobs_api
from gcexport.api import lookups as lookups_api
from gcexport.api.paging import PollPolicy, iter_ahead
from gcexport.audit import AuditLog
from gcexport.client import GenesysClient, Page
from gcexport.config import Settings, parse_duration
from gcexport.errors import ApiError, DataError, JobFailedError
from gcexport.loading import DayLoad, LoadContext, PartitionOutcome
from gcexport.models import AggregateQuery, Interval, ReportExportRequest
from gcexport.models.queries import MAX_PAGING_RESULTS
from gcexport.state import JobRecord, StateStore
from gcexport.transform import (
    TABLE_SCHEMAS,
    compute_queue_kpis,
    flatten_aggregates,
    flatten_conversation_pages,
    flatten_queues,
    flatten_users,
    flatten_wrapup_codes,
    parse_report_csv,
)
from gcexport.transform.schemas import DETAIL_SCHEMAS
from gcexport.transform.selection import Selection, compact_id, select_conversations
from gcexport.windows import Window

__all__ = [
    "DETAIL_TABLES",
    "DayResult",
    "ExportContext",
    "day_is_final",
    "export_day",
    "export_lookups",
    "finality",
    "reread_ended_days",
]

DETAIL_TABLES = tuple(DETAIL_SCHEMAS)  # conversations, participants, sessions, segments, …
DETAILS = "conversation_details"
JOB_ATTEMPTS = 3  # details jobs per day before a FAILED / EXPIRED job fails the run
AGGREGATES = "conversation_aggregates"
REPORTS = "reporting_exports"
LOOKUPS = "lookups"
LIVE_GRACE = timedelta(days=7)  # an open conversation stops holding its day provisional after this
REREAD_DAYS = 31  # conversations re-read for a new end: the longest filtered query (§3.1)
REREAD_MARGIN = timedelta(minutes=5)  # ends this much before the previous run are read again


@dataclass
class DayResult:
    """What exporting one dataset-day produced."""

    dataset: str
    window: Window | None
    outcomes: list[PartitionOutcome]
    provisional: bool = False
    expected_conversations: int | None = None
    drift: list[Any] = field(default_factory=list)
    method: str = ""
    raw_files: list[Any] = field(default_factory=list)
    # Served by the query although meant for a job: no participant attributes (only job results
    # carry them, REFERENCE.md §16 item 3), so the day stays due until a job serves it.
    without_attributes: bool = False


@dataclass
class ExportContext:
    """Everything an exporter needs, shared by all worker threads."""

    settings: Settings
    client: GenesysClient
    load: LoadContext
    audit: AuditLog
    state: StateStore
    now: datetime
    watermark: datetime | None
    queues: pa.Table | None = None
    on_rows: Callable[[int], None] = lambda rows: None
    on_expected: Callable[[int], None] = lambda conversations: None  # a day's count, for progress
    on_conversations: Callable[[int], None] = lambda conversations: None  # details progress
    aggregate_queries: list[AggregateQuery] = field(default_factory=list)
    report_requests: list[ReportExportRequest] = field(default_factory=list)
    # Incremental runs re-read recently ended conversations (reread_ended_days): an open one
    # then does not hold its settled day provisional — its day is due again when it ends.
    rereads_ended: bool = False
    _raw: threading.local = field(default_factory=threading.local)

    def pages(self, endpoint: str, pages: Iterable[Page]) -> Generator[Page, None, None]:
        """Pass pages through, writing one audit record each, counting rows, keeping raw bodies if asked."""
        for page in pages:
            self.record_page(endpoint, page, rows=len(page.items))
            yield page

    def record_page(self, endpoint: str, page: Page, *, rows: int) -> None:
        """One page's audit record and progress; its raw body kept if asked (this thread's day)."""
        self.audit.page(endpoint=endpoint, rows=rows, context=page.context)
        self.on_rows(rows)
        if self.settings.export.raw_pages:
            self._raw.pages.append(page.raw)


def day_is_final(ctx: ExportContext, dataset: str, window: Window, *, live: bool = False) -> bool:
    """Whether a day exported now is final (README "When a day is final"); see `finality`."""
    return finality(
        dataset,
        window,
        now=ctx.now,
        watermark=ctx.watermark,
        settle=parse_duration(ctx.settings.export.settle_after),
        live=live,
    )


def finality(
    dataset: str,
    window: Window,
    *,
    now: datetime,
    watermark: datetime | None,
    settle: timedelta,
    live: bool = False,
) -> bool:
    """Each dataset's own rule, whatever else is in the run.

    - conversation_details: the day ended at or before the availability watermark, and none of
      its conversations is still open — unless the day ended LIVE_GRACE ago (bounds the
      provisional set: a conversation open for a week does not hold its day back for ever).
      Incremental runs pass live=False for open conversations they re-read when they end
      (`reread_ended_days`), so one open email does not hold a day provisional for a week;
    - conversation_aggregates and reporting_exports (near real time, no watermark): the day ended
      at least `export.settle_after` ago.
    """
    if dataset == DETAILS:
        settled = watermark is not None and window.end <= watermark
        return settled and (not live or now - window.end >= LIVE_GRACE)
    return window.end + settle <= now


DayExporter = Callable[[ExportContext, Window], DayResult]


def export_day(
    ctx: ExportContext,
    dataset: str,
    window: Window,
    *,
    more: Mapping[str, DayExporter] | None = None,
) -> DayResult:
    """Export one dataset for one day; `more` adds day exporters defined elsewhere (agent time),
    handed in by the run so that this module never imports them (no import cycle)."""
    exporters: dict[str, DayExporter] = {
        DETAILS: _export_details,
        AGGREGATES: _export_aggregates,
        REPORTS: _export_reports,
    }
    exporters.update(more or {})
    if dataset not in exporters:
        raise DataError(f"dataset {dataset!r} has no day exporter")
    with ctx.load.slots.hold(), ctx.audit.context(dataset=dataset, window=window.key):
        ctx._raw.pages = []
        result = exporters[dataset](ctx, window)
        if ctx._raw.pages:  # --set export.raw_pages=true: rebuild tables later without the API
            sink = ctx.load.sink
            result.raw_files.append(
                sink.write_raw_pages(dataset, window.day, ctx.load.run_id, ctx._raw.pages)
            )
        ctx._raw.pages = []
        return result


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
    page = ctx.client.request(
        "POST",
        "/api/v2/analytics/conversations/details/query",
        json=body,
        items_key="conversations",
    )
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
    drift: list[Any] = []
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
        load.provisional = not day_is_final(ctx, DETAILS, window, live=live)
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


def reread_ended_days(ctx: ExportContext, due: Iterable[Window]) -> list[Window]:
    """Final days with a conversation that ended (again: re-opened, or first: long-lived) since
    the previous incremental run's re-read; they are marked provisional, so they stay due until
    exported.

    One details query over the last REREAD_DAYS, newest `conversationEnd` first, paged only
    until the ends reach the previous re-read (REFERENCE.md §16 item 4): a few requests, not weeks
    of days. Ends are read up to the jobs' watermark, so the job that exports the day again
    holds the conversation; later ends wait for the next run (state `ended_through`).
    """
    state = ctx.state.load().dataset(DETAILS)
    through = min(ctx.watermark or ctx.now, ctx.now)
    since = state.ended_through - REREAD_MARGIN if state.ended_through else None
    # a state from before the re-read knows no history start: re-read from the mark on
    first = state.first_day or (state.final_through.date() if state.final_through else None)
    days: set[date] = set()
    if since is not None and first is not None and since < through:
        taken = {w.day for w in due}
        ends = _recent_ends(ctx, since, through, first)
        days = {d for d in ends if d >= first and d not in taken and state.is_final(d)}
        ctx.audit.write("details_reread", since=since.isoformat(), ended=len(ends), days=len(days))

    def remember(s: Any) -> None:
        ds = s.dataset(DETAILS)
        ds.provisional.update(days)
        ds.first_day = ds.first_day or first
        ds.ended_through = max(through, ds.ended_through or through)

    ctx.state.update(remember)
    return [Window.for_day(d) for d in sorted(days)]


def _recent_ends(ctx: ExportContext, since: datetime, through: datetime, first: date) -> list[date]:
    """The start days of conversations that started on or after `first` (at most REREAD_DAYS
    back) and ended in [since, through), newest end first."""
    oldest = max(first, (ctx.now - timedelta(days=REREAD_DAYS - 1)).date())
    start = Window.for_day(oldest).start
    body: dict[str, Any] = {
        "interval": Interval.of(start, ctx.now).to_api(),
        "order": "desc",
        "orderBy": "conversationEnd",
        "conversationFilters": [
            {"type": "and", "predicates": [{"dimension": "conversationEnd", "operator": "exists"}]}
        ],
    }
    days: list[date] = []
    for number in range(1, MAX_PAGING_RESULTS // 100 + 1):
        body["paging"] = {"pageSize": 100, "pageNumber": number}
        page = ctx.client.request(
            "POST", details_api.DETAILS_QUERY_PATH, json=body, items_key="conversations"
        )
        ctx.audit.page(endpoint="details/query", rows=0, context=page.context)
        for conversation in page.items:
            end = datetime.fromisoformat(conversation["conversationEnd"])
            if end < since:
                return days
            if end < through:
                days.append(datetime.fromisoformat(conversation["conversationStart"]).date())
        if len(page.items) < 100:
            break
    return days


def _only_day(tables: dict[str, pa.Table], day: date) -> dict[str, pa.Table]:
    for name, table in tables.items():
        if table.num_rows and "partition_date" in table.column_names:
            days = set(table.column("partition_date").unique().to_pylist())
            if days - {day}:
                raise DataError(f"{name}: rows outside {day} reached the {day} partition: {days}")
    return tables


def _export_aggregates(ctx: ExportContext, window: Window) -> DayResult:
    schemas = {AGGREGATES: TABLE_SCHEMAS[AGGREGATES], "queue_kpis": TABLE_SCHEMAS["queue_kpis"]}
    parts: list[pa.Table] = []
    with DayLoad(ctx.load, AGGREGATES, window.day, schemas=schemas) as load:
        for query in ctx.aggregate_queries:
            spec_pages = aggregates_api.iter_pages(
                ctx.client, query.with_interval(zone_day(window, query.time_zone))
            )
            results = [
                item for page in ctx.pages("aggregates/query", spec_pages) for item in page.items
            ]
            table = flatten_aggregates(
                results,
                granularity=query.granularity,
                time_zone=query.time_zone or "UTC",
                group_by=query.group_by or [],
                query_name=_query_name(ctx, query),
            )
            table = _with_partition_date(table, window.day)  # the zone's day, not the UTC date
            parts.append(table)
            load.add({AGGREGATES: table})
        merged = pa.concat_tables(parts) if parts else TABLE_SCHEMAS[AGGREGATES].empty_table()
        kpis = compute_queue_kpis(merged, ctx.queues, custom_kpis=ctx.settings.kpis)
        load.add({"queue_kpis": kpis})
        latest = max(
            (zone_day(window, q.time_zone).end for q in ctx.aggregate_queries), default=None
        )
        # a day in a zone west of UTC ends after the UTC day: final by the later end
        ends = Window(window.start, max(window.end, latest or window.end))
        load.provisional = not day_is_final(ctx, AGGREGATES, ends)
        outcomes = load.commit()
    return DayResult(AGGREGATES, window, outcomes, load.provisional, method="query")


def zone_day(window: Window, time_zone: str | None) -> Interval:
    """The window's day in an aggregate query's time zone (REFERENCE.md §16 item 10).

    Calendar buckets (P1D and coarser) follow the zone's days, so a query in a zone other than
    UTC asks for the zone's day — local midnight to local midnight, 23 or 25 hours at a DST
    change — and its rows land in that day's partition. UTC (or no zone): the UTC day.
    """
    if not time_zone or time_zone == "UTC":
        return _interval(window)
    zone = ZoneInfo(time_zone)
    start = datetime.combine(window.day, time(), zone)
    end = datetime.combine(window.day + timedelta(days=1), time(), zone)
    return Interval.of(start.astimezone(timezone.utc), end.astimezone(timezone.utc))


def _query_name(ctx: ExportContext, query: AggregateQuery) -> str:
    index = ctx.aggregate_queries.index(query)
    return ctx.settings.aggregates[index].name


def _interval(window: Window) -> Interval:
    return Interval.of(window.start, window.end)


def _export_reports(ctx: ExportContext, window: Window) -> DayResult:
    outcomes: list[PartitionOutcome] = []
    provisional = not day_is_final(ctx, REPORTS, window)
    for request, spec in zip(ctx.report_requests, ctx.settings.reporting_exports, strict=True):
        result = exports_api.run_export(
            ctx.client, request.model_copy(update={"interval": _interval(window)})
        )
        table = parse_report_csv(result.csv, view_type=spec.view_type, column_map=spec.column_map)
        table = _with_partition_date(table, window.day)
        ctx.audit.page(endpoint="reporting/exports", rows=table.num_rows, context=None)
        ctx.on_rows(table.num_rows)
        name = f"report_{spec.view_type.lower()}"
        with DayLoad(ctx.load, REPORTS, window.day, schemas={name: table.schema}) as load:
            load.add({name: table})
            load.provisional = provisional
            outcomes.extend(load.commit())
    return DayResult(REPORTS, window, outcomes, provisional, method="export")


def _with_partition_date(table: pa.Table, day: date) -> pa.Table:
    column = pa.array([day] * table.num_rows, type=pa.date32())
    if "partition_date" in table.column_names:
        index = table.column_names.index("partition_date")
        return table.set_column(index, "partition_date", column)
    return table.append_column("partition_date", column)


def export_lookups(ctx: ExportContext, *, publish: bool) -> tuple[pa.Table, list[PartitionOutcome]]:
    """Fetch queues, users (state=any) and wrap-up codes; publish them as snapshots when asked."""
    sources = {
        "queues": (lookups_api.iter_queues(ctx.client), flatten_queues),
        "users": (lookups_api.iter_users(ctx.client, state="any"), flatten_users),
        "wrapup_codes": (lookups_api.iter_wrapup_codes(ctx.client), flatten_wrapup_codes),
    }
    outcomes: list[PartitionOutcome] = []
    queues: pa.Table | None = None
    with ctx.audit.context(dataset=LOOKUPS, window="snapshot"):
        for name, (pages, flatten) in sources.items():
            if not publish and name != "queues":
                continue
            entities = [e for page in ctx.pages(f"lookups/{name}", pages) for e in page.items]
            table = _with_partition_date(flatten(entities), ctx.now.date())
            queues = table if name == "queues" else queues
            if publish:
                with DayLoad(ctx.load, LOOKUPS, ctx.now.date(), schemas={}, snapshot=True) as load:
                    load.add({name: table})
                    outcomes.extend(load.commit())
    assert queues is not None
    return queues, outcomes
