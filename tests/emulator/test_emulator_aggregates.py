"""Aggregates agree exactly with the session metrics the details endpoints serve, and validate like the API."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timezone
from typing import Any

import httpx
import pytest

from gcexport.clock import FakeClock
from gcexport.emulator import Emulator
from tests.emulator.conftest import login, make_config

WINDOW = "2026-03-03T00:00:00.000Z/2026-03-04T12:00:00.000Z"  # ends at emulator-now: live conversations too
METRICS = ["nOffered", "tHandle", "tTalk", "tAbandon", "tAcw", "tHeld", "tAnswered", "tAcd", "tAlert",
           "nTransferred", "nConnected", "tIvr", "tShortAbandon", "nOverSla", "nOutbound", "tTalkComplete"]  # fmt: skip


def _ms(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


def all_details(client: httpx.Client, interval: str) -> list[dict[str, Any]]:
    conversations: list[dict[str, Any]] = []
    page = 1
    while page < 200:
        body = client.post(
            "/api/v2/analytics/conversations/details/query",
            json={"interval": interval, "paging": {"pageSize": 100, "pageNumber": page}},
        ).json()
        if not body.get("conversations"):
            return conversations
        conversations += body["conversations"]
        page += 1
    raise AssertionError("paging did not end")


def recompute(
    conversations: list[dict[str, Any]], start: int, end: int
) -> dict[tuple[str, str, int, str], list[int]]:
    """(queueId, mediaType, hour start, metric) → values, straight from details."""
    out: dict[tuple[str, str, int, str], list[int]] = defaultdict(list)
    for conversation in conversations:
        for participant in conversation["participants"]:
            for session in participant["sessions"]:
                queue = next((s["queueId"] for s in session["segments"] if "queueId" in s), None)
                for metric in session.get("metrics", []):
                    emit = _ms(metric["emitDate"])
                    if queue and metric["name"] in METRICS and start <= emit < end:
                        out[
                            (queue, session["mediaType"], emit - emit % 3_600_000, metric["name"])
                        ].append(metric["value"])
    return out


def flatten(response: dict[str, Any]) -> dict[tuple[str, str, int, str], dict[str, Any]]:
    out = {}
    for result in response["results"]:
        group = result["group"]
        if "queueId" not in group:
            continue
        for data in result["data"]:
            hour = _ms(data["interval"].split("/")[0])
            for metric in data["metrics"]:
                out[(group["queueId"], group["mediaType"], hour, metric["metric"])] = metric[
                    "stats"
                ]
    return out


def test_aggregates_equal_details_per_queue_media_and_hour(client: httpx.Client) -> None:
    details = all_details(client, "2026-03-02T00:00:00.000Z/2026-03-05T00:00:00.000Z")
    body = {
        "interval": WINDOW,
        "granularity": "PT1H",
        "groupBy": ["queueId", "mediaType"],
        "metrics": METRICS,
    }
    response = client.post("/api/v2/analytics/conversations/aggregates/query", json=body).json()
    expected = recompute(details, _ms(WINDOW.split("/")[0]), _ms(WINDOW.split("/")[1]))
    got = flatten(response)
    assert set(got) == set(expected)
    for key, values in expected.items():
        if key[3].startswith("n"):
            assert got[key] == {"count": sum(values)}, key
        else:
            assert got[key] == {
                "max": max(values),
                "min": min(values),
                "count": len(values),
                "sum": sum(values),
            }, key
    assert sum(len(v) for k, v in expected.items() if k[3] == "nOffered") > 400
    assert {k[1] for k in expected} >= {"voice", "message", "email", "callback"}


def test_service_level_and_target(client: httpx.Client, emu: Emulator) -> None:
    queue = emu.truth.queues()[0]
    body = {"interval": WINDOW, "groupBy": ["queueId"], "metrics": ["oServiceLevel", "oServiceTarget"],
            "filter": {"type": "and", "predicates": [{"dimension": "queueId", "value": queue["id"]}]}}  # fmt: skip
    response = client.post("/api/v2/analytics/conversations/aggregates/query", json=body).json()
    [result] = response["results"]
    stats = {m["metric"]: m["stats"] for m in result["data"][0]["metrics"]}
    level = stats["oServiceLevel"]
    assert (
        level["target"]
        == queue["mediaSettings"]["call"]["serviceLevel"]["percentage"]
        == stats["oServiceTarget"]["current"]
    )
    assert (
        0 < level["numerator"] < level["denominator"]
        and level["ratio"] == level["numerator"] / level["denominator"]
    )


def test_time_zone_buckets_follow_local_midnight(client: httpx.Client) -> None:
    body = {"interval": "2026-03-01T05:00:00.000Z/2026-03-03T05:00:00.000Z", "granularity": "P1D",
            "timeZone": "America/New_York", "metrics": ["nOffered"]}  # fmt: skip
    data = client.post("/api/v2/analytics/conversations/aggregates/query", json=body).json()[
        "results"
    ][0]["data"]
    assert [d["interval"] for d in data] == [
        "2026-03-01T05:00:00.000Z/2026-03-02T05:00:00.000Z",
        "2026-03-02T05:00:00.000Z/2026-03-03T05:00:00.000Z",
    ]


def test_dst_fall_back_day_is_25_hours(client: httpx.Client) -> None:
    body = {"interval": "2025-11-01T04:00:00.000Z/2025-11-03T05:00:00.000Z", "granularity": "P1D",
            "timeZone": "America/New_York", "metrics": ["nOffered"]}  # fmt: skip
    data = client.post("/api/v2/analytics/conversations/aggregates/query", json=body).json()[
        "results"
    ][0]["data"]
    assert [d["interval"] for d in data] == [
        "2025-11-01T04:00:00.000Z/2025-11-02T04:00:00.000Z",
        "2025-11-02T04:00:00.000Z/2025-11-03T05:00:00.000Z",
    ]


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        (
            {"interval": WINDOW, "metrics": ["nBogus"]},
            "invalid.value",
            "Value [nBogus] is not valid for field type [ConversationAggregationQueryMetrics]. Allowable values are: nAgentDeclined, ",
        ),
        (
            {"interval": WINDOW, "metrics": ["nOffered"], "groupBy": ["queue"]},
            "invalid.value",
            "Value [queue] is not valid for field type [ConversationAggregationQueryGroupBy]. Allowable values are: activeRouting, ",
        ),
        (
            {"interval": WINDOW, "metrics": ["nOffered"], "granularity": "1 hour"},
            "bad.request",
            "Invalid granularity [1 hour]",
        ),
        (
            {"interval": WINDOW, "metrics": ["nOffered"], "timeZone": "Mars/Olympus"},
            "bad.request",
            "Invalid time zone [Mars/Olympus].",
        ),
        (
            {"interval": WINDOW, "metrics": ["nOffered"], "filter": {"type": "", "predicates": []}},
            "invalid.value",
            "Value [] is not valid for field type [QueryFilterType]. Allowable values are: and, or",
        ),
        ({"metrics": ["nOffered"]}, "bad.request", "The interval is required"),
    ],
)
def test_bad_aggregate_queries(
    client: httpx.Client, body: dict[str, Any], code: str, message: str
) -> None:
    reply = client.post("/api/v2/analytics/conversations/aggregates/query", json=body)
    assert reply.status_code == 400
    assert reply.json()["code"] == code and reply.json()["message"].startswith(message)


def test_no_group_and_empty_interval(client: httpx.Client) -> None:
    body = {
        "interval": "2026-03-03T10:00:00.000Z/2026-03-03T11:00:00.000Z",
        "metrics": ["nOffered", "tWait"],
    }
    response = client.post("/api/v2/analytics/conversations/aggregates/query", json=body).json()
    [result] = response["results"]
    assert "group" not in result and [m["metric"] for m in result["data"][0]["metrics"]] == [
        "nOffered"
    ]
    future = {
        "interval": "2026-03-05T00:00:00.000Z/2026-03-06T00:00:00.000Z",
        "metrics": ["nOffered"],
    }
    assert (
        client.post("/api/v2/analytics/conversations/aggregates/query", json=future).content
        == b"{}"
    )


def test_calendar_buckets_follow_the_zone_days_even_from_a_utc_midnight() -> None:
    """REFERENCE.md §16 item 10: Berlin's 2026-10-25 is 25 hours (22:00Z to 23:00Z next day); an
    interval from 00:00Z opens with a partial bucket, then follows Berlin's days."""
    emu = Emulator(make_config(), clock=FakeClock(datetime(2026, 10, 28, tzinfo=timezone.utc)))
    client = httpx.Client(transport=emu.transport(), base_url="https://api.emulated.test")
    login(client, emu.config)
    body = {"interval": "2026-10-25T00:00:00.000Z/2026-10-27T00:00:00.000Z", "granularity": "P1D",
            "timeZone": "Europe/Berlin", "metrics": ["nOffered"]}  # fmt: skip
    reply = client.post("/api/v2/analytics/conversations/aggregates/query", json=body)
    assert [d["interval"] for d in reply.json()["results"][0]["data"]] == [
        "2026-10-25T00:00:00.000Z/2026-10-25T23:00:00.000Z",
        "2026-10-25T23:00:00.000Z/2026-10-26T23:00:00.000Z",
        "2026-10-26T23:00:00.000Z/2026-10-27T00:00:00.000Z",
    ]
