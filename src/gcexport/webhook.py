"""The completion webhook: POST the run summary as JSON, retried; its failure never fails the export.

Example::

    delivered = post_summary("https://hooks.example/x", {"status": "success"}, attempts=3, clock=clock)
"""

from __future__ import annotations

from typing import Any

import httpx

from gcexport.clock import Clock, SystemClock
from gcexport.redact import redact, redact_data

__all__ = ["WebhookResult", "post_summary"]


class WebhookResult:
    """What happened to the webhook: delivered or not, after how many attempts, and why not."""

    def __init__(self, delivered: bool, attempts: int, error: str | None) -> None:
        self.delivered, self.attempts, self.error = delivered, attempts, error

    def __repr__(self) -> str:
        return f"WebhookResult(delivered={self.delivered}, attempts={self.attempts}, error={self.error!r})"


def post_summary(
    url: str,
    summary: dict[str, Any],
    *,
    attempts: int = 3,
    timeout: float = 10.0,
    clock: Clock | None = None,
    transport: httpx.BaseTransport | None = None,
) -> WebhookResult:
    """POST `summary` to `url`; retry 5xx, 429 and network errors with 1 s, 2 s, 4 s… between.

    Never raises for the URL or the network: a webhook cannot turn a finished export into a failure.
    The summary is redacted (`gcexport.redact`) before it is encoded.
    """
    clock = clock or SystemClock()
    summary = redact_data(summary)
    try:
        request_url = httpx.URL(url)
        if request_url.scheme not in ("http", "https") or not request_url.host:
            return WebhookResult(False, 0, "not an http(s) URL")
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        return WebhookResult(False, 0, redact(f"not a URL: {exc}"))
    return _post(request_url, summary, attempts, timeout, clock, transport)


def _post(
    url: httpx.URL,
    summary: dict[str, Any],
    attempts: int,
    timeout: float,
    clock: Clock,
    transport: httpx.BaseTransport | None,
) -> WebhookResult:
    error: str | None = None
    with httpx.Client(timeout=timeout, transport=transport) as http:
        for attempt in range(1, attempts + 1):
            try:
                response = http.post(url, json=summary)
                if response.status_code < 300:
                    return WebhookResult(True, attempt, None)
                error = f"HTTP {response.status_code}"
                if response.status_code < 500 and response.status_code != 429:
                    return WebhookResult(False, attempt, error)
            except (httpx.HTTPError, httpx.InvalidURL) as exc:
                error = redact(f"{type(exc).__name__}: {exc}")
            if attempt < attempts:
                clock.sleep(2.0 ** (attempt - 1))
    return WebhookResult(False, attempts, error)
