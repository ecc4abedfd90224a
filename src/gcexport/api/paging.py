"""Small paging helpers shared by the endpoint modules: poll policies, page decoding, filtering.

Example::

    for page in iter_numbered_pages(client, "/api/v2/routing/queues", page_size=500):
        ...
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import queue
import threading
from collections.abc import Callable, Generator, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from gcexport.client import GenesysClient, Page
from gcexport.errors import DataError
from gcexport.models import Interval, parse_instant

__all__ = [
    "PollPolicy",
    "in_window",
    "in_window_lazily",
    "iter_ahead",
    "iter_numbered_pages",
    "with_items",
]


@dataclass(frozen=True)
class PollPolicy:
    """How to poll an asynchronous job: growing intervals, bounded in total (seconds)."""

    initial: float = 1.0
    factor: float = 1.5
    max_interval: float = 15.0
    timeout: float = 3600.0

    @classmethod
    def quick_first(cls, cap: float, *, first: float = 0.5, timeout: float = 3600.0) -> PollPolicy:
        """First poll `first` seconds after the status read that follows a submit, ×1.5 up to `cap`.

        A job that is ready in about a second (the emulator's, a small day's) is seen at 1.25 s
        after three status reads, not after the whole `cap`; a long one is polled every `cap`.
        """
        return cls(initial=min(first, cap), factor=1.5, max_interval=cap, timeout=timeout)

    def intervals(self) -> Iterator[float]:
        """The successive waits, stopping once `timeout` would be exceeded."""
        total, wait = 0.0, self.initial
        while total + wait <= self.timeout:
            yield wait
            total += wait
            wait = min(self.max_interval, wait * self.factor)


def with_items(page: Page, items: list[dict[str, Any]], **fields: Any) -> Page:
    """A copy of `page` holding `items` (and endpoint-specific `fields`)."""
    return dataclasses.replace(page, preset_items=items, **fields)


def in_window_lazily(page: Page, window: Interval, **fields: Any) -> Page:
    """A copy of `page` whose items, when first read, are those starting in `window`.

    Nothing is parsed now: a consumer of `raw` (the details transform) filters by itself.
    """
    return dataclasses.replace(page, keep=functools.partial(in_window, window=window), **fields)


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


_DONE = object()
_Slot = tuple[Any, "BaseException | None"]


def iter_ahead(
    pages: Iterator[Page],
    *,
    depth: int = 1,
    enter: Callable[[], AbstractContextManager[Any]] = contextlib.nullcontext,
) -> Generator[Page, None, None]:
    """Yield `pages`, fetching the next ones on a thread while the caller works on this one.

    At most `depth` fetched pages wait, so memory stays bounded. A fetch error is raised here, in
    order. Closing this generator (or an error in the caller) stops the fetching and closes
    `pages` on the fetching thread once its current request is answered, so a job's cleanup runs
    before this returns (and its error, if any, is raised). `enter` is entered on the fetching
    thread around the whole walk (e.g. the audit log's thread-local context)::

        with contextlib.closing(iter_ahead(iter_job_pages(client, start, end))) as stream:
            for page in stream:
                write(page.raw)
    """
    fetcher = _Fetcher(pages, depth, enter)
    fetcher.start()
    try:
        while True:
            page, error = fetcher.slots.get()
            if error is not None:
                raise error
            if page is _DONE:
                return
            yield page
    finally:
        fetcher.stop_and_join()


class _Fetcher(threading.Thread):
    """The fetching thread: every page into `slots`, then _DONE or the error that ended the walk."""

    def __init__(
        self,
        pages: Iterator[Page],
        depth: int,
        enter: Callable[[], AbstractContextManager[Any]],
    ) -> None:
        super().__init__(name="gcexport-fetch", daemon=True)
        self.pages, self.enter = pages, enter
        self.slots: queue.Queue[_Slot] = queue.Queue(maxsize=depth)
        self.stopped = threading.Event()
        self.undelivered: BaseException | None = None

    def run(self) -> None:
        end: _Slot = (_DONE, None)
        try:
            with self.enter():
                for page in self.pages:
                    if not self._offer((page, None)):
                        break
                if self.stopped.is_set() and isinstance(self.pages, Generator):
                    self.pages.close()  # the caller stopped early: the walk's cleanup runs here
        except BaseException as exc:  # handed to the caller's thread, which raises it
            end = (_DONE, exc)
        if not self._offer(end):
            self.undelivered = end[1]

    def _offer(self, slot: _Slot) -> bool:
        """Put `slot` once there is room; False when the caller stopped first."""
        while not self.stopped.is_set():
            try:
                self.slots.put(slot, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def stop_and_join(self) -> None:
        """Stop fetching, wait for the thread; raise an error the walk's cleanup raised."""
        self.stopped.set()
        errors: list[BaseException] = []
        while self.is_alive() or not self.slots.empty():  # unblock a fetcher waiting for room
            with contextlib.suppress(queue.Empty):
                _, error = self.slots.get(timeout=0.05)
                errors += [error] if error is not None else []
        self.join()
        errors += [self.undelivered] if self.undelivered is not None else []
        if errors:
            raise errors[0]
