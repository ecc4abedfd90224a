"""Division scoping (REFERENCE.md §16 item 5, mode division-scoped): a client whose role grants only
the home division sees only what that division covers — conversations with a permitted divisionId
in the details query, by id, in jobs and in aggregates; the queues, users and wrap-up codes of
that division — and the emulator's `truth.client` says exactly that. By default it sees all."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from gcexport.clock import FakeClock
from gcexport.emulator import Emulator
from tests.emulator.conftest import DAY, NOW, login, make_config

DETAILS = "/api/v2/analytics/conversations/details"
JOBS = f"{DETAILS}/jobs"
AGGREGATES = "/api/v2/analytics/conversations/aggregates/query"
DAY_START, DAY_END = NOW.replace(day=3, hour=0), NOW.replace(hour=0)


@pytest.fixture(params=[(), ("division-scoped",)], ids=["default", "division-scoped"])
def scoped(request: pytest.FixtureRequest) -> Iterator[tuple[Emulator, httpx.Client]]:
    config = make_config(
        conversations_per_day=300, modes=request.param, job_queued_seconds=0.0,
        job_pending_seconds=0.0,
    )  # fmt: skip
    emu = Emulator(config, clock=FakeClock(NOW))
    with httpx.Client(transport=emu.transport(), base_url="https://api.emulated.test") as http:
        login(http, emu.config)
        yield emu, http


def _query_ids(http: httpx.Client) -> list[str]:
    ids: list[str] = []
    for number in range(1, 100):
        body = {"interval": DAY, "paging": {"pageSize": 100, "pageNumber": number}}
        page = http.post(f"{DETAILS}/query", json=body).json()
        ids += [c["conversationId"] for c in page.get("conversations", [])]
        if len(page.get("conversations", [])) < 100:
            return ids
    raise AssertionError("too many pages")


def _job_ids(http: httpx.Client) -> list[str]:
    reply = http.post(JOBS, json={"interval": DAY, "startOfDayIntervalMatching": True})
    job = reply.json()["jobId"]
    deadline = time.monotonic() + 10
    while http.get(f"{JOBS}/{job}").json()["state"] != "FULFILLED":
        assert time.monotonic() < deadline
    ids: list[str] = []
    cursor: str | None = None
    while True:
        params = {"cursor": cursor} if cursor else {}
        page = http.get(f"{JOBS}/{job}/results", params=params).json()
        ids += [c["conversationId"] for c in page.get("conversations", [])]
        cursor = page.get("cursor")
        if not cursor:
            return ids


def _connected(truth: Any) -> int:
    """nConnected emitted on the day, by the truth's conversations (those of the day before too)."""
    low, high = DAY.split("/")
    return sum(
        m["value"]
        for c in truth.conversations(DAY_START - timedelta(days=1), DAY_END)
        for p in c["participants"]
        for s in p["sessions"]
        for m in s.get("metrics", [])
        if m["name"] == "nConnected" and low <= m["emitDate"] < high
    )


def _listing(http: httpx.Client, path: str, **params: Any) -> list[dict[str, Any]]:
    return list(http.get(path, params={"pageSize": 500, **params}).json()["entities"])


