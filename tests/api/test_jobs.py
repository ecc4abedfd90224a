"""Details jobs against the emulator: exact rows, faults, failures, resume, early stop, cursor guard."""

from __future__ import annotations

import re
import threading
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from gcexport.api import jobs
from gcexport.api.paging import PollPolicy
from gcexport.client import GenesysClient
from gcexport.clock import FakeClock
from gcexport.errors import ApiError, DataError, JobFailedError, QueryValidationError
from gcexport.models import DetailsJobQuery, Interval

START = datetime(2026, 3, 6, 3, tzinfo=timezone.utc)
END = datetime(2026, 3, 8, tzinfo=timezone.utc)
JOB = "/api/v2/analytics/conversations/details/jobs/{jobId}"


def ids(rows: list[dict[str, Any]]) -> list[str]:
    return sorted(str(row["conversationId"]) for row in rows)


def export(org: Any, **kwargs: Any) -> list[dict[str, Any]]:
    return [
        row for page in jobs.iter_job_pages(org.client, START, END, **kwargs) for row in page.items
    ]


def deletes(org: Any) -> list[str]:
    return [r.path for r in org.emulator.requests if r.method == "DELETE" and r.status == 204]


def test_job_rows_are_exactly_the_window_and_job_is_deleted(make_org: Any) -> None:
    org = make_org()
    submitted: list[str] = []
    rows = export(org, page_size=100, on_job_submitted=submitted.append)
    assert ids(rows) == ids(org.emulator.truth.conversations(START, END))
    assert len(submitted) == 1
    assert deletes(org) == [f"/api/v2/analytics/conversations/details/jobs/{submitted[0]}"]
    assert org.clock.slept, "polling waited on the clock"


def test_availability_is_the_watermark(make_org: Any) -> None:
    org = make_org()
    assert jobs.get_availability(org.client) == datetime(2026, 3, 10, 6, tzinfo=timezone.utc)


def test_window_past_the_watermark_is_refused(make_org: Any) -> None:
    org = make_org()
    with pytest.raises(
        QueryValidationError, match=re.escape("data availability date 2026-03-10T06:00:00.000Z")
    ):
        list(jobs.iter_job_pages(org.client, START, datetime(2026, 3, 10, 12, tzinfo=timezone.utc)))


def test_faults_change_nothing_and_429s_wait_retry_after(make_org: Any) -> None:
    calm = export(make_org(), page_size=25)
    stormy = make_org(faults="429=0.1,5xx=0.05,drop=0.05")
    rows = export(stormy, page_size=25)
    assert rows == calm
    waits = stormy.waits_after_429()
    assert waits and all(asked == waited for asked, waited in waits)


def test_failed_job_raises_with_its_id(make_org: Any) -> None:
    org = make_org(faults="job_fail=1.0")
    submitted: list[str] = []
    with pytest.raises(JobFailedError) as caught:
        export(org, on_job_submitted=submitted.append)
    assert caught.value.job_id == submitted[0]
    assert caught.value.state == "FAILED"
    assert submitted[0] in str(caught.value)


def test_early_stop_deletes_the_job(make_org: Any) -> None:
    org = make_org()
    submitted: list[str] = []
    pages = jobs.iter_job_pages(
        org.client, START, END, page_size=20, on_job_submitted=submitted.append
    )
    first = next(pages)
    assert first.cursor is not None
    pages.close()
    assert deletes(org) == [f"/api/v2/analytics/conversations/details/jobs/{submitted[0]}"]


def test_given_job_id_is_reused(make_org: Any) -> None:
    org = make_org()
    query = DetailsJobQuery(interval=Interval.of(START, END))
    job_id = jobs.submit_job(org.client, query)
    rows = export(org, job_id=job_id, on_job_submitted=lambda _: pytest.fail("resubmitted"))
    assert ids(rows) == ids(org.emulator.truth.conversations(START, END))
    posts = [
        r for r in org.emulator.requests if r.method == "POST" and r.path.endswith("/details/jobs")
    ]
    assert len(posts) == 1


