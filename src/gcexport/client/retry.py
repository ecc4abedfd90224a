"""A transport wrapping a transport: shared budget, retries with backoff, and one record per attempt.

429 waits ``Retry-After`` (then ``inin-ratelimit-reset``, then backoff); 408/5xx, timeouts and
dropped connections back off with jitter; anything else is returned to the caller at once
(REFERENCE.md §9.2). Every wait goes through the clock.

Example::

    transport = RetryTransport(httpx.HTTPTransport(), policy=RetryPolicy(), budget=budget,
                               clock=SystemClock(), on_request=audit.append)
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from gcexport.client.budget import RequestBudget
from gcexport.client.failures import (
    CORRELATION_HEADER,
    error_for_response,
    exhausted,
    network_error,
    unreachable,
)
from gcexport.client.records import RETRYABLE_STATUSES, RequestRecord, RetryPolicy
from gcexport.clock import Clock
from gcexport.errors import GcExportError, RateLimitedError, TransientError

__all__ = ["ENDPOINT_KEY", "ONCE_KEY", "STATS_KEY", "AttemptStats", "RetryTransport"]

ENDPOINT_KEY = "gcexport.endpoint"  # request extension: the path template, for records/errors
# Request extension: do not repeat the request after an ambiguous failure (5xx, 408, network), which
# may come after the server acted on it (REFERENCE.md §16 item 7); only a 429 is retried.
ONCE_KEY = "gcexport.once_if_ambiguous"
STATS_KEY = "gcexport.stats"  # response extension: AttemptStats of the call


@dataclass(frozen=True)
class AttemptStats:
    """How a response was obtained: attempts made and seconds spent waiting for retries."""

    attempts: int
    waited_s: float


class RetryTransport(httpx.BaseTransport):
    """Retries transient failures within a `RetryPolicy`, pacing every attempt through a budget."""

    def __init__(
        self,
        inner: httpx.BaseTransport,
        *,
        policy: RetryPolicy,
        budget: RequestBudget,
        clock: Clock,
        on_request: Callable[[RequestRecord], None] | None = None,
        seed: int | None = None,
    ) -> None:
        self._inner = inner
        self._policy = policy
        self._budget = budget
        self._clock = clock
        self._on_request = on_request
        self._random = random.Random(seed)
        self._random_lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        endpoint = str(request.extensions.get(ENDPOINT_KEY) or request.url.path)
        waited = 0.0
        pending = 0.0
        failure: TransientError | None = None
        attempt = 0
        for attempt in range(1, self._policy.max_attempts + 1):
            response, failure = self._attempt(request, endpoint, attempt, pending)
            if failure is None and response is not None:
                response.extensions[STATS_KEY] = AttemptStats(attempt, waited)
                return response
            assert failure is not None
            if request.extensions.get(ONCE_KEY) and not isinstance(failure, RateLimitedError):
                break
            pending = self._wait_for(failure, attempt)
            if (
                attempt == self._policy.max_attempts
                or waited + pending > self._policy.max_total_wait
            ):
                break
            self._clock.sleep(pending)
            waited += pending
        assert failure is not None
        raise exhausted(
            failure,
            endpoint=endpoint,
            attempts=attempt,
            waited=waited,
            host=request.url.host,
            token=endpoint == "/oauth/token",
        )

    def _attempt(
        self, request: httpx.Request, endpoint: str, attempt: int, waited: float
    ) -> tuple[httpx.Response | None, TransientError | None]:
        budget_wait = self._budget.acquire()
        started = self._clock.monotonic()
        try:
            response = self._inner.handle_request(request)
            response.request = request
            response.read()
        except httpx.TransportError as exc:
            fatal = unreachable(exc, request=request)
            if fatal is not None:
                self._record(
                    request, endpoint, attempt, waited, budget_wait, started, None, str(fatal)
                )
                raise fatal from None
            error = network_error(exc, request=request)
            self._record(request, endpoint, attempt, waited, budget_wait, started, None, str(error))
            return None, error
        self._budget.observe(response.headers)
        failure = _transient(response, endpoint)
        note = _short(error_for_response(response, endpoint=endpoint))
        self._record(request, endpoint, attempt, waited, budget_wait, started, response, note)
        if failure is not None:
            response.close()
        return (None, failure) if failure is not None else (response, None)

    def _wait_for(self, failure: TransientError, attempt: int) -> float:
        if isinstance(failure, RateLimitedError) and failure.retry_after is not None:
            self._budget.pause(failure.retry_after)
            return failure.retry_after
        with self._random_lock:
            jitter = self._random.random()
        return self._policy.backoff(attempt, jitter)

    def _record(
        self,
        request: httpx.Request,
        endpoint: str,
        attempt: int,
        waited: float,
        budget_wait: float,
        started: float,
        response: httpx.Response | None,
        error: str | None,
    ) -> None:
        if self._on_request is None:
            return
        self._on_request(
            RequestRecord(
                method=request.method,
                endpoint=endpoint,
                path=request.url.path,
                status=None if response is None else response.status_code,
                attempt=attempt,
                waited_s=waited,
                duration_s=self._clock.monotonic() - started,
                response_bytes=0 if response is None else len(response.content),
                correlation_id=None
                if response is None
                else response.headers.get(CORRELATION_HEADER),
                error=error,
                budget_wait_s=budget_wait,
            )
        )

    def close(self) -> None:
        self._inner.close()


def _transient(response: httpx.Response, endpoint: str) -> TransientError | None:
    if response.status_code not in RETRYABLE_STATUSES:
        return None
    error = error_for_response(response, endpoint=endpoint)
    assert isinstance(error, TransientError)
    return error


def _short(error: GcExportError | None) -> str | None:
    return None if error is None else str(error)[:200]
