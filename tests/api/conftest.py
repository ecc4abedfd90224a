"""Fixtures for endpoint tests: the project's emulator, in-process and over loopback HTTP, on a fake clock."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from gcexport.client import GenesysClient, RequestRecord, RetryPolicy
from gcexport.clock import FakeClock
from gcexport.emulator import Emulator, EmulatorConfig, serve

NOW = datetime(2026, 3, 10, 12, tzinfo=timezone.utc)
FAULTS = "429=0.1,5xx=0.05,drop=0.05"


class HeaderTap(httpx.BaseTransport):
    """Passes requests through, remembering request bodies and each 429's Retry-After, in order."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.retry_after: list[float] = []
        self.bodies: list[bytes] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.bodies.append(request.read())
        response = self.inner.handle_request(request)
        if response.status_code == 429:
            self.retry_after.append(float(response.headers["retry-after"]))
        return response

    def close(self) -> None:
        self.inner.close()


@dataclass
class Org:
    """An emulator plus a client talking to it, and what the client recorded."""

    emulator: Emulator
    client: GenesysClient
    clock: FakeClock
    tap: HeaderTap
    records: list[RequestRecord] = field(default_factory=list)

    def api_records(self) -> list[RequestRecord]:
        return [r for r in self.records if r.endpoint != "/oauth/token"]

    def waits_after_429(self) -> list[tuple[float, float]]:
        """(Retry-After asked, seconds the retry waited) for every 429 the client saw."""
        asked = iter(self.tap.retry_after)
        pairs = []
        for index, record in enumerate(self.records):
            if record.status != 429:
                continue
            retry = next(
                r for r in self.records[index + 1 :]
                if r.endpoint == record.endpoint and r.attempt == record.attempt + 1
            )  # fmt: skip
            pairs.append((next(asked), retry.waited_s))
        return pairs


@pytest.fixture(params=["in-process", "http"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def make_org(mode: str) -> Iterator[Callable[..., Org]]:
    with ExitStack() as stack:

        def build(*, faults: str = "", rpm: float = 100_000, **config: Any) -> Org:
            clock = FakeClock(NOW)
            options: dict[str, Any] = {"seed": 3, "conversations_per_day": 300, "now": NOW}
            options.update(config)
            emulator = Emulator(EmulatorConfig(faults=faults, **options), clock=clock)
            if mode == "http":
                server = stack.enter_context(serve(emulator, host="127.0.0.1", port=0))
                inner: httpx.BaseTransport = httpx.HTTPTransport()
                base = server.base_url
            else:
                inner, base = emulator.transport(), "https://api.emulator.test"
            tap = HeaderTap(inner)
            records: list[RequestRecord] = []
            client = GenesysClient(
                api_url=base,
                login_url=base.replace("api.", "login."),
                client_id=emulator.config.client_id,
                client_secret=SecretStr(emulator.config.client_secret),
                transport=tap,
                clock=clock,
                retry=RetryPolicy(max_attempts=12, max_total_wait=3600.0),
                requests_per_minute=rpm,
                on_request=records.append,
                timeout=10.0,
            )
            stack.callback(client.close)
            return Org(emulator, client, clock, tap, records)

        yield build
