"""The request budget shared by every thread using one set of credentials: a sliding-window ledger.

Genesys allows 300 requests/minute per client-credentials token by default (REFERENCE.md §9.1);
this tool takes a configurable share (default 240) so wallboards keep their headroom. The server
counts the requests that *arrived* in the last 60 seconds, so the budget mirrors it: a ledger of
send times (reservations, some in the future) in which no window of 60 s plus a small margin (for
the gap between our send and the server's arrival) ever holds more than ``requests_per_minute``.
An export of fewer requests than that never waits; a long one sends a full window's worth, then
waits for the oldest to leave. Waiting goes through the injected clock.

Example::

    budget = RequestBudget(requests_per_minute=240, clock=SystemClock())
    waited = budget.acquire()          # blocks until this request may go
    budget.observe(response.headers)   # adapt to inin-ratelimit-* headers
"""

from __future__ import annotations

import bisect
import math
import threading
from collections import deque
from collections.abc import Mapping

from gcexport.client.failures import parse_seconds
from gcexport.clock import Clock

__all__ = ["RequestBudget"]

WINDOW_S = 60.0  # the server's sliding window (REFERENCE.md §9.1)


class RequestBudget:
    """A thread-safe sliding-window budget; `acquire` reserves a send time and sleeps until it.

    `window_margin` seconds are added to the server's 60 s window, so a request we send on time
    never arrives inside the window of the request it replaces. `near_limit` is how close to its
    limit the server's count may come, from requests we did not send, before everyone is held
    until the server's window resets; a smaller server bucket lowers our limit to its size minus
    one request.
    """

    def __init__(
        self,
        requests_per_minute: float,
        *,
        clock: Clock,
        near_limit: int = 1,
        window_margin: float = 1.0,
    ) -> None:
        if requests_per_minute <= 0:
            raise ValueError("requests_per_minute must be positive")
        if window_margin < 0:
            raise ValueError("window_margin must not be negative")
        self._clock = clock
        self._limit = float(requests_per_minute)
        self._margin = window_margin
        self._sent: deque[float] = deque()  # the latest `_slots` send times, ascending
        self._hold_until = 0.0
        self._near_limit = near_limit
        self._lock = threading.Lock()
        self.acquired = 0

    @property
    def requests_per_minute(self) -> float:
        """The limit currently in force (lower than configured after the server said so)."""
        return self._limit

    @property
    def window_s(self) -> float:
        """The window our ledger keeps: 60 s plus the margin (longer below one request a minute)."""
        return WINDOW_S * self._slots / self._limit + self._margin

    @property
    def _slots(self) -> int:
        return max(1, math.floor(self._limit))

    def acquire(self) -> float:
        """Take one slot, sleeping on the clock until it is due; returns the seconds waited."""
        with self._lock:
            now = self._clock.monotonic()
            due = max(now, self._hold_until)
            if len(self._sent) >= self._slots:  # the window is full: wait for its oldest to leave
                due = max(due, self._sent[-self._slots] + self.window_s)
            self._sent.append(due)
            while len(self._sent) > self._slots:
                self._sent.popleft()
            self.acquired += 1
        wait = due - now
        if wait > 0:
            self._clock.sleep(wait)
        return max(0.0, wait)

    def observe(self, headers: Mapping[str, str]) -> None:
        """Adapt to ``inin-ratelimit-allowed/count/reset`` (REFERENCE.md §9.1).

        A server bucket at or below our limit lowers it to the bucket's size minus one. A count
        about to reach the bucket's size holds everyone until it resets — but only when it holds
        requests we did not send (another client shares the token): our own ledger already waits
        for our own requests to leave the window.
        """
        allowed = parse_seconds(headers.get("inin-ratelimit-allowed"))
        count = parse_seconds(headers.get("inin-ratelimit-count"))
        reset = parse_seconds(headers.get("inin-ratelimit-reset"))
        if allowed is None or count is None or allowed <= 0:
            return
        with self._lock:
            self._limit = min(self._limit, max(1.0, allowed - 1.0))
            now = self._clock.monotonic()
            others = count > self._sent_since(now)  # requests we did not send are counted
            if reset is not None and others and allowed - count <= self._near_limit:
                self._hold(min(reset, WINDOW_S), now)

    def _sent_since(self, now: float) -> int:
        """Our sends in the window ending `now` (reservations still in the future excluded)."""
        times = list(self._sent)
        return bisect.bisect_right(times, now) - bisect.bisect_right(times, now - self.window_s)

    def pause(self, seconds: float) -> None:
        """Hold every worker for `seconds` (after a 429, so one storm does not feed another)."""
        with self._lock:
            self._hold(seconds, self._clock.monotonic())

    def _hold(self, seconds: float, now: float) -> None:
        self._hold_until = max(self._hold_until, now + seconds)

    def __repr__(self) -> str:
        return (
            f"RequestBudget(requests_per_minute={self.requests_per_minute:g}, "
            f"window_s={self.window_s:g})"
        )
