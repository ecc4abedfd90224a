"""The retry transport: what it waits for each failure, and that it gives up within bounds."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from gcexport.client import RequestRecord, RetryPolicy
from gcexport.clock import FakeClock
from gcexport.errors import ApiError

PATH = "/api/v2/analytics/conversations/aggregates/query"


def scripted(*responses: Any) -> Any:
    """An API handler that plays `responses` in order (an Exception class means: drop)."""
    queue: Iterator[Any] = iter(responses)

    def api(request: httpx.Request) -> httpx.Response:
        step = next(queue)
        if isinstance(step, type) and issubclass(step, Exception):
            raise step("connection dropped", request=request)
        status, headers = step
        return httpx.Response(status, headers=headers, json={"results": [{"n": status}]})

    return api


def api_records(records: list[RequestRecord]) -> list[RequestRecord]:
    return [r for r in records if r.endpoint == PATH]


def test_429_waits_exactly_retry_after(
    make_client: Any, clock: FakeClock, records: list[Any]
) -> None:
    client, _ = make_client(
        scripted((429, {"Retry-After": "7"}), (429, {"Retry-After": "3"}), (200, {}))
    )
    page = client.request("POST", PATH, json={"q": 1}, items_key="results")
    assert page.items == [{"n": 200}]
    assert (page.context.attempts, page.context.waited_s) == (3, 10.0)
    assert [r.waited_s for r in api_records(records)] == [0.0, 7.0, 3.0]
    assert [r.status for r in api_records(records)] == [429, 429, 200]
    assert clock.slept == [7.0, 3.0]


def test_429_without_retry_after_uses_ratelimit_reset(make_client: Any, clock: FakeClock) -> None:
    client, _ = make_client(scripted((429, {"inin-ratelimit-reset": "12"}), (200, {})))
    client.request("POST", PATH, json={})
    assert clock.slept == [12.0]


def test_backoff_grows_with_jitter_and_stays_bounded(make_client: Any, clock: FakeClock) -> None:
    policy = RetryPolicy(max_attempts=6, max_total_wait=1000, backoff_base=2.0, backoff_max=5.0)
    client, _ = make_client(
        scripted((503, {}), (502, {}), (500, {}), (504, {}), (429, {}), (200, {})), retry=policy
    )
    client.request("POST", PATH, json={})
    ceilings = [2.0, 4.0, 5.0, 5.0, 5.0]
    assert len(clock.slept) == 5
    for waited, ceiling in zip(clock.slept, ceilings, strict=True):
        assert ceiling / 2 <= waited <= ceiling


def test_dropped_connections_and_timeouts_are_retried(make_client: Any, records: list[Any]) -> None:
    client, _ = make_client(
        scripted(httpx.RemoteProtocolError, httpx.ReadTimeout, httpx.ConnectError, (200, {}))
    )
    page = client.request("POST", PATH, json={"same": "body"})
    assert page.context.attempts == 4
    errors = [r.error for r in api_records(records)]
    assert [e.split(":")[1].strip() for e in errors[:3] if e] == [
        "RemoteProtocolError",
        "ReadTimeout",
        "ConnectError",
    ]
    assert [r.status for r in api_records(records)] == [None, None, None, 200]


def test_post_body_is_replayed_identically(make_client: Any) -> None:
    bodies: list[bytes] = []
    inner = scripted((500, {}), (500, {}), (200, {}))

    def api(request: httpx.Request) -> httpx.Response:
        bodies.append(request.read())
        return inner(request)

    client, _ = make_client(api)
    client.request("POST", PATH, json={"interval": "a/b", "metrics": ["tHandle"]})
    assert len(bodies) == 3 and len(set(bodies)) == 1
    assert b'"metrics":["tHandle"]' in bodies[0]


def test_total_wait_is_bounded(make_client: Any, clock: FakeClock) -> None:
    policy = RetryPolicy(max_attempts=50, max_total_wait=20.0)
    client, _ = make_client(scripted(*[(429, {"Retry-After": "8"})] * 50), retry=policy)
    with pytest.raises(ApiError) as caught:
        client.request("POST", PATH, json={})
    assert clock.slept == [8.0, 8.0]  # a third wait would pass 20 s
    assert "3 attempts" in str(caught.value) and "16.0s" in str(caught.value)
    assert caught.value.status == 429


def test_every_attempt_is_recorded_with_context(make_client: Any, records: list[Any]) -> None:
    client, _ = make_client(
        scripted((503, {"inin-correlation-id": "a"}), (200, {"inin-correlation-id": "b"}))
    )
    client.request("POST", PATH, json={}, endpoint=PATH)
    token, *api = records
    assert (token.endpoint, token.method, token.status) == ("/oauth/token", "POST", 200)
    assert [(r.attempt, r.status, r.correlation_id) for r in api] == [(1, 503, "a"), (2, 200, "b")]
    assert api[1].response_bytes > 0 and api[0].error is not None


def test_retry_policy_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)
    assert RetryPolicy() == RetryPolicy(
        max_attempts=8, max_total_wait=600.0, backoff_base=1.0, backoff_max=60.0
    )
