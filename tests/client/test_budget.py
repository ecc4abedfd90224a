"""The shared request budget: pacing on the clock, a bounded burst, adaptation to rate headers."""

from __future__ import annotations

import threading
from typing import Any

import httpx

from gcexport.client import RequestBudget
from gcexport.clock import FakeClock


def busiest_minute(stamps: list[float]) -> int:
    stamps = sorted(stamps)
    best, low = 0, 0
    for high, stamp in enumerate(stamps):
        while stamps[low] <= stamp - 60.0:
            low += 1
        best = max(best, high - low + 1)
    return best


def test_pacing_never_exceeds_rate_in_any_minute() -> None:
    clock = FakeClock()
    budget = RequestBudget(120, clock=clock)
    stamps = []
    for _ in range(600):
        budget.acquire()
        stamps.append(clock.monotonic())
    assert busiest_minute(stamps) <= 120 + 2  # the rate plus a burst of one second
    assert stamps[-1] >= (600 - 2) / 2.0  # 2 per second


def test_budget_is_shared_by_threads() -> None:
    clock = FakeClock()
    budget = RequestBudget(300, clock=clock)
    stamps: list[float] = []
    lock = threading.Lock()

    def work() -> None:
        for _ in range(50):
            budget.acquire()
            with lock:
                stamps.append(clock.monotonic())

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert budget.acquired == 300
    assert clock.monotonic() >= (300 - 5) / 5.0


def test_smaller_server_bucket_lowers_the_pace() -> None:
    budget = RequestBudget(240, clock=FakeClock())
    budget.observe(
        {"inin-ratelimit-allowed": "180", "inin-ratelimit-count": "1", "inin-ratelimit-reset": "59"}
    )
    # 180 allowed, minus our burst capacity (240/min -> 4) and one: a sliding minute stays <= 180
    assert budget.requests_per_minute == 175.0
    budget.observe({"inin-ratelimit-allowed": "3000", "inin-ratelimit-count": "1"})
    assert budget.requests_per_minute == 175.0  # never raised above what was seen


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


def test_pause_after_429_delays_other_workers() -> None:
    clock = FakeClock()
    budget = RequestBudget(6000, clock=clock)
    budget.pause(5.0)
    assert budget.acquire() == 5.0


def test_clients_for_the_same_credentials_can_share_a_budget(
    make_client: Any, clock: FakeClock
) -> None:
    shared = RequestBudget(60, clock=clock)
    first, _ = make_client(lambda r: httpx.Response(200, json={}), budget=shared)
    second, _ = make_client(lambda r: httpx.Response(200, json={}), budget=shared)
    for _ in range(5):
        first.request("GET", "/api/v2/users")
        second.request("GET", "/api/v2/users")
    assert first.budget is second.budget is shared
    assert shared.acquired == 12  # 10 calls and one token each
    assert clock.monotonic() >= 11.0  # one per second after the first