def test_a_scoped_client_sees_only_its_divisions_conversations_and_objects(
    scoped: tuple[Emulator, httpx.Client],
) -> None:
    emu, http = scoped
    is_scoped = emu.config.has("division-scoped")
    divisions = emu.backend.org.divisions
    home = divisions[0]["id"]
    everything = emu.truth.conversations(DAY_START, DAY_END)
    seen = emu.truth.client.conversations(DAY_START, DAY_END)
    permitted = {home} if is_scoped else {d["id"] for d in divisions}
    expected = [c["conversationId"] for c in everything if permitted & set(c["divisionIds"])]
    assert [c["conversationId"] for c in seen] == expected
    hidden = [c for c in everything if not permitted & set(c["divisionIds"])]
    if is_scoped:
        assert hidden and len(seen) > 50, "both kinds should exist at 300 conversations a day"
        assert emu.truth.client.hidden_divisions() == [d["name"] for d in divisions[1:]]
    else:
        assert seen == everything and not hidden and emu.truth.client.hidden_divisions() == []

    assert sorted(_query_ids(http)) == sorted(expected)  # the details query
    assert sorted(_job_ids(http)) == sorted(expected)  # a details job
    for c in hidden[:3]:  # by id: a hidden conversation is not found
        assert http.get(f"{DETAILS}/{c['conversationId']}/details").status_code == 404
    many = http.get(DETAILS, params={"id": ",".join(c["conversationId"] for c in everything[:40])})
    assert {c["conversationId"] for c in many.json()["conversations"]} == set(expected) & {
        c["conversationId"] for c in everything[:40]
    }

    # aggregates: the metrics of the conversations the client sees, and no others
    body = {"interval": DAY, "metrics": ["nConnected"], "groupBy": ["divisionId"]}
    counts = [
        r["data"][0]["metrics"][0]["stats"]["count"]
        for r in http.post(AGGREGATES, json=body).json()["results"]
    ]
    assert sum(counts) == _connected(emu.truth.client) < _connected(emu.truth) + (not is_scoped)

    # lookups: division objects of permitted divisions only, and the truth agrees
    org = emu.backend.org
    lookups = {
        "/api/v2/routing/queues": ([q.entity() for q in org.listed_queues()], emu.truth.client.queues()),
        "/api/v2/users": ([dict(u) for u in org.users], emu.truth.client.users()),
        "/api/v2/routing/wrapupcodes": ([dict(w) for w in org.wrapups], emu.truth.client.wrapup_codes()),
    }  # fmt: skip
    for path, (every, truth) in lookups.items():
        listed = _listing(http, path, **({"state": "any"} if "users" in path else {}))
        assert [e["id"] for e in listed] == [e["id"] for e in truth]
        assert [e["id"] for e in truth] == [
            e["id"] for e in every if e["division"]["id"] in permitted
        ]
        outside = [e for e in every if e["division"]["id"] not in permitted]
        assert bool(outside) is is_scoped, path  # each kind has objects in other divisions


def test_a_scoped_client_gets_only_its_users_agent_time(
    scoped: tuple[Emulator, httpx.Client],
) -> None:
    emu, http = scoped
    org = emu.backend.org
    body = {"interval": DAY, "metrics": ["tSystemPresence"], "groupBy": ["userId"]}
    reply = http.post("/api/v2/analytics/users/aggregates/query", json=body)
    assert reply.status_code == 200, reply.text
    users = {r["group"]["userId"] for r in reply.json()["results"]}
    home = {u["id"] for u in org.users if u["division"]["id"] == org.divisions[0]["id"]}
    assert users and (users <= home) is emu.config.has("division-scoped")


def test_a_queue_the_client_cannot_see_is_not_found_by_id(
    scoped: tuple[Emulator, httpx.Client],
) -> None:
    """Per-queue routes answer 404 not.found for a queue outside the client's divisions, as for a
    deleted one: scoping is silent (§16 item 5), so a hidden queue is as absent by id as in the
    listing; the client's own queues answer as before."""
    emu, http = scoped
    org = emu.backend.org
    home = org.divisions[0]["id"]
    listed = {q["id"] for q in emu.truth.client.queues()}
    hidden = [q for q in org.listed_queues() if q.division["id"] != home]
    assert hidden, "the org has queues outside the home division"
    assert (listed == {q.id for q in org.listed_queues()}) is not emu.config.has("division-scoped")
    for queue in org.queues:
        found = queue.id in listed
        one = http.get(f"/api/v2/routing/queues/{queue.id}")
        members = http.get(f"/api/v2/routing/queues/{queue.id}/members", params={"pageSize": 100})
        for reply in (one, members):
            assert reply.status_code == (200 if found else 404), (queue.name, reply.text)
            if not found:
                assert reply.json()["code"] == "not.found"
        if found:
            assert one.json() == queue.entity()
            assert [m["id"] for m in members.json()["entities"]] == list(queue.member_ids)
    assert sum(q.id not in listed for q in org.queues) == len(org.deleted_queue_ids) + (
        len([q for q in hidden if q.id not in org.deleted_queue_ids])
        if emu.config.has("division-scoped")
        else 0
    )
