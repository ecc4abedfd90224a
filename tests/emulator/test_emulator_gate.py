"""Tokens, per-token rate limits, headers on every response, and the seeded fault plan (in-process and over HTTP)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import httpx
import pytest

from gcexport.clock import FakeClock
from gcexport.emulator import Emulator, EmulatorConfig, serve

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=timezone.utc)
QUEUES = "/api/v2/routing/queues"


def make(clock: FakeClock | None = None, **overrides: object) -> Emulator:
    values: dict[str, object] = {"seed": 5, "conversations_per_day": 50, "now": NOW}
    values.update(overrides)
    return Emulator(EmulatorConfig(**values), clock=clock or FakeClock(NOW))  # type: ignore[arg-type]


def token_for(
    http: httpx.Client,
    secret: str = "emulator-secret",
    url: str = "https://login.example/oauth/token",
) -> httpx.Response:
    return http.post(
        url, data={"grant_type": "client_credentials"}, auth=("emulator-client", secret)
    )


def test_token_errors_are_oauth_shaped() -> None:
    with httpx.Client(transport=make().transport()) as http:
        bad = token_for(http, "wrong")
        assert bad.status_code == 401 and bad.json()["error"] == "invalid_client"
        assert set(bad.json()) == {"error", "description", "error_description"}
        grant = http.post(
            "https://login.example/oauth/token",
            data={"grant_type": "password"},
            auth=("emulator-client", "emulator-secret"),
        )
        assert grant.status_code == 400 and grant.json()["error"] == "unsupported_grant_type"
        good = token_for(http).json()
        assert (
            good["token_type"] == "bearer"
            and good["expires_in"] == 86399
            and len(good["access_token"]) == 86
        )


def test_missing_revoked_and_expired_tokens_get_bad_credentials() -> None:
    clock = FakeClock(NOW)
    emu = make(clock, token_lifetime=300)
    with httpx.Client(transport=emu.transport(), base_url="https://api.example") as http:
        assert http.get(QUEUES).json()["code"] == "bad.credentials"
        http.headers["Authorization"] = "Bearer " + token_for(http).json()["access_token"]
        assert http.get(QUEUES).status_code == 200
        emu.revoke_tokens()
        revoked = http.get(QUEUES)
        assert (revoked.status_code, revoked.json()["message"]) == (
            401,
            "Invalid login credentials.",
        )
        http.headers["Authorization"] = "Bearer " + token_for(http).json()["access_token"]
        clock.advance(299)
        assert http.get(QUEUES).status_code == 200
        clock.advance(1)
        assert http.get(QUEUES).status_code == 401
    assert [r.status for r in emu.requests] == [401, 200, 200, 401, 200, 200, 401]
    assert emu.requests[1].path == "/oauth/token" and emu.requests[2].token_id == "token-1"


def test_rate_limit_per_token_with_retry_after() -> None:
    clock = FakeClock(NOW)
    emu = make(clock, rate_limit=3)
    with httpx.Client(transport=emu.transport(), base_url="https://api.example") as http:
        http.headers["Authorization"] = "Bearer " + token_for(http).json()["access_token"]
        replies = [http.get(QUEUES) for _ in range(4)]
        assert [r.status_code for r in replies] == [200, 200, 200, 429]
        assert [r.headers["inin-ratelimit-count"] for r in replies[:3]] == ["1", "2", "3"]
        limited = replies[3]
        assert limited.json()["code"] == "too.many.requests"
        assert (
            limited.json()["message"]
            == "Rate limit exceeded the maximum [3] requests within [60] seconds"
        )
        assert (
            limited.headers["Retry-After"] == "61"
            and limited.headers["inin-ratelimit-allowed"] == "3"
        )
        other = make(clock, rate_limit=3)  # a second token has its own window
        http.headers["Authorization"] = "Bearer " + token_for(http).json()["access_token"]
        assert http.get(QUEUES).status_code == 200 and other.config.rate_limit == 3
        clock.advance(61)
        assert http.get(QUEUES).status_code == 200


def fresh_token(http: httpx.Client) -> str:
    """Token requests may meet 5xx or drops too (the only faults /oauth/token gets): retry, bounded."""
    for _ in range(20):
        try:
            reply = token_for(http)
        except httpx.RemoteProtocolError:
            continue
        if reply.status_code == 200:
            return "Bearer " + reply.json()["access_token"]
        assert reply.status_code in (500, 502, 503, 504)
    raise AssertionError("no token after 20 tries")


def statuses(emu: Emulator, count: int) -> list[int | str]:
    out: list[int | str] = []
    with httpx.Client(transport=emu.transport(), base_url="https://api.example") as http:
        http.headers["Authorization"] = fresh_token(http)
        for _ in range(count):
            try:
                reply = http.get(QUEUES)
            except httpx.RemoteProtocolError:
                out.append("drop")
                continue
            if reply.status_code == 401:
                http.headers["Authorization"] = fresh_token(http)
            out.append(reply.status_code)
    return out


def test_fault_plan_is_reproducible_and_covers_every_kind() -> None:
    spec = "429=0.1,5xx=0.1,drop=0.05,slow=0.05,revoke=0.05"
    clock = FakeClock(NOW)
    first = statuses(make(clock, faults=spec, rate_limit=0), 300)
    assert first == statuses(make(FakeClock(NOW), faults=spec, rate_limit=0), 300)
    assert first != statuses(make(FakeClock(NOW), faults=spec, rate_limit=0, seed=6), 300)
    assert {429, 500, 502, 503, 504, 401, "drop", 200} <= set(first)
    assert clock.slept and set(clock.slept) == {2.0}


def test_bad_fault_specs_are_refused() -> None:
    for spec, reason in [
        ("429=2", "between 0 and 1"),
        ("boom=0.1", "KIND=PROBABILITY"),
        ("5xx=x", "not a number"),
    ]:
        with pytest.raises(ValueError, match=reason):
            EmulatorConfig(faults=spec)


def test_server_drops_connections_and_serves_errors_over_http() -> None:
    emu = Emulator(EmulatorConfig(seed=5, conversations_per_day=50, now=NOW, faults="drop=1.0"))
    with (
        serve(emu) as server,
        httpx.Client(base_url=server.base_url, timeout=5) as http,
        pytest.raises(httpx.RemoteProtocolError),
    ):
        token_for(http, url="/oauth/token")
    assert emu.requests[-1].dropped and emu.requests[-1].status == 0
    calm = Emulator(EmulatorConfig(seed=5, conversations_per_day=50, now=NOW))
    with serve(calm) as server, httpx.Client(base_url=server.base_url, timeout=5) as http:
        assert server.base_url.startswith("http://127.0.0.1:")
        reply = http.get("/api/v2/nothing/here", headers={"Authorization": "Bearer nope"})
        assert reply.status_code == 401 and reply.headers["inin-ratelimit-count"] == "0"
        http.headers["Authorization"] = (
            "Bearer " + token_for(http, url="/oauth/token").json()["access_token"]
        )
        assert http.get("/api/v2/nothing/here").json()["code"] == "not.found"


def test_blocking_serve_forever_stops_from_another_thread() -> None:
    import threading

    server = serve(Emulator(EmulatorConfig(seed=5, conversations_per_day=10, now=NOW)))
    worker = threading.Thread(target=server.serve_forever, daemon=True)
    worker.start()
    with httpx.Client(base_url=server.base_url, timeout=5) as http:
        assert token_for(http, url="/oauth/token").status_code == 200
    server.stop()
    worker.join(5)
    assert not worker.is_alive()
    serve(
        Emulator(EmulatorConfig(seed=5, conversations_per_day=10, now=NOW))
    ).stop()  # never started: returns


def test_serve_refuses_an_unknown_mode_in_one_sentence(cli: Any) -> None:
    result = cli(
        "emulator", "serve", "--port", "0", "--mode", "approximate-total-hits", "--mode", "psychic"
    )
    assert result.code == 2 and result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "gcexport: error: Emulator settings are invalid: unknown mode 'psychic': expected one of"
        " approximate-total-hits, midnight-touches-next-day, division-scoped, long-lived"
    ]
