"""The shared request budget: a sliding window on the clock, shared by threads, adapting to rate headers."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

import httpx

from gcexport.client import RequestBudget
from gcexport.clock import FakeClock


def busiest_window(stamps: list[float], window: float = 60.0) -> int:
    """The most sends whose times lie in any half-open window of `window` seconds."""
    stamps = sorted(stamps)
    best, low = 0, 0
    for high, stamp in enumerate(stamps):
        while stamps[low] <= stamp - window:
            low += 1
        best = max(best, high - low + 1)
    return best


def sends(budget: RequestBudget, clock: FakeClock, count: int) -> list[float]:
    stamps = []
    for _ in range(count):
        budget.acquire()
        stamps.append(clock.monotonic())
    return stamps


class FrozenClock:
    """A clock that never moves, even when slept on: each `acquire` returns its slot's time.

    FakeClock's sleeps add up across threads (two workers sleeping 61 s move it 122 s), so the
    threaded test reads the reservations themselves instead of a timeline.
    """

    def now(self) -> datetime:
        return datetime(2026, 3, 1)

    def monotonic(self) -> float:
        return 0.0

    def sleep(self, seconds: float) -> None:
        return None


def test_fewer_requests_than_the_limit_never_wait() -> None:
    clock = FakeClock()
    budget = RequestBudget(120, clock=clock)
    assert [budget.acquire() for _ in range(120)] == [0.0] * 120
    assert clock.slept == []
    assert budget.acquired == 120


def test_request_past_the_limit_waits_for_the_first_to_leave_the_window() -> None:
    clock = FakeClock()
    budget = RequestBudget(120, clock=clock)
    clock.advance(5.0)
    budget.acquire()  # the first, at 5 s
    clock.advance(10.0)
    for _ in range(119):
        assert budget.acquire() == 0.0
    assert budget.acquire() == 5.0 + 61.0 - 15.0  # 60 s window plus the 1 s margin
    assert clock.monotonic() == 66.0
    assert budget.acquire() == 10.0  # the second left at 15 + 61


def test_margin_is_configurable_and_zero_mirrors_the_server_exactly() -> None:
    clock = FakeClock()
    budget = RequestBudget(2, clock=clock, window_margin=0.0)
    assert sends(budget, clock, 5) == [0.0, 0.0, 60.0, 60.0, 120.0]
    assert budget.window_s == 60.0


def test_no_window_over_ten_simulated_minutes_holds_more_than_the_limit() -> None:
    clock = FakeClock()
    budget = RequestBudget(120, clock=clock)
    stamps = []
    for index in range(1300):
        if index % 7 == 0:
            clock.advance(0.37)  # the work between requests
        budget.acquire()
        stamps.append(clock.monotonic())
    assert stamps[-1] >= 600.0
    assert busiest_window(stamps, 60.0) == 120
    assert busiest_window(stamps, 61.0 - 1e-9) == 120  # the margin holds too (float sums)
    assert busiest_window(stamps, 61.001) > 120  # ... and no more than the margin is spent


def test_long_run_sends_exactly_one_full_window_per_window() -> None:
    clock = FakeClock()
    budget = RequestBudget(60, clock=clock)
    stamps = sends(budget, clock, 300)
    assert sorted(set(stamps)) == [0.0, 61.0, 122.0, 183.0, 244.0]
    assert all(stamps.count(t) == 60 for t in set(stamps))


def test_below_one_request_a_minute_spreads_over_a_longer_window() -> None:
    clock = FakeClock()
    budget = RequestBudget(0.5, clock=clock)
    assert sends(budget, clock, 3) == [0.0, 121.0, 242.0]


def test_threads_reserve_distinct_slots() -> None:
    budget = RequestBudget(100, clock=FrozenClock())
    slots: list[float] = []
    lock = threading.Lock()

    def work() -> None:
        for _ in range(50):
            waited = budget.acquire()
            with lock:
                slots.append(waited)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert budget.acquired == 400 and len(slots) == 400
    assert {t: slots.count(t) for t in sorted(set(slots))} == {
        0.0: 100,
        61.0: 100,
        122.0: 100,
        183.0: 100,
    }
    assert busiest_window(slots, 61.0) == 100


def test_smaller_server_bucket_lowers_the_limit() -> None:
    clock = FakeClock()
    budget = RequestBudget(240, clock=clock)
    budget.observe(
        {"inin-ratelimit-allowed": "180", "inin-ratelimit-count": "1", "inin-ratelimit-reset": "59"}
    )
    assert budget.requests_per_minute == 179.0  # the server's bucket minus one request
    budget.observe({"inin-ratelimit-allowed": "3000", "inin-ratelimit-count": "1"})
    assert budget.requests_per_minute == 179.0  # never raised above what was seen
    stamps = sends(budget, clock, 400)
    assert busiest_window(stamps, 61.0) == 179


def test_lowering_the_limit_after_a_burst_keeps_later_windows_under_it() -> None:
    clock = FakeClock()
    budget = RequestBudget(100, clock=clock)
    stamps = sends(budget, clock, 100)
    budget.observe({"inin-ratelimit-allowed": "51", "inin-ratelimit-count": "100"})
    stamps += sends(budget, clock, 100)
    assert stamps[100:] == [61.0] * 50 + [122.0] * 50
    assert busiest_window(stamps[100:], 61.0) == 50


def test_nearly_spent_bucket_holds_everyone_until_reset() -> None:
    clock = FakeClock()
    budget = RequestBudget(600, clock=clock)
    budget.observe(
        {
            "inin-ratelimit-allowed": "300",
            "inin-ratelimit-count": "299",
            "inin-ratelimit-reset": "17",
        }
    )
    waited = budget.acquire()
    assert waited == 17.0


def test_own_requests_filling_the_server_window_do_not_hold() -> None:
    clock = FakeClock()
    budget = RequestBudget(120, clock=clock)
    budget.observe({"inin-ratelimit-allowed": "121", "inin-ratelimit-count": "1"})
    for count in range(1, 121):
        assert budget.acquire() == 0.0
        budget.observe(
            {
                "inin-ratelimit-allowed": "121",
                "inin-ratelimit-count": str(count),
                "inin-ratelimit-reset": "60",
            }
        )
    assert clock.slept == []


def test_another_client_on_the_token_holds_everyone_until_reset() -> None:
    clock = FakeClock()
    budget = RequestBudget(120, clock=clock)
    sends(budget, clock, 10)
    # the server counts 120 in its window, of which we sent 10: someone else shares the token
    budget.observe(
        {
            "inin-ratelimit-allowed": "121",
            "inin-ratelimit-count": "120",
            "inin-ratelimit-reset": "42",
        }
    )
    assert budget.acquire() == 42.0


def test_pause_after_429_delays_other_workers() -> None:
    clock = FakeClock()
    budget = RequestBudget(6000, clock=clock)
    budget.pause(5.0)
    assert budget.acquire() == 5.0
    assert budget.acquire() == 0.0


def test_repr_names_the_limit_and_window() -> None:
    assert repr(RequestBudget(240, clock=FakeClock())) == (
        "RequestBudget(requests_per_minute=240, window_s=61)"
    )


def test_clients_for_the_same_credentials_can_share_a_budget(
    make_client: Any, clock: FakeClock
) -> None:
    shared = RequestBudget(10, clock=clock)
    first, _ = make_client(lambda r: httpx.Response(200, json={}), budget=shared)
    second, _ = make_client(lambda r: httpx.Response(200, json={}), budget=shared)
    for _ in range(5):
        first.request("GET", "/api/v2/users")
        second.request("GET", "/api/v2/users")
    assert first.budget is second.budget is shared
    assert shared.acquired == 12  # 10 calls and one token each
    assert clock.slept == [61.0]  # the 11th waits a window; the 12th goes with it
    assert clock.monotonic() == 61.0
