"""Details jobs on a fake clock: state machine, overlap semantics, watermark cap, cursor pages, expiry, failure."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import httpx

from gcexport.clock import FakeClock
from gcexport.emulator import Emulator, EmulatorConfig
from tests.emulator.conftest import login

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=timezone.utc)
JOBS = "/api/v2/analytics/conversations/details/jobs"


def submit(client: httpx.Client, body: dict[str, Any]) -> str:
    reply = client.post(JOBS, json=body)
    assert reply.status_code == 202, reply.text
    assert list(reply.json()) == ["jobId"]
    return str(reply.json()["jobId"])


def results(
    client: httpx.Client, job_id: str, page_size: int = 100
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    conversations: list[dict[str, Any]] = []
    pages: list[dict[str, Any]] = []
    params: dict[str, Any] = {"pageSize": page_size}
    for _ in range(1000):
        page = client.get(f"{JOBS}/{job_id}/results", params=params).json()
        pages.append(page)
        conversations += page.get("conversations", [])
        if "cursor" not in page:
            return conversations, pages
        params["cursor"] = page["cursor"]
    raise AssertionError("cursor never ended")


def test_state_machine_on_the_clock(client: httpx.Client, clock: FakeClock) -> None:
    job = submit(client, {"interval": "2026-03-03T00:00:00Z/2026-03-04T00:00:00Z"})
    first = client.get(f"{JOBS}/{job}")
    assert (first.status_code, first.json()) == (
        202,
        {"state": "QUEUED", "submissionDate": "2026-03-04T12:00:00.000Z"},
    )
    clock.advance(0.5)
    assert client.get(f"{JOBS}/{job}").json()["state"] == "PENDING"
    assert client.get(f"{JOBS}/{job}/results").status_code == 400
    clock.advance(0.5)
    done = client.get(f"{JOBS}/{job}")
    assert done.status_code == 200
    assert done.json() == {"state": "FULFILLED", "submissionDate": "2026-03-04T12:00:00.000Z",
                           "completionDate": "2026-03-04T12:00:01.000Z", "expirationDate": "2026-03-04T13:00:01.000Z"}  # fmt: skip
    clock.advance(3600)
    assert client.get(f"{JOBS}/{job}").json()["state"] == "EXPIRED"
    expired = client.get(f"{JOBS}/{job}/results")
    assert expired.status_code == 404 and expired.json()["code"] == "not.found"


def test_overlap_semantics_watermark_and_cursor(
    client: httpx.Client, clock: FakeClock, emu: Emulator
) -> None:
    job = submit(client, {"interval": "2026-03-03T10:00:00Z/2026-03-04T00:00:00Z"})
    clock.advance(1)
    got, pages = results(client, job, page_size=100)
    start, end = (
        datetime(2026, 3, 3, 10, tzinfo=timezone.utc),
        datetime(2026, 3, 4, tzinfo=timezone.utc),
    )
    wanted = [
        c
        for c in emu.truth.conversations(datetime(2026, 3, 2, tzinfo=timezone.utc), end)
        if c["conversationEnd"] >= "2026-03-03T10:00:00.000Z"
    ]
    assert [c["conversationId"] for c in got] == [c["conversationId"] for c in wanted]
    assert got == wanted  # same bytes as truth, attributes included
    assert any(
        c["conversationStart"] < "2026-03-03T10:00:00.000Z" for c in got
    )  # started before, ended inside
    assert all(len(p.get("conversations", [])) == 100 for p in pages[:-1])
    assert {p["dataAvailabilityDate"] for p in pages} == {"2026-03-04T06:00:00Z"}
    assert start < end


def test_today_is_capped_at_the_watermark(
    client: httpx.Client, clock: FakeClock, emu: Emulator
) -> None:
    job = submit(
        client,
        {
            "interval": "2026-03-04T00:00:00Z/2026-03-05T00:00:00Z",
            "startOfDayIntervalMatching": True,
        },
    )
    clock.advance(1)
    got, _ = results(client, job, page_size=1000)
    mark = datetime(2026, 3, 4, 6, tzinfo=timezone.utc)
    wanted = emu.truth.conversations(
        datetime(2026, 3, 4, tzinfo=timezone.utc),
        datetime(2026, 3, 5, tzinfo=timezone.utc),
        ended_before=mark,
    )
    assert [c["conversationId"] for c in got] == [c["conversationId"] for c in wanted]
    assert got and all(c["conversationEnd"] <= "2026-03-04T06:00:00.000Z" for c in got)
    availability = client.get(f"{JOBS}/availability").json()
    assert availability == {
        "dataAvailabilityDate": "2026-03-04T06:00:01Z"
    }  # the clock moved one second


def test_limit_filters_delete_and_bad_cursor(client: httpx.Client, clock: FakeClock) -> None:
    voice = {"type": "and", "predicates": [{"dimension": "mediaType", "value": "email"}]}
    job = submit(
        client,
        {
            "interval": "2026-03-03T00:00:00Z/2026-03-04T00:00:00Z",
            "segmentFilters": [voice],
            "limit": 7,
        },
    )
    clock.advance(1)
    got, _ = results(client, job)
    assert len(got) == 7
    assert all(
        any(s["mediaType"] == "email" for p in c["participants"] for s in p["sessions"])
        for c in got
    )
    bad = client.get(f"{JOBS}/{job}/results", params={"cursor": "bm90LW91cnM6MTA"})
    assert bad.status_code == 400 and bad.json()["code"] == "bad.request"
    assert client.get(f"{JOBS}/{job}/results", params={"pageSize": 1001}).status_code == 400
    assert client.delete(f"{JOBS}/{job}").status_code == 204
    assert client.get(f"{JOBS}/{job}").status_code == 404


def test_job_failure_fault_ends_failed() -> None:
    clock = FakeClock(NOW)
    emu = Emulator(
        EmulatorConfig(seed=3, conversations_per_day=50, now=NOW, faults="job_fail=1.0"),
        clock=clock,
    )
    with httpx.Client(transport=emu.transport(), base_url="https://api.x") as http:
        login(http, emu.config)
        job = submit(http, {"interval": "2026-03-03T00:00:00Z/2026-03-04T00:00:00Z"})
        clock.advance(1)
        status = http.get(f"{JOBS}/{job}").json()
        assert status["state"] == "FAILED" and status["errorMessage"]
        assert http.get(f"{JOBS}/{job}/results").status_code == 400


def test_multi_day_job_streams_every_day_in_order(clock: FakeClock, emu: Emulator) -> None:
    with httpx.Client(transport=emu.transport(), base_url="https://api.x") as http:
        login(http, emu.config)
        job = submit(http, {"interval": "2026-02-20T00:00:00Z/2026-03-02T00:00:00Z"})
        clock.advance(1)
        for size in (1000, 137):
            got, pages = results(http, job, page_size=size)
            wanted = [c for c in emu.truth.conversations(datetime(2026, 2, 19, tzinfo=timezone.utc), datetime(2026, 3, 2, tzinfo=timezone.utc))
                      if c["conversationEnd"] >= "2026-02-20T00:00:00.000Z"]  # fmt: skip
            assert [c["conversationId"] for c in got] == [c["conversationId"] for c in wanted]
            assert all(len(p["conversations"]) == size for p in pages[:-1]) and len(wanted) > 3500
