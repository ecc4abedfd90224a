"""Value objects of the client: the retry policy, one record per HTTP attempt, and pages with context.

Example::

    policy = RetryPolicy(max_attempts=5, max_total_wait=120.0)
    page.context.correlation_id, page.context.attempts, page.items
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

__all__ = ["Page", "PageContext", "RequestRecord", "RetryPolicy"]

RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})  # REFERENCE.md §9.2, §9.3


@dataclass(frozen=True)
class RetryPolicy:
    """How long to keep trying: attempts and total waiting are both bounded.

    Backoff for 5xx/network errors is ``min(backoff_max, backoff_base * 2**(n-1))`` with full
    jitter; a 429 waits what the server asked (REFERENCE.md §9.2).
    """

    max_attempts: int = 8
    max_total_wait: float = 600.0
    backoff_base: float = 1.0
    backoff_max: float = 60.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.max_total_wait < 0 or self.backoff_base < 0 or self.backoff_max < 0:
            raise ValueError("waits must not be negative")

    def backoff(self, attempt: int, jitter: float) -> float:
        """The wait after failed attempt `attempt` (1-based); `jitter` in [0, 1)."""
        ceiling = min(self.backoff_max, self.backoff_base * 2.0 ** (attempt - 1))
        return float(ceiling * (0.5 + jitter / 2))


@dataclass(frozen=True)
class RequestRecord:
    """One HTTP attempt, for the audit log (token calls, retries and failures included).

    `waited_s` is the retry wait slept right before this attempt; `budget_wait_s` the time the
    shared request budget held it back.
    """

    method: str
    endpoint: str
    path: str
    status: int | None
    attempt: int
    waited_s: float
    duration_s: float
    response_bytes: int
    correlation_id: str | None
    error: str | None = None
    budget_wait_s: float = 0.0


@dataclass(frozen=True)
class PageContext:
    """Where a page came from: enough to quote to Genesys support or write to the audit log."""

    endpoint: str
    status: int
    correlation_id: str | None
    attempts: int
    waited_s: float
    bytes: int
    ratelimit: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Page:
    """One response: its items, the raw body and its context, plus endpoint-specific fields."""

    items: list[dict[str, Any]]
    raw: bytes
    context: PageContext
    cursor: str | None = None
    total_hits: int | None = None
    data_availability: str | None = None
    page_number: int | None = None
    page_count: int | None = None
    body: Any = field(
        default=None, repr=False, compare=False
    )  # parsed once, when items were asked for

    def json(self) -> Any:
        """The parsed body (empty dict for an empty body)."""
        if self.body is not None:
            return self.body
        return orjson.loads(self.raw) if self.raw else {}

    def __repr__(self) -> str:
        return (
            f"Page(endpoint={self.context.endpoint!r}, items={len(self.items)}, "
            f"status={self.context.status}, attempts={self.context.attempts})"
        )
