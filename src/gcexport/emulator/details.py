"""The synchronous details query (REFERENCE.md §3) and conversation-by-id lookups."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from gcexport.emulator.backend import Backend
from gcexport.emulator.dataset import end_at, view_at
from gcexport.emulator.facets import Facet, compute_facets, parse_facets
from gcexport.emulator.filters import (
    CONVERSATION,
    SEGMENT,
    Filter,
    conversation_matches,
    parse_filters,
)
from gcexport.emulator.http import Call, Reply, Routes
from gcexport.emulator.problems import ApiError, bad_request, invalid_value, not_found
from gcexport.emulator.wire import DAY_MS, ceil_day, dumps, floor_day, parse_interval

ORDERS = ("asc", "desc", "unordered")
ORDER_BYS = ("conversationStart", "conversationEnd", "segmentStart", "segmentEnd")
MAX_PAGE_SIZE = 100
MAX_RESULTS = 100_000
_OTHER_FILTERS = ("evaluationFilters", "surveyFilters", "resolutionFilters")


def invalid_date() -> ApiError:
    return ApiError(
        400,
        "invalid.date",
        "Dates must be specified as ISO-8601 strings. For example: yyyy-MM-ddTHH:mm:ss.SSSZ",
    )


@dataclass(frozen=True)
class Selection:
    """The parsed parts of a details request shared by the query and jobs."""

    start: int
    end: int
    conversation_filters: list[Filter]
    segment_filters: list[Filter]
    impossible: bool  # evaluation/survey/resolution filters: the synthetic org has none of those
    order: str
    order_by: str

    @property
    def filtered(self) -> bool:
        return bool(self.conversation_filters or self.segment_filters or self.impossible)

    def matches(self, conversation: dict[str, Any]) -> bool:
        if self.impossible:
            return False
        return conversation_matches(conversation, self.conversation_filters, self.segment_filters)


def parse_selection(body: dict[str, Any]) -> Selection:
    """Interval, filters and ordering of a ConversationQuery / AsyncConversationQuery."""
    if "interval" not in body:
        raise bad_request("The interval is required.")
    try:
        start, end = parse_interval(body["interval"])
    except ValueError:
        raise invalid_date() from None
    order, order_by = body.get("order", "asc"), body.get("orderBy", "conversationStart")
    if order not in ORDERS:
        raise invalid_value(order, "SortOrder", ORDERS)
    if order_by not in ORDER_BYS:
        raise invalid_value(order_by, "ConversationQueryOrderBy", ORDER_BYS)
    impossible = any(bool(body.get(name)) for name in _OTHER_FILTERS)
    return Selection(
        start, end, parse_filters(body.get("conversationFilters"), CONVERSATION),
        parse_filters(body.get("segmentFilters"), SEGMENT), impossible, order, order_by,
    )  # fmt: skip


def _check_limits(selection: Selection, size: int, number: int) -> None:
    days = 31 if selection.filtered else 7
    if selection.end - selection.start > days * DAY_MS:
        raise bad_request(
            f"You must specify a search interval as part of your query that does not exceed {days} days."
        )
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise bad_request(f"The page size must be between 1 and {MAX_PAGE_SIZE}.")
    if number < 1:
        raise bad_request("The page number must be 1 or greater.")
    if size * number > MAX_RESULTS:
        raise bad_request("Pagination may not exceed 100000 results.")


def sort_key(order_by: str, now: int) -> Any:
    """Key over (day, index) refs; live conversations sort last by end (they have no end yet)."""
    if order_by in ("conversationEnd", "segmentEnd"):

        def by_end(ref: Any) -> tuple[int, str]:
            end = end_at(ref[0], ref[1], now)
            return (end if end <= now else 1 << 62, ref[0].ids[ref[1]])

        return by_end
    return lambda ref: (ref[0].starts[ref[1]], ref[0].ids[ref[1]])


@dataclass(frozen=True)
class Matched:
    """Every conversation a query matches, sorted, plus its facets: cached so paging does not redo them."""

    refs: list[
        tuple[int, int]
    ]  # (day start, index): holding no Day keeps the dataset's LRU in charge
    facets: bytes


class QueryCache:
    """The last few queries' matches, keyed by the body without paging and by emulator-now."""

    def __init__(self, size: int = 4) -> None:
        self._entries: OrderedDict[tuple[bytes, int], Matched] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: tuple[bytes, int]) -> Matched | None:
        with self._lock:
            return self._entries.get(key)

    def put(self, key: tuple[bytes, int], value: Matched) -> None:
        with self._lock:
            self._entries[key] = value
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)