def test_gone_job_id_is_replaced(make_org: Any) -> None:
    org = make_org()
    submitted: list[str] = []
    rows = export(org, job_id="no-such-job", on_job_submitted=submitted.append)
    assert len(submitted) == 1 and submitted[0] != "no-such-job"
    assert ids(rows) == ids(org.emulator.truth.conversations(START, END))


def test_poll_gives_up_after_its_timeout(make_org: Any) -> None:
    org = make_org(job_queued_seconds=10_000)
    with pytest.raises(JobFailedError) as caught:
        export(org, poll=PollPolicy(initial=1, factor=2, max_interval=8, timeout=60))
    assert caught.value.state == "TIMED_OUT"
    assert sum(org.clock.slept) <= 60 + 1


def repeating_cursor_genesys(request: httpx.Request) -> httpx.Response:
    path = request.url.path
    if path == "/oauth/token":
        return httpx.Response(200, json={"access_token": "t", "expires_in": 86399})
    if path.endswith("/availability"):
        return httpx.Response(200, json={"dataAvailabilityDate": "2026-03-10T00:00:00Z"})
    if request.method == "POST":
        return httpx.Response(202, json={"jobId": "job-1"})
    if request.method == "DELETE":
        return httpx.Response(204)
    if path.endswith("/results"):
        return httpx.Response(200, json={"conversations": [], "cursor": "same-cursor"})
    return httpx.Response(200, json={"state": "FULFILLED"})


def test_repeated_cursor_raises_instead_of_looping() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return repeating_cursor_genesys(request)

    client = GenesysClient(
        api_url="https://api.test", login_url="https://login.test", client_id="c",
        client_secret=SecretStr("s"), transport=httpx.MockTransport(handler), clock=FakeClock(),
    )  # fmt: skip
    with pytest.raises(DataError, match="cursor repeated"):
        list(jobs.iter_job_pages(client, START, END))
    results = [r for r in seen if r.url.path.endswith("/results")]
    assert len(results) == 2  # the second page hands back the cursor that fetched it
    assert seen[-1].method == "DELETE"


def test_poll_policy_waits_grow_and_stop() -> None:
    waits = list(PollPolicy(initial=1, factor=2, max_interval=5, timeout=20).intervals())
    assert waits == [1, 2, 4, 5, 5]
    assert sum(waits) <= 20 and timedelta(seconds=sum(waits)) < timedelta(seconds=21)


def test_threads_share_one_client(make_org: Any) -> None:
    org = make_org(faults="429=0.1,5xx=0.05,drop=0.05")
    days = [START + timedelta(days=i) for i in range(3)]
    found: dict[datetime, list[str]] = {}
    errors: list[BaseException] = []

    def work(day: datetime) -> None:
        try:
            pages = jobs.iter_job_pages(org.client, day, day + timedelta(days=1), page_size=50)
            found[day] = ids([row for page in pages for row in page.items])
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(day,)) for day in days]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    for day in days:
        assert found[day] == ids(org.emulator.truth.conversations(day, day + timedelta(days=1)))
    assert org.client.tokens_fetched == 1


def test_a_submit_failing_after_the_server_accepted_it_is_repeated_a_bounded_number_of_times(
    make_org: Any,
) -> None:
    org = make_org(faults="accepted_5xx=1")  # every API call is served, then answered 502-504
    query = DetailsJobQuery(interval=Interval.of(START, END))
    with pytest.raises(ApiError) as caught:
        jobs.submit_job(org.client, query)
    assert caught.value.status in (502, 503, 504)
    posts = [r for r in org.emulator.requests if r.method == "POST" and r.path == jobs.JOBS_PATH]
    assert len(posts) == jobs.SUBMIT_ATTEMPTS == len(org.emulator.jobs.jobs) == 4


def test_an_ambiguous_submit_then_a_good_one_gives_one_usable_job(make_org: Any) -> None:
    org = make_org(faults="accepted_5xx=0.4", seed=1)
    rows = export(org, page_size=100)
    assert ids(rows) == ids(org.emulator.truth.conversations(START, END))
    posts = [r for r in org.emulator.requests if r.method == "POST" and r.path == jobs.JOBS_PATH]
    assert any(r.status >= 500 for r in posts), "the seed should fail a submit after serving it"
    assert len(posts) == len(org.emulator.jobs.jobs) <= jobs.SUBMIT_ATTEMPTS
