"""Value objects of the client: the retry policy, one record per HTTP attempt, and pages with context.

Example::

    policy = RetryPolicy(max_attempts=5, max_total_wait=120.0)
    page.context.correlation_id, page.context.attempts, page.items
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import orjson
import pyarrow as pa
import simdjson

from gcexport.errors import DataError

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


class _Body:
    """The parsed body, shared by a page and its copies (parsed at most once)."""

    def __init__(self) -> None:
        self.value: Any = None
        self.parsed = False


@dataclass(frozen=True)
class Page:
    """One response: its raw body and context, its items, plus endpoint-specific fields.

    Nothing is parsed up front: `items` parses the body on first use (the list under
    `items_key`, passed through `keep` if given, or the `preset_items` a copy was made with), and
    `top_level` reads a few top-level fields without building the items, so a consumer that works
    from `raw` (the details transform reads it with Arrow) never pays for Python dicts.
    """

    raw: bytes
    context: PageContext
    items_key: str | None = None
    cursor: str | None = None
    total_hits: int | None = None
    data_availability: str | None = None
    page_number: int | None = None
    page_count: int | None = None
    preset_items: list[dict[str, Any]] | None = field(default=None, repr=False, compare=False)
    keep: Callable[[list[dict[str, Any]]], list[dict[str, Any]]] | None = field(
        default=None, repr=False, compare=False
    )
    _body: _Body = field(default_factory=_Body, repr=False, compare=False)

    @cached_property
    def items(self) -> list[dict[str, Any]]:
        """The page's records (parsed on first use; DataError if the body has no such list)."""
        if self.preset_items is not None:
            return self.preset_items
        if self.items_key is None:
            return []
        body = self.json()
        value = body.get(self.items_key, []) if isinstance(body, dict) else None
        if not isinstance(value, list):
            raise DataError(
                f"{self.context.endpoint} answered without a list in {self.items_key!r}"
            )
        return self.keep(value) if self.keep is not None else value

    def json(self) -> Any:
        """The parsed body (empty dict for an empty body); DataError if it is not JSON."""
        if not self._body.parsed:
            try:
                self._body.value = orjson.loads(self.raw) if self.raw.strip() else {}
            except orjson.JSONDecodeError as exc:
                raise DataError(
                    f"{self.context.endpoint} answered with a body that is not JSON: {exc}"
                ) from None
            self._body.parsed = True
        return self._body.value

    def top_level(self, types: Mapping[str, pa.DataType]) -> dict[str, Any]:
        """The named top-level fields of a JSON-object body (None when absent), items unbuilt.

        simdjson indexes the body without building its values, and only the named fields become
        Python objects: about a fifth of the CPU of Arrow's JSON reader skipping the other fields
        (the previous way) and a fifteenth of parsing a 4 MB results page into dicts. A body it
        cannot read that way (not one JSON object) is parsed whole instead, which names the error.
        `types` documents what each field should hold; values come back as the JSON has them.
        """
        if not self._body.parsed:
            found = _read_top_level(self.raw, types)
            if found is not None:
                return found
        body = self.json()
        return {name: body.get(name) if isinstance(body, dict) else None for name in types}

    def __repr__(self) -> str:
        return (
            f"Page(endpoint={self.context.endpoint!r}, bytes={self.context.bytes}, "
            f"status={self.context.status}, attempts={self.context.attempts})"
        )


def _read_top_level(raw: bytes, names: Iterable[str]) -> dict[str, Any] | None:
    # A parser per body: a parser holds one live document and its buffers; making one is cheap.
    try:
        body = simdjson.Parser().parse(raw)
    except (ValueError, RuntimeError):  # not JSON (or empty): the full parse reports it
        return None
    if not isinstance(body, simdjson.Object):
        return None
    return {name: _plain(body.get(name)) for name in names}


def _plain(value: Any) -> Any:
    """A simdjson value as plain Python (objects and arrays are built only when asked for)."""
    if isinstance(value, simdjson.Object):
        return value.as_dict()
    if isinstance(value, simdjson.Array):
        return value.as_list()
    return value
