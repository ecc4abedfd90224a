"""Fixtures for the emulator tests: a frozen org at a fixed "now", in-process and served over loopback."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone

import httpx
import pytest

from gcexport.clock import FakeClock
from gcexport.emulator import Emulator, EmulatorConfig, serve

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=timezone.utc)  # a Wednesday, midday UTC
DAY = "2026-03-03T00:00:00.000Z/2026-03-04T00:00:00.000Z"


def make_config(**overrides: object) -> EmulatorConfig:
    values: dict[str, object] = {"seed": 1, "conversations_per_day": 400, "now": NOW}
    values.update(overrides)
    return EmulatorConfig(**values)  # type: ignore[arg-type]


def login(client: httpx.Client, cfg: EmulatorConfig) -> str:
    reply = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(cfg.client_id, cfg.client_secret),
    )
    assert reply.status_code == 200, reply.text
    token = str(reply.json()["access_token"])
    client.headers["Authorization"] = f"Bearer {token}"
    return token


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def emu(clock: FakeClock) -> Emulator:
    return Emulator(make_config(), clock=clock)


@pytest.fixture
def client(emu: Emulator) -> Iterator[httpx.Client]:
    with httpx.Client(transport=emu.transport(), base_url="https://api.emulated.test") as http:
        login(http, emu.config)
        yield http


@pytest.fixture
def served() -> Iterator[tuple[Emulator, str]]:
    emulator = Emulator(
        make_config(job_queued_seconds=0.0, job_pending_seconds=0.0, export_running_seconds=0.0)
    )
    with serve(emulator) as server:
        yield emulator, server.base_url
