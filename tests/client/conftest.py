"""Fixtures for client tests: a scriptable fake Genesys (httpx.MockTransport) and a fake clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from gcexport.client import GenesysClient, RequestRecord, RetryPolicy
from gcexport.clock import FakeClock

SECRET = "s3cr3t-Value-XYZ"

Handler = Callable[[httpx.Request], httpx.Response]


@dataclass
class FakeGenesys:
    """Serves /oauth/token itself and hands every API request to `api` (settable per test)."""

    api: Handler
    token_lifetime: int = 86399
    tokens_issued: int = 0
    token_status: int = 200
    token_body: dict[str, Any] | None = None
    seen: list[httpx.Request] = field(default_factory=list)
    login: Handler | None = None  # replaces the token endpoint when set

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        if request.url.path == "/oauth/token":
            return (self.login or self._token)(request)
        return self.api(request)

    def _token(self, request: httpx.Request) -> httpx.Response:
        if self.token_status != 200:
            return httpx.Response(self.token_status, json=self.token_body or {})
        self.tokens_issued += 1
        return httpx.Response(
            200,
            json={"access_token": f"tok-{self.tokens_issued}", "token_type": "bearer",
                  "expires_in": self.token_lifetime},
        )  # fmt: skip


@pytest.fixture
def secret() -> str:
    return SECRET


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 1, tzinfo=timezone.utc))


@pytest.fixture
def records() -> list[RequestRecord]:
    return []


@pytest.fixture
def make_client(
    clock: FakeClock, records: list[RequestRecord]
) -> Callable[..., tuple[GenesysClient, FakeGenesys]]:
    def build(api: Handler, **kwargs: Any) -> tuple[GenesysClient, FakeGenesys]:
        fake = FakeGenesys(api)
        options: dict[str, Any] = {
            "retry": RetryPolicy(max_attempts=5, max_total_wait=300.0),
            "requests_per_minute": 6000,
        }
        options.update(kwargs)
        client = GenesysClient(
            api_url="https://api.mypurecloud.ie",
            login_url="https://login.mypurecloud.ie",
            client_id="my-client",
            client_secret=SecretStr(SECRET),
            transport=httpx.MockTransport(fake),
            clock=clock,
            on_request=records.append,
            **options,
        )
        return client, fake

    return build