def match(backend: Backend, selection: Selection, facets: list[Facet], now: int) -> Matched:
    """Day-start matching (§3.1), filters, ordering and facets over the whole result set."""
    refs = list(
        backend.dataset.iter_refs(
            floor_day(selection.start),
            last_day(backend, selection.end),
            now,
            divisions=backend.divisions,
        )
    )
    matched_views: list[dict[str, Any]] = []
    if selection.filtered or facets:
        kept = []
        for day, index in refs:
            view = view_at(day, index, now, attributes=False)
            if selection.matches(view):
                kept.append((day, index))
                if facets:
                    matched_views.append(view)
        refs = kept
    refs.sort(key=sort_key(selection.order_by, now), reverse=selection.order == "desc")
    facet_bytes = dumps(compute_facets(facets, matched_views)) if facets and refs else b""
    return Matched([(d.day_start, i) for d, i in refs], facet_bytes)


def last_day(backend: Backend, end: int) -> int:
    """The end of the last UTC day an interval ending at `end` touches (§3.1 day-start matching).

    In mode `midnight-touches-next-day` an end at exactly 00:00Z touches the day it opens.
    """
    if backend.config.has("midnight-touches-next-day"):
        return floor_day(end) + DAY_MS
    return ceil_day(end)


def total_hits(backend: Backend, exact: int) -> int:
    """`totalHits` as served: exact, or in mode `approximate-total-hits` about 1% off (either way)."""
    if not backend.config.has("approximate-total-hits") or exact == 0:
        return exact
    error = max(1, exact // 100)
    return exact + error if exact % 2 else max(0, exact - error)


def run_query(backend: Backend, body: dict[str, Any], cache: QueryCache) -> bytes:
    """The response bytes of a details query: conversations page, aggregations, totalHits."""
    selection = parse_selection(body)
    facets = parse_facets(body.get("aggregations"))
    paging = body.get("paging") or {}
    if not isinstance(paging, dict):
        raise bad_request()
    size, number = int(paging.get("pageSize", 25)), int(paging.get("pageNumber", 1))
    _check_limits(selection, size, number)
    now = backend.now_ms()
    key = (dumps({k: v for k, v in body.items() if k != "paging"}), now)
    matched = cache.get(key)
    if matched is None:
        matched = match(backend, selection, facets, now)
        cache.put(key, matched)
    if not matched.refs:
        return b'{"totalHits":0}'
    page = matched.refs[(number - 1) * size : number * size]
    chunks = [dumps(view_at(backend.dataset.day(d), i, now, attributes=False)) for d, i in page]
    out = b'{"conversations":[' + b",".join(chunks) + b"]," if chunks else b"{"
    if matched.facets:
        out += b'"aggregations":' + matched.facets + b","
    return out + b'"totalHits":' + str(total_hits(backend, len(matched.refs))).encode() + b"}"


def add_routes(routes: Routes, backend: Backend) -> None:
    """Register the details query and by-id routes."""

    cache = QueryCache()

    def post_query(call: Call) -> Reply:
        return Reply(200, run_query(backend, call.json(), cache))

    def get_one(call: Call) -> Reply:
        found = backend.dataset.find(
            call.params["conversationId"], backend.now_ms(), divisions=backend.divisions
        )
        if found is None:
            raise not_found()
        return Reply.json(view_at(*found, backend.now_ms(), attributes=False))

    def get_many(call: Call) -> Reply:
        ids = [i for i in (call.arg("id") or "").split(",") if i]
        if not ids:
            raise bad_request("At least one conversation id is required.")
        now = backend.now_ms()
        found = [backend.dataset.find(i, now, divisions=backend.divisions) for i in ids]
        return Reply.json(
            {"conversations": [view_at(*f, now, attributes=False) for f in found if f is not None]}
        )

    routes.add("POST", "/api/v2/analytics/conversations/details/query", post_query)
    routes.add("GET", "/api/v2/analytics/conversations/details", get_many)
    routes.add("GET", "/api/v2/analytics/conversations/{conversationId}/details", get_one)
