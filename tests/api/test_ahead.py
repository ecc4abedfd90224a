"""Fetching pages ahead on a thread: order, bounded look-ahead, errors in order, early stop cleans up."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Generator, Iterator
from datetime import datetime, timezone
from typing import Any

import pytest

from gcexport.api import jobs
from gcexport.api.paging import iter_ahead
from gcexport.errors import DataError

START = datetime(2026, 3, 6, 3, tzinfo=timezone.utc)
END = datetime(2026, 3, 8, tzinfo=timezone.utc)


class Source:
    """Numbered items; remembers how far the fetching got, where, and whether it was closed."""

    def __init__(self, count: int, *, fail_at: int | None = None) -> None:
        self.count, self.fail_at = count, fail_at
        self.fetched = 0
        self.threads: set[str] = set()
        self.closed = threading.Event()

    def walk(self) -> Generator[Any, None, None]:
        try:
            for n in range(self.count):
                if n == self.fail_at:
                    raise DataError(f"page {n} is broken")
                self.fetched += 1
                self.threads.add(threading.current_thread().name)
                yield n
        finally:
            self.closed.set()


def test_every_page_arrives_in_order_from_another_thread() -> None:
    source = Source(25)
    assert list(iter_ahead(source.walk())) == list(range(25))
    assert source.threads == {"gcexport-fetch"} and source.closed.is_set()


def test_the_fetcher_runs_at_most_depth_plus_one_pages_ahead() -> None:
    source = Source(50)
    ahead: list[int] = []
    for consumed, _ in enumerate(iter_ahead(source.walk(), depth=2), start=1):
        threading.Event().wait(0.002)  # let the fetcher run as far as it may
        ahead.append(source.fetched - consumed)
    assert max(ahead) <= 3 and min(ahead) >= 0


def test_a_fetch_error_is_raised_after_the_pages_before_it() -> None:
    got: list[int] = []
    with pytest.raises(DataError, match="page 3 is broken"):
        for page in iter_ahead(Source(10, fail_at=3).walk()):
            got.append(page)
    assert got == [0, 1, 2]


def test_stopping_early_closes_the_source_before_returning() -> None:
    source = Source(1_000)
    stream = iter_ahead(source.walk())
    assert [next(stream), next(stream)] == [0, 1]
    stream.close()
    assert source.closed.is_set() and source.fetched < 1_000


def test_enter_wraps_the_walk_on_the_fetching_thread() -> None:
    entered: list[str] = []

    @contextlib.contextmanager
    def enter() -> Iterator[None]:
        entered.append(threading.current_thread().name)
        yield

    assert list(iter_ahead(Source(2).walk(), enter=enter)) == [0, 1]
    assert entered == ["gcexport-fetch"]


def test_an_abandoned_job_is_deleted_before_close_returns(make_org: Any) -> None:
    org = make_org()
    submitted: list[str] = []
    pages = jobs.iter_job_pages(
        org.client, START, END, page_size=10, on_job_submitted=submitted.append
    )
    stream = iter_ahead(pages)
    next(stream)
    stream.close()
    deleted = [r.path for r in org.emulator.requests if r.method == "DELETE" and r.status == 204]
    assert deleted == [f"/api/v2/analytics/conversations/details/jobs/{submitted[0]}"]
