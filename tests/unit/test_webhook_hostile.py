"""A webhook never fails an export: bad URLs and failing receivers become a result; bodies are redacted."""

from __future__ import annotations

from datetime import datetime, timezone

import httpx
import orjson
import pytest

from gcexport.clock import FakeClock
from gcexport.redact import register
from gcexport.webhook import post_summary

SECRET = "hook-Secret-d00d"


@pytest.mark.parametrize(
    ("url", "error"),
    [("http://[::1", "not a URL"), ("ftp://hooks.example/x", "not an http(s) URL")],
)
def test_a_bad_url_is_a_result_not_an_exception(url: str, error: str) -> None:
    result = post_summary(url, {"status": "success"}, attempts=3)
    assert (result.delivered, result.attempts) == (False, 0)
    assert result.error is not None and result.error.startswith(error)


def test_the_body_is_redacted_before_it_is_encoded() -> None:
    register([SECRET])
    bodies: list[bytes] = []

    def receiver(request: httpx.Request) -> httpx.Response:
        bodies.append(request.content)
        return httpx.Response(204)

    summary = {"status": "failed", "error": f'login said "{SECRET}" and Bearer abc.def'}
    result = post_summary(
        "https://hooks.example/x", summary, transport=httpx.MockTransport(receiver)
    )
    assert result.delivered and len(bodies) == 1
    assert orjson.loads(bodies[0])["error"] == 'login said "***" and Bearer ***'


def test_a_receiver_that_keeps_failing_is_reported_after_every_attempt() -> None:
    clock = FakeClock(datetime(2026, 3, 1, tzinfo=timezone.utc))

    def receiver(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    result = post_summary(
        "https://hooks.example/x", {}, attempts=3, clock=clock,
        transport=httpx.MockTransport(receiver),
    )  # fmt: skip
    assert (result.delivered, result.attempts) == (False, 3)
    assert result.error == "ConnectError: refused"
