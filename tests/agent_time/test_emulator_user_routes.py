"""The emulator's user details query and jobs, user aggregates and dims pack, over its transport (DATASETS.md §1–§3)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import httpx
import pytest

from gcexport.clock import FakeClock
from gcexport.emulator import Emulator, EmulatorConfig
from gcexport.emulator.wire import DAY_MS, iso_to_ms, to_ms

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=timezone.utc)
DAY = "2026-03-02T00:00:00.000Z/2026-03-03T00:00:00.000Z"
D = to_ms(datetime(2026, 3, 2, tzinfo=timezone.utc))
TWO_DAYS = "2026-03-02T00:00:00.000Z/2026-03-04T00:00:00.000Z"
QUERY = "/api/v2/analytics/users/details/query"
AGGREGATES = "/api/v2/analytics/users/aggregates/query"


@pytest.fixture(scope="module")
def emu() -> Emulator:
    config = EmulatorConfig(
        seed=3, conversations_per_day=300, now=NOW, job_queued_seconds=0, job_pending_seconds=0
    )
    return Emulator(config, clock=FakeClock(NOW))


@pytest.fixture(scope="module")
def http(emu: Emulator) -> Iterator[httpx.Client]:
    with httpx.Client(transport=emu.transport(), base_url="https://api.emulated.test") as client:
        token = client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(emu.config.client_id, emu.config.client_secret),
        ).json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"
        yield client


def _all_pages(http: httpx.Client, interval: str, size: int = 100) -> list[dict[str, Any]]:
    pages, number = [], 1
    while True:
        body = {"interval": interval, "paging": {"pageSize": size, "pageNumber": number}}
        reply = http.post(QUERY, json=body)
        assert reply.status_code == 200, reply.text
        pages.append(reply.json())
        seen = sum(_count(p) for p in pages)
        if "userDetails" not in pages[-1] and seen >= pages[-1]["totalHits"]:
            return pages
        number += 1


def _count(page: dict[str, Any]) -> int:
    return sum(
        len(d.get("primaryPresence", [])) + len(d.get("routingStatus", []))
        for d in page.get("userDetails", [])
    )


def test_query_pages_are_short_split_users_and_total_matches(http: httpx.Client) -> None:
    pages = _all_pages(http, TWO_DAYS)  # records crossing midnight are stored under both days
    counts = [_count(p) for p in pages]
    assert sum(counts) == pages[0]["totalHits"] > 1000
    assert any(0 < c < 100 for c in counts[:-2])  # a short page while more follow
    users_per_page = [{d["userId"] for d in p.get("userDetails", [])} for p in pages]
    spread = [u for u in set.union(*users_per_page) if sum(u in p for p in users_per_page) > 1]
    assert spread  # a user's records spread over several pages
    keys = [
        (d["userId"], kind, r["startTime"])
        for p in pages
        for d in p.get("userDetails", [])
        for kind in ("primaryPresence", "routingStatus")
        for r in d.get(kind, [])
    ]
    assert len(keys) == len(set(keys))  # the second stored copy is dropped


def test_records_come_back_unclipped_and_multi_day_ones_skip_middle_days(
    http: httpx.Client, emu: Emulator
) -> None:
    now = emu.backend.now_ms()
    idle = next(u for u in emu.agents.user_ids() if u not in emu.agents.members)
    body = {"interval": DAY, "userFilters": [{"type": "or", "predicates": [
        {"dimension": "userId", "value": idle}]}]}  # fmt: skip
    detail = http.post(QUERY, json=body).json()["userDetails"][0]
    # open since 2024: indexed on every day up to now, so found, unclipped and without endTime
    assert detail["primaryPresence"] == [{"startTime": "2024-01-15T09:30:00.000Z",
        "systemPresence": "OFFLINE", "organizationPresenceId": "ccf3c10a-aa2c-4845-8e8d-f59fa48c58e5"}]  # fmt: skip
    long = [
        (u, r)
        for u in sorted(emu.agents.members)
        for r in emu.agents.timeline(u, D - 7 * DAY_MS, D, now).presence
        if r.end is not None and r.end - r.start > 2 * DAY_MS
    ]
    assert long, "some closed record spans three UTC days or more"
    user, record = long[0]
    middle = record.start - record.start % DAY_MS + DAY_MS
    found = []
    for day in (record.start - record.start % DAY_MS, middle):
        interval = f"{_iso(day)}/{_iso(day + DAY_MS)}"
        query = {"interval": interval, "userFilters": [{"type": "or", "predicates": [
            {"dimension": "userId", "value": user}]}]}  # fmt: skip
        reply = http.post(QUERY, json={**query, "paging": {"pageSize": 100}}).json()
        starts = {iso_to_ms(r["startTime"]) for d in reply.get("userDetails", [])
                  for r in d.get("primaryPresence", [])}  # fmt: skip
        found.append(record.start in starts)
    assert found == [True, False]


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"interval": "2026-02-01T00:00:00Z/2026-02-09T00:00:00Z"}, 400, "does not exceed 7 days"),
        (
            {
                "interval": DAY,
                "userFilters": [
                    {"type": "or", "predicates": [{"dimension": "queueId", "value": "x"}]}
                ],
            },
            400,
            "[UserDetailQueryPredicateDimension]",
        ),
        ({"interval": DAY, "paging": {"pageSize": 101}}, 400, "between 1 and 100"),
        ({"interval": DAY, "order": "sideways"}, 400, "[SortOrder]"),
        ({}, 400, "interval is required"),
    ],
)
def test_query_errors(http: httpx.Client, body: dict[str, Any], status: int, message: str) -> None:
    reply = http.post(QUERY, json=body)
    assert reply.status_code == status and message in reply.json()["message"]


def test_job_serves_records_overlapping_the_interval_up_to_its_watermark(
    http: httpx.Client, emu: Emulator
) -> None:
    mark = http.get("/api/v2/analytics/users/details/jobs/availability").json()
    assert mark == {"dataAvailabilityDate": "2026-03-04T06:00:00Z"}
    submitted = http.post("/api/v2/analytics/users/details/jobs", json={"interval": DAY})
    assert submitted.status_code == 202
    job = submitted.json()["jobId"]
    status = http.get(f"/api/v2/analytics/users/details/jobs/{job}").json()
    assert status["state"] == "FULFILLED"
    records, cursor, pages = 0, None, 0
    while True:
        params: dict[str, Any] = {"pageSize": 500, **({"cursor": cursor} if cursor else {})}
        page = http.get(f"/api/v2/analytics/users/details/jobs/{job}/results", params=params).json()
        records += _count(page)
        pages += 1
        cursor = page.get("cursor")
        if not cursor:
            break
    now = iso_to_ms("2026-03-04T06:00:00.000Z")
    expected = sum(
        len(line.presence) + len(line.routing)
        for line in (emu.agents.timeline(u, D, D + DAY_MS, now) for u in emu.agents.user_ids())
    )
    assert records == expected and pages > 1
    assert http.delete(f"/api/v2/analytics/users/details/jobs/{job}").status_code == 204
    assert http.get(f"/api/v2/analytics/users/details/jobs/{job}").status_code == 404


def test_aggregate_buckets_sum_to_their_length_and_to_the_detail_overlap(
    http: httpx.Client, emu: Emulator
) -> None:
    users = sorted(emu.agents.members)[:5]
    body = {"interval": DAY, "granularity": "PT1H", "groupBy": ["userId"],
            "metrics": ["tSystemPresence", "tOrganizationPresence", "tAgentRoutingStatus"],
            "filter": {"type": "or", "predicates": [{"dimension": "userId", "value": u} for u in users]}}  # fmt: skip
    reply = http.post(AGGREGATES, json=body).json()
    assert [r["group"]["userId"] for r in reply["results"]] == users
    assert reply["systemToOrganizationMappings"]["ON_QUEUE"] == [
        "e08eaf1b-ee47-4fa9-a231-1200e284798f"
    ]
    now = emu.backend.now_ms()
    for result in reply["results"]:
        assert len(result["data"]) == 24
        line = emu.agents.timeline(result["group"]["userId"], D, D + DAY_MS, now)
        for bucket in result["data"]:
            lo, hi = (iso_to_ms(t) for t in bucket["interval"].split("/"))
            for metric in ("tSystemPresence", "tAgentRoutingStatus"):
                sums = [m["stats"]["sum"] for m in bucket["metrics"] if m["metric"] == metric]
                assert sum(sums) == hi - lo == 3_600_000
            interacting = sum(
                max(0, min(hi, r.end or now) - max(lo, r.start))
                for r in line.routing
                if r.value == "INTERACTING"
            )
            served = [
                m["stats"]["sum"] for m in bucket["metrics"] if m["qualifier"] == "INTERACTING"
            ]
            assert sum(served) == interacting


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"groupBy": ["queueId"]}, "[UserAggregateDimension]. Allowable values are: userId"),
        ({"metrics": ["tHandle"]}, "[UserAggregationQueryMetrics]"),
        (
            {
                "filter": {
                    "type": "or",
                    "predicates": [{"dimension": "userId", "value": str(i)} for i in range(101)],
                }
            },
            "at most 100 users",
        ),
        (
            {"filter": {"type": "or", "predicates": [{"dimension": "queueId", "value": "q"}]}},
            "Value [queueId] is not valid for field type [UserAggregateDimension]",
        ),
    ],
)
def test_aggregate_errors(http: httpx.Client, change: dict[str, Any], message: str) -> None:
    body = {"interval": DAY, "metrics": ["tSystemPresence"], **change}
    reply = http.post(AGGREGATES, json=body)
    assert reply.status_code == 400 and message in reply.json()["message"]


def test_dims_pack(http: httpx.Client, emu: Emulator) -> None:
    defs = http.get("/api/v2/presence/definitions").json()
    by_id = {d["id"]: d for d in defs["entities"]}
    assert by_id["e08eaf1b-ee47-4fa9-a231-1200e284798f"]["systemPresence"] == "OnQueue"
    assert defs["total"] == len(defs["entities"]) == 13
    queue = emu.backend.org.queues[0]
    members = http.get(f"/api/v2/routing/queues/{queue.id}/members", params={"pageSize": 100})
    assert [m["id"] for m in members.json()["entities"]] == list(queue.member_ids)
    assert http.get("/api/v2/routing/queues/nope/members").status_code == 404
    teams, uri = [], "/api/v2/teams?pageSize=3"
    while uri:
        page = http.get(uri).json()
        teams += page["entities"]
        uri = page.get("nextUri")
    assert len(teams) == 7 and "total" not in page
    assert http.get("/api/v2/routing/skills").json()["total"] == 12
    assert http.get("/api/v2/authorization/divisions").json()["total"] == 3
    assert http.get("/api/v2/groups").json()["total"] == 5
