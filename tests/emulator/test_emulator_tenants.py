"""Several orgs behind one emulator: each client id its own data, tokens and rate limit."""

from __future__ import annotations

from datetime import datetime, timezone

import httpx

from gcexport.clock import FakeClock
from gcexport.emulator import Emulator, EmulatorConfig, Tenants, serve
from gcexport.emulator.tenants import seed_for

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=timezone.utc)
QUEUES = "/api/v2/routing/queues"
START, END = datetime(2026, 3, 3, tzinfo=timezone.utc), datetime(2026, 3, 4, tzinfo=timezone.utc)
CLIENTS = {"acme-client": "acme-secret", "globex-client": "globex-secret"}


def _tenants(clock: FakeClock, **overrides: object) -> Tenants:
    values: dict[str, object] = {"seed": 5, "conversations_per_day": 40, "now": NOW}
    values.update(overrides)
    return Tenants(CLIENTS, EmulatorConfig(**values), clock=clock)  # type: ignore[arg-type]


def _login(http: httpx.Client, client_id: str) -> None:
    reply = http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(client_id, CLIENTS.get(client_id, "nope")),
    )
    assert reply.status_code == 200, reply.text
    http.headers["Authorization"] = "Bearer " + reply.json()["access_token"]


def test_each_client_is_its_own_seeded_org() -> None:
    orgs = _tenants(FakeClock(NOW))
    acme, globex = orgs.org("acme-client"), orgs.org("globex-client")
    assert acme.config.seed == seed_for(5, "acme-client") != globex.config.seed
    ids = {
        name: {c["conversationId"] for c in org.truth.conversations(START, END)}
        for name, org in orgs.orgs.items()
    }
    assert ids["acme-client"] and ids["globex-client"]
    assert ids["acme-client"].isdisjoint(ids["globex-client"])
    # the same client id gives the same org in another process or run
    again = Tenants(CLIENTS, EmulatorConfig(seed=5, conversations_per_day=40, now=NOW))
    assert {
        c["conversationId"] for c in again.org("acme-client").truth.conversations(START, END)
    } == ids["acme-client"]


def test_requests_reach_the_org_whose_client_got_the_token() -> None:
    orgs = _tenants(FakeClock(NOW))
    seen: dict[str, set[str]] = {}
    for client_id in CLIENTS:
        with httpx.Client(transport=orgs.transport(), base_url="https://api.example") as http:
            _login(http, client_id)
            reply = http.get(QUEUES, params={"pageSize": 100})
            assert reply.status_code == 200
            seen[client_id] = {q["id"] for q in reply.json()["entities"]}
    truth = {cid: {q["id"] for q in org.truth.queues()} for cid, org in orgs.orgs.items()}
    assert seen == truth and truth["acme-client"] != truth["globex-client"]
    assert [r.path for r in orgs.org("acme-client").requests] == ["/oauth/token", QUEUES]
    with httpx.Client(transport=orgs.transport(), base_url="https://api.example") as http:
        bad = http.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, auth=("acme-client", "x")
        )
        assert bad.status_code == 401
        assert http.get(QUEUES, headers={"Authorization": "Bearer nope"}).status_code == 401


def test_rate_limit_per_client_counts_every_token_and_orgs_apart() -> None:
    for key, expected in (("token", [200, 200, 200, 200]), ("client", [200, 200, 429, 429])):
        orgs = _tenants(FakeClock(NOW), rate_limit=2, rate_limit_key=key)
        statuses = []
        for _ in range(2):  # two workers of acme, each with its own token
            with httpx.Client(transport=orgs.transport(), base_url="https://api.example") as http:
                _login(http, "acme-client")
                statuses += [http.get(QUEUES).status_code for _ in range(2)]
        assert sorted(statuses) == expected, key
        # globex has a budget of its own whatever acme spent
        with httpx.Client(transport=orgs.transport(), base_url="https://api.example") as http:
            _login(http, "globex-client")
            assert [http.get(QUEUES).status_code for _ in range(2)] == [200, 200]


def test_one_client_keeps_the_single_org_behaviour() -> None:
    single = Emulator(EmulatorConfig(seed=5, conversations_per_day=40, now=NOW))
    assert single.config.rate_limit_key == "token" and single.config.seed == 5


def test_tenants_are_served_over_http() -> None:
    orgs = Tenants(CLIENTS, EmulatorConfig(seed=5, conversations_per_day=40, now=NOW))
    with serve(orgs) as server, httpx.Client(base_url=server.base_url) as http:
        _login(http, "globex-client")
        reply = http.get(QUEUES)
        assert reply.status_code == 200
        names = sorted(q["name"] for q in reply.json()["entities"])
        assert names == sorted(q["name"] for q in orgs.org("globex-client").truth.queues())
    assert orgs.org("acme-client").requests == []
