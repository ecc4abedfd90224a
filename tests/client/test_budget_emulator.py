"""The budget against the emulator's sliding-window limiter: full windows, never a 429."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from pydantic import SecretStr

from gcexport.client import GenesysClient, RequestRecord, RetryPolicy
from gcexport.clock import FakeClock
from gcexport.emulator import Emulator, EmulatorConfig

NOW = datetime(2026, 3, 20, 12, tzinfo=timezone.utc)


def window_counts(stamps: list[float], window: float = 60.0) -> int:
    """The most sends in any half-open window of `window` seconds ending at a send."""
    stamps, best, low = sorted(stamps), 0, 0
    for high, stamp in enumerate(stamps):
        while stamps[low] <= stamp - window:
            low += 1
        best = max(best, high - low + 1)
    return best


@pytest.mark.parametrize("share", [1.0, 1.5])
def test_requests_fill_each_window_without_a_429(share: float) -> None:
    clock = FakeClock(NOW)
    emulator = Emulator(
        EmulatorConfig(seed=4, conversations_per_day=10, now=NOW, rate_limit=20), clock=clock
    )
    stamps: list[float] = []

    def record(entry: RequestRecord) -> None:
        stamps.append(clock.monotonic())

    client = GenesysClient(
        api_url="https://api.emulator.test", login_url="https://login.emulator.test",
        client_id=emulator.config.client_id, client_secret=SecretStr(emulator.config.client_secret),
        transport=emulator.transport(), clock=clock, requests_per_minute=20 * share,
        retry=RetryPolicy(max_attempts=3, max_total_wait=60.0), on_request=record,
    )  # fmt: skip
    with client:
        for _ in range(100):
            client.request("GET", "/api/v2/routing/queues", params={"pageSize": 1})
    statuses = [r.status for r in emulator.requests]
    assert statuses.count(429) == 0
    assert statuses.count(200) == 101  # the token and the 100 reads
    assert client.budget.requests_per_minute == 19.0  # the server's 20, minus one
    assert window_counts(stamps) == 19
    # 101 sends at 19 per 61 s window: five full windows, the last six at 5 × 61 s
    assert clock.monotonic() == 305.0
    assert sorted(set(stamps)) == [0.0, 61.0, 122.0, 183.0, 244.0, 305.0]
