"""The conversation aggregates query, chunked so no request exceeds the interval limit (REFERENCE.md §6).

Chunks start at the query's interval start and are whole multiples of the granularity, so
every bucket lies in exactly one chunk. The aggregate interval limit is unverified (§6.4), so
it is a parameter (default 31 days, like the details query with filters).

Example::

    for page in iter_pages(client, AggregateQuery(interval=iv, metrics=["nOffered"], granularity="PT30M")):
        rows.extend(page.items)      # results[] entries: {group, data[]}
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from gcexport.client import GenesysClient, Page
from gcexport.models import AggregateQuery, Interval, parse_duration

__all__ = ["AGGREGATES_PATH", "MAX_AGGREGATE_DAYS", "chunk_interval", "iter_pages"]

AGGREGATES_PATH = "/api/v2/analytics/conversations/aggregates/query"
MAX_AGGREGATE_DAYS = 31  # unverified (REFERENCE.md §6.4): configurable via `max_days`


def chunk_interval(interval: Interval, granularity: str | None, *, max_days: int) -> list[Interval]:
    """Pieces of at most `max_days`, each a whole number of granularity buckets when possible."""
    limit = timedelta(days=max_days)
    if interval.duration <= limit:
        return [interval]
    bucket = parse_duration(granularity) if granularity else None
    size = limit
    if bucket is not None and bucket <= limit:
        size = bucket * (limit // bucket)
    return list(interval.split(size))


def iter_pages(
    client: GenesysClient, query: AggregateQuery, *, max_days: int = MAX_AGGREGATE_DAYS
) -> Iterator[Page]:
    """One page per chunk; items are the response's ``results`` entries (absent = none, §6.1)."""
    for piece in chunk_interval(query.interval, query.granularity, max_days=max_days):
        body = query.with_interval(piece).to_api()
        yield client.request("POST", AGGREGATES_PATH, json=body, items_key="results")
