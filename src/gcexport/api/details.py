"""The synchronous details query, paged and sliced so that every conversation comes back exactly once.

Facts it relies on (REFERENCE.md §3): the query matches conversations whose start falls on a
UTC *day* touched by the interval, so each slice is whole UTC days and results are filtered to
the caller's ``[start, end)``; intervals are capped at 7 days (31 with filters); pages hold at
most 100 rows and paging stops at 100,000 results.

Splitting past the 100,000 cap: a sub-day time split is impossible (day matching), and range
semantics on ``conversationStart`` are unverified (§3.2), so an over-full day is read from both
ends — ascending by ``conversationStart`` up to the cap, then descending for the rest plus one
page of overlap — de-duplicated by ``conversationId``; that reaches twice the cap. A day beyond
that is first partitioned on single-valued, enumerated conversation dimensions
(``originatingDirection`` inbound | outbound | absent, then ``customerParticipation``
true | false | absent), each partition one extra ANDed conversation filter: disjoint and together
exhaustive. If the unique conversations read fall short of ``totalHits`` the slice raises
`DataError` rather than return less.

Two facts are NOT relied on (§16 item 2): each slice ends 1 ms before midnight, so it cannot touch
the next day whatever an end at 00:00Z means; and ``totalHits`` only sizes the plan — a slice is
paged until a short page, not until ``totalHits`` rows.

Example::

    for page in iter_query_pages(client, start, end):
        rows.extend(page.items)
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from gcexport.api.paging import in_window, with_items
from gcexport.client import GenesysClient, Page
from gcexport.errors import DataError
from gcexport.models import DetailsQuery, Filter, Interval, Paging, Predicate
from gcexport.models.queries import (
    MAX_DETAILS_DAYS_FILTERED,
    MAX_DETAILS_DAYS_UNFILTERED,
    MAX_PAGE_SIZE,
    MAX_PAGING_RESULTS,
)

__all__ = ["DETAILS_QUERY_PATH", "PARTITIONS", "iter_query_pages"]

DETAILS_QUERY_PATH = "/api/v2/analytics/conversations/details/query"
Order = Literal["asc", "desc"]

#: Single-valued conversation dimensions and their enumerated values (REFERENCE.md §4.2).
PARTITIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("originatingDirection", ("inbound", "outbound")),
    ("customerParticipation", ("true", "false")),
)


@dataclass(frozen=True)
class _Slice:
    """One query: whole UTC days plus the partition predicates that narrow it."""

    interval: Interval
    partition: tuple[Predicate, ...] = ()
    depth: int = 0


def iter_query_pages(
    client: GenesysClient,
    start: datetime,
    end: datetime,
    *,
    segment_filters: Sequence[Filter] | None = None,
    conversation_filters: Sequence[Filter] | None = None,
    page_size: int = MAX_PAGE_SIZE,
    max_results: int = MAX_PAGING_RESULTS,
) -> Iterator[Page]:
    """Pages of conversations whose ``conversationStart`` lies in ``[start, end)``.

    `max_results` is the server's paging cap (100,000); lowering it only exercises splitting.
    """
    window = Interval.of(start, end)
    query = _Query(client, window, list(segment_filters or []), list(conversation_filters or []))
    query.page_size, query.max_results = page_size, max_results
    days = MAX_DETAILS_DAYS_FILTERED if query.filtered else MAX_DETAILS_DAYS_UNFILTERED
    for piece in window.day_aligned().split(timedelta(days=days)):
        yield from query.iter_slice(_Slice(piece))


class _Query:
    """The fixed parts of one export (client, window, caller's filters) and the slice walker."""

    def __init__(
        self,
        client: GenesysClient,
        window: Interval,
        segment_filters: list[Filter],
        conversation_filters: list[Filter],
    ) -> None:
        self.client, self.window = client, window
        self.segment_filters, self.conversation_filters = segment_filters, conversation_filters
        self.page_size, self.max_results = MAX_PAGE_SIZE, MAX_PAGING_RESULTS

    @property
    def filtered(self) -> bool:
        return bool(self.segment_filters or self.conversation_filters)

    def iter_slice(self, piece: _Slice) -> Iterator[Page]:
        first = self._fetch(piece, 1)
        total = first.total_hits or 0
        if total > self.max_results:
            yield from self._iter_split(piece, total)
            return
        seen: set[str] = set()
        yield self._keep(first, seen)
        if len(first.items) < self.page_size:
            return
        # totalHits is an estimate (§16 item 2): page on until a short page, never stop at it.
        last = max(math.ceil(total / self.page_size), self.max_results // self.page_size)
        yield from self._iter_numbers(piece, range(2, last + 1), seen)

    def _iter_numbers(
        self, piece: _Slice, numbers: range, seen: set[str], order: Order = "asc"
    ) -> Iterator[Page]:
        for number in numbers:
            page = self._fetch(piece, number, order)
            if not page.items:
                return
            yield self._keep(page, seen)
            if len(page.items) < self.page_size:
                return

    def _iter_both_ends(self, piece: _Slice, total: int) -> Iterator[Page]:
        last = self.max_results // self.page_size
        seen: set[str] = set()
        yield from self._iter_numbers(piece, range(1, last + 1), seen)
        rest = math.ceil((total - len(seen)) / self.page_size) + 1  # one page of overlap
        yield from self._iter_numbers(piece, range(1, min(rest, last) + 1), seen, "desc")
        if len(seen) < total:
            raise DataError(
                f"read {len(seen)} of {total} conversations of {piece.interval} from both ends"
                " of the details query; refusing to return less — export this day with details jobs"
            )

    def _iter_split(self, piece: _Slice, total: int) -> Iterator[Page]:
        if piece.interval.duration > timedelta(days=1):
            for day in piece.interval.split(timedelta(days=1)):
                yield from self.iter_slice(_Slice(day, piece.partition, piece.depth))
            return
        if total <= 2 * self.max_results:
            yield from self._iter_both_ends(piece, total)
            return
        if piece.depth >= len(PARTITIONS):
            raise DataError(
                f"{total} conversations match {piece.interval} even after partitioning; more than"
                f" the details query can page ({self.max_results}) — export this day with details jobs"
            )
        dimension, values = PARTITIONS[piece.depth]
        options = [Predicate(dimension=dimension, value=value) for value in values]
        options.append(Predicate(dimension=dimension, operator="notExists"))
        for option in options:
            yield from self.iter_slice(
                _Slice(piece.interval, (*piece.partition, option), piece.depth + 1)
            )

    def _fetch(self, piece: _Slice, number: int, order: Order = "asc") -> Page:
        conversation_filters = list(self.conversation_filters)
        if piece.partition:
            conversation_filters.append(Filter(type="and", predicates=list(piece.partition)))
        body = DetailsQuery(
            interval=piece.interval.short_of_midnight(),
            segment_filters=self.segment_filters or None,
            conversation_filters=conversation_filters or None,
            order=order,
            order_by="conversationStart",
            paging=Paging(page_size=self.page_size, page_number=number),
        )
        page = self.client.request(
            "POST", DETAILS_QUERY_PATH, json=body.to_api(), items_key="conversations"
        )
        total = page.json().get("totalHits")
        return with_items(
            page, page.items, total_hits=total if isinstance(total, int) else 0, page_number=number
        )

    def _keep(self, page: Page, seen: set[str]) -> Page:
        new: list[dict[str, Any]] = []
        for conversation in page.items:
            key = str(conversation.get("conversationId"))
            if key not in seen:
                seen.add(key)
                new.append(conversation)
        return with_items(page, in_window(new, self.window))
