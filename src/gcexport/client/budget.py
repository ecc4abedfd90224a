"""The request budget shared by every thread using one set of credentials: a paced token bucket.

Genesys allows 300 requests/minute per client-credentials token by default (REFERENCE.md §9.1);
this tool takes a configurable share (default 240) so wallboards keep their headroom. The bucket
holds at most one second of requests, so no sliding minute ever sees more than
``requests_per_minute`` plus that small burst. Waiting goes through the injected clock.

Example::

    budget = RequestBudget(requests_per_minute=240, clock=SystemClock())
    waited = budget.acquire()          # blocks until this request may go
    budget.observe(response.headers)   # adapt to inin-ratelimit-* headers
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

from gcexport.client.failures import parse_seconds
from gcexport.clock import Clock

__all__ = ["RequestBudget"]


class RequestBudget:
    """A thread-safe token bucket; `acquire` reserves a slot and sleeps until it is due."""

    def __init__(self, requests_per_minute: float, *, clock: Clock, near_limit: int = 1) -> None:
        if requests_per_minute <= 0:
            raise ValueError("requests_per_minute must be positive")
        self._clock = clock
        self._configured = float(requests_per_minute)
        self._rate = self._configured / 60.0
        self._capacity = max(1.0, self._rate)
        self._tokens = self._capacity
        self._stamp = clock.monotonic()
        self._hold_until = 0.0
        self._near_limit = near_limit
        self._lock = threading.Lock()
        self.acquired = 0

    @property
    def requests_per_minute(self) -> float:
        """The pace currently in force (lower than configured after the server said so)."""
        return self._rate * 60.0

    def acquire(self) -> float:
        """Take one slot, sleeping on the clock until it is due; returns the seconds waited."""
        with self._lock:
            now = self._clock.monotonic()
            self._refill(now)
            self._tokens -= 1.0
            self.acquired += 1
            due = max(now + max(0.0, -self._tokens) / self._rate, self._hold_until)
            wait = due - now
        if wait > 0:
            self._clock.sleep(wait)
        return max(0.0, wait)

    def _refill(self, now: float) -> None:
        elapsed = max(0.0, now - self._stamp)
        self._tokens = min(self._capacity, self._tokens + elapsed * self._rate)
        self._stamp = now

    def observe(self, headers: Mapping[str, str]) -> None:
        """Adapt to ``inin-ratelimit-allowed/count/reset`` (REFERENCE.md §9.1).

        A server bucket smaller than our pace lowers the pace to just under it — its limit minus
        our burst capacity and one more request, so a sliding minute can never exceed it — and a
        bucket about to run out holds everyone until it resets.
        """
        allowed = parse_seconds(headers.get("inin-ratelimit-allowed"))
        count = parse_seconds(headers.get("inin-ratelimit-count"))
        reset = parse_seconds(headers.get("inin-ratelimit-reset"))
        if allowed is None or count is None or allowed <= 0:
            return
        with self._lock:
            ceiling = max(allowed * 0.9, allowed - self._capacity - 1.0)
            if ceiling < self.requests_per_minute:
                self._rate = ceiling / 60.0
            if allowed - count <= self._near_limit and reset is not None:
                self._hold(min(reset, 60.0))

    def pause(self, seconds: float) -> None:
        """Hold every worker for `seconds` (after a 429, so one storm does not feed another)."""
        with self._lock:
            self._hold(seconds)

    def _hold(self, seconds: float) -> None:
        self._hold_until = max(self._hold_until, self._clock.monotonic() + seconds)

    def __repr__(self) -> str:
        return f"RequestBudget(requests_per_minute={self.requests_per_minute:g})"
