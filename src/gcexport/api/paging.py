"""Small paging helpers shared by the endpoint modules: poll policies, page decoding, filtering.

Example::

    for page in iter_numbered_pages(client, "/api/v2/routing/queues", page_size=500):
        ...
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from gcexport.client import GenesysClient, Page
from gcexport.errors import DataError
from gcexport.models import Interval, parse_instant

__all__ = ["PollPolicy", "in_window", "iter_numbered_pages", "with_items"]


@dataclass(frozen=True)
class PollPolicy:
    """How to poll an asynchronous job: growing intervals, bounded in total (seconds)."""

    initial: float = 1.0
    factor: float = 1.5
    max_interval: float = 15.0
    timeout: float = 3600.0

    def intervals(self) -> Iterator[float]:
        """The successive waits, stopping once `timeout` would be exceeded."""
        total, wait = 0.0, self.initial
        while total + wait <= self.timeout:
            yield wait
            total += wait
            wait = min(self.max_interval, wait * self.factor)


def with_items(page: Page, items: list[dict[str, Any]], **fields: Any) -> Page:
    """A copy of `page` holding `items` (and endpoint-specific `fields`)."""
    return dataclasses.replace(page, items=items, **fields)


def in_window(conversations: list[dict[str, Any]], window: Interval) -> list[dict[str, Any]]:
    """Conversations whose ``conversationStart`` lies in the half-open window (ARCHITECTURE.md)."""
    kept = []
    for conversation in conversations:
        start = conversation.get("conversationStart")
        if not isinstance(start, str):
            raise DataError(
                f"conversation {conversation.get('conversationId')} has no conversationStart"
            )
        if window.contains(parse_instant(start)):
            kept.append(conversation)
    return kept


def iter_numbered_pages(
    client: GenesysClient,
    path: str,
    *,
    page_size: int = 500,
    params: Mapping[str, Any] | None = None,
) -> Iterator[Page]:
    """Walk an entity listing by ``pageNumber`` until ``pageCount`` (REFERENCE.md §8)."""
    number = 1
    while True:
        query = {**(params or {}), "pageSize": page_size, "pageNumber": number}
        page = client.request("GET", path, params=query, items_key="entities")
        body = page.json()
        count = body.get("pageCount")
        yield with_items(page, page.items, page_number=number, page_count=count)
        more = number < count if isinstance(count, int) else bool(body.get("nextUri"))
        if not more or not page.items:
            return
        number += 1
