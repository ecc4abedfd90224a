"""Aggregates, reporting exports and lookups against the emulator, calm and under faults."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timezone
from typing import Any

import pytest

from gcexport.api import aggregates, exports, lookups
from gcexport.api.paging import PollPolicy
from gcexport.errors import JobFailedError
from gcexport.models import AggregateQuery, Interval, ReportExportRequest

FAULTS = "429=0.1,5xx=0.05,drop=0.05"
WINDOW = Interval.of(
    datetime(2026, 3, 1, tzinfo=timezone.utc), datetime(2026, 3, 9, tzinfo=timezone.utc)
)


def aggregate_rows(org: Any, query: AggregateQuery, **kwargs: Any) -> list[dict[str, Any]]:
    return [
        row for page in aggregates.iter_pages(org.client, query, **kwargs) for row in page.items
    ]


def test_aggregates_chunked_buckets_each_once_and_faults_change_nothing(make_org: Any) -> None:
    window = Interval.of(WINDOW.start, datetime(2026, 3, 5, tzinfo=timezone.utc))
    query = AggregateQuery(interval=window, metrics=["nOffered", "tHandle"], granularity="P1D",
                           group_by=["mediaType"])  # fmt: skip
    calm_org = make_org()
    whole = aggregate_rows(calm_org, query)
    chunked = aggregate_rows(make_org(), query, max_days=3)  # chunks of 3 + 1 days
    assert len(calm_org.api_records()) == 1
    stormy = make_org(faults=FAULTS)
    stormy_rows = aggregate_rows(stormy, query, max_days=1)
    assert len([r for r in stormy.api_records() if r.status == 200]) == 4

    def buckets(rows: list[dict[str, Any]]) -> dict[tuple[str, str], Any]:
        found: dict[tuple[str, str], Any] = {}
        for row in rows:
            for data in row["data"]:
                key = (row["group"]["mediaType"], data["interval"])
                assert key not in found
                found[key] = data["metrics"]
        return found

    assert buckets(whole) and buckets(chunked) == buckets(whole) == buckets(stormy_rows)
    assert all(asked == waited for asked, waited in stormy.waits_after_429())
    days = {interval.split("/")[0][:10] for _, interval in buckets(whole)}
    assert days == {f"2026-03-0{d}" for d in range(1, 5)}


def test_reporting_export_downloads_the_csv(make_org: Any) -> None:
    two_days = Interval.of(WINDOW.start, datetime(2026, 3, 3, tzinfo=timezone.utc))
    request = ReportExportRequest(name="queues", view_type="QUEUE_PERFORMANCE_SUMMARY_VIEW",
                                  interval=two_days, period="P1D")  # fmt: skip
    calm = exports.run_export(make_org().client, request)
    stormy = exports.run_export(make_org(faults=FAULTS).client, request)
    assert calm.job["status"] == "COMPLETED"
    rows = list(csv.reader(io.StringIO(calm.csv.decode("utf-8-sig"))))
    assert len(rows) > 2
    assert stormy.csv == calm.csv


def test_reporting_export_failure_names_the_export(make_org: Any) -> None:
    request = ReportExportRequest(name="x", view_type="API_USAGE_VIEW", interval=WINDOW)
    with pytest.raises(JobFailedError) as caught:
        exports.run_export(make_org().client, request, poll=PollPolicy(initial=1, timeout=120))
    assert caught.value.state == "FAILED"
    assert caught.value.job_id in str(caught.value)


@pytest.mark.parametrize(
    ("walk", "truth"),
    [
        (lookups.iter_queues, "queues"),
        (lookups.iter_users, "users"),
        (lookups.iter_wrapup_codes, "wrapup_codes"),
    ],
)
def test_lookups_return_every_entity(make_org: Any, walk: Any, truth: str) -> None:
    calm = make_org()
    expected = sorted(e["id"] for e in getattr(calm.emulator.truth, truth)())
    got = [e["id"] for page in walk(calm.client, page_size=25) for e in page.items]
    assert sorted(got) == expected and len(got) == len(set(got))
    stormy = make_org(faults=FAULTS)
    assert [e["id"] for page in walk(stormy.client, page_size=25) for e in page.items] == got
    assert all(asked == waited for asked, waited in stormy.waits_after_429())


def test_users_include_every_state(make_org: Any) -> None:
    org = make_org()
    states = {u.get("state") for page in lookups.iter_users(org.client) for u in page.items}
    assert {"active", "inactive", "deleted"} <= states


def test_reporting_export_sends_the_filters_its_view_requires(make_org: Any) -> None:
    org = make_org()
    two_days = Interval.of(WINDOW.start, datetime(2026, 3, 3, tzinfo=timezone.utc))
    bare = ReportExportRequest(name="queues", view_type="QUEUE_PERFORMANCE_SUMMARY_VIEW",
                               interval=two_days, period="P1D")  # fmt: skip
    result = exports.run_export(org.client, bare)
    sent = [r for r in org.api_records() if r.endpoint.startswith(exports.EXPORTS_PATH)]
    assert sent[0].method == "GET" and sent[0].endpoint == exports.METADATA_PATH
    assert sorted(result.job["filter"]["mediaTypes"]) == sorted(exports.ALL_MEDIA_TYPES)
    media = list(exports.ALL_MEDIA_TYPES)
    explicit = exports.run_export(
        org.client, bare.model_copy(update={"filter": {"mediaTypes": media}})
    )
    assert result.csv == explicit.csv
    voice = bare.model_copy(update={"filter": {"mediaTypes": ["voice"]}})
    assert exports.with_required_filters(org.client, voice) == voice  # nothing added when set


def test_an_export_created_despite_a_gateway_error_is_found_by_name_not_created_twice(
    make_org: Any,
) -> None:
    two_days = Interval.of(WINDOW.start, datetime(2026, 3, 3, tzinfo=timezone.utc))
    request = ReportExportRequest(name="queues", view_type="QUEUE_PERFORMANCE_SUMMARY_VIEW",
                                  interval=two_days, period="P1D")  # fmt: skip
    calm = exports.run_export(make_org(seed=4).client, request)
    org = make_org(faults="accepted_5xx=0.5", seed=4)
    results = [exports.run_export(org.client, request) for _ in range(4)]
    posts = [r for r in org.emulator.requests if r.method == "POST" and "reporting" in r.path]
    assert any(r.status >= 500 for r in posts), "the seed should fail some POST after serving it"
    made = org.emulator.exports.exports
    assert len(made) == len(results) == len({e.request["name"] for e in made})
    assert all(r.csv == calm.csv for r in results)
    assert all(e.request["name"].startswith("queues [gcexport ") for e in made)


def test_a_finished_export_is_deleted(make_org: Any) -> None:
    org = make_org()
    request = ReportExportRequest(
        name="q", view_type="QUEUE_PERFORMANCE_SUMMARY_VIEW", interval=WINDOW
    )
    exports.run_export(org.client, request)
    deletes = [r for r in org.emulator.requests if r.method == "DELETE"]
    assert [r.status for r in deletes] == [204]
    assert [e.deleted for e in org.emulator.exports.exports] == [True]
