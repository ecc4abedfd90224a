"""Details query and by-id: day matching, ordering, paging limits, filters, determinism, live conversations."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import httpx
import pytest

from gcexport.clock import FakeClock
from gcexport.emulator import Emulator, EmulatorConfig
from tests.emulator.conftest import login

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=timezone.utc)
DAY = "2026-03-03T00:00:00.000Z/2026-03-04T00:00:00.000Z"
QUERY = "/api/v2/analytics/conversations/details/query"


def post(client: httpx.Client, body: dict[str, Any]) -> httpx.Response:
    return client.post(QUERY, json=body)


def fetch(seed: int) -> bytes:
    emu = Emulator(
        EmulatorConfig(seed=seed, conversations_per_day=300, now=NOW), clock=FakeClock(NOW)
    )
    with httpx.Client(transport=emu.transport(), base_url="https://api.x") as http:
        login(http, emu.config)
        return http.post(
            QUERY, json={"interval": DAY, "paging": {"pageSize": 100, "pageNumber": 3}}
        ).content


def test_same_seed_same_bytes_other_seed_differs() -> None:
    first = fetch(1)
    assert first == fetch(1)
    assert first != fetch(2)
    assert first.startswith(b'{"conversations":[{"conversationEnd":"2026-03-03T')


def test_interval_matches_whole_utc_days_and_orders(client: httpx.Client, emu: Emulator) -> None:
    truth = emu.truth.conversations(
        datetime(2026, 3, 3, tzinfo=timezone.utc), datetime(2026, 3, 4, tzinfo=timezone.utc)
    )
    hour = post(
        client,
        {
            "interval": "2026-03-03T10:00:00.000Z/2026-03-03T11:00:00.000Z",
            "paging": {"pageSize": 5},
        },
    ).json()
    assert hour["totalHits"] == len(truth) > 300
    assert [c["conversationId"] for c in hour["conversations"]] == [
        c["conversationId"] for c in truth[:5]
    ]
    desc = post(client, {"interval": DAY, "order": "desc", "paging": {"pageSize": 3}}).json()
    assert [c["conversationId"] for c in desc["conversations"]] == [
        c["conversationId"] for c in truth[::-1][:3]
    ]
    by_end = post(
        client, {"interval": DAY, "orderBy": "conversationEnd", "paging": {"pageSize": 100}}
    ).json()["conversations"]
    ends = [c["conversationEnd"] for c in by_end]
    assert ends == sorted(ends)
    assert all("attributes" not in p for c in hour["conversations"] for p in c["participants"])


def test_paging_covers_every_conversation_once(client: httpx.Client) -> None:
    seen: list[str] = []
    for page in range(1, 20):
        body = post(
            client, {"interval": DAY, "paging": {"pageSize": 100, "pageNumber": page}}
        ).json()
        if "conversations" not in body:
            break
        seen += [c["conversationId"] for c in body["conversations"]]
    assert len(seen) == len(set(seen)) == body["totalHits"]


def test_empty_result_is_total_hits_zero(client: httpx.Client) -> None:
    reply = post(client, {"interval": "2026-03-06T00:00:00.000Z/2026-03-07T00:00:00.000Z"})
    assert reply.status_code == 200 and reply.content == b'{"totalHits":0}'


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        ({"interval": "2026-02-01T00:00:00Z/2026-02-09T00:00:00Z"}, "bad.request",
         "You must specify a search interval as part of your query that does not exceed 7 days."),
        ({"interval": "2026-01-01T00:00:00Z/2026-02-09T00:00:00Z", "segmentFilters": [{"type": "and", "predicates": [{"dimension": "mediaType", "value": "voice"}]}]},
         "bad.request", "You must specify a search interval as part of your query that does not exceed 31 days."),
        ({"interval": DAY, "paging": {"pageSize": 101, "pageNumber": 1}}, "bad.request", "The page size must be between 1 and 100."),
        ({"interval": DAY, "paging": {"pageSize": 100, "pageNumber": 1001}}, "bad.request", "Pagination may not exceed 100000 results."),
        ({"interval": DAY, "order": "up"}, "invalid.value", "Value [up] is not valid for field type [SortOrder]. Allowable values are: asc, desc, unordered"),
        ({"interval": "yesterday"}, "invalid.date", "Dates must be specified as ISO-8601 strings. For example: yyyy-MM-ddTHH:mm:ss.SSSZ"),
        ({"interval": DAY, "segmentFilters": [{"type": "and", "predicates": [{"dimension": "queue", "value": "x"}]}]}, "invalid.value",
         "Value [queue] is not valid for field type [SegmentDetailQueryPredicateDimension]. Allowable values are: addressFrom, addressTo,"),
    ],
)  # fmt: skip
def test_limits_and_bad_requests(
    client: httpx.Client, body: dict[str, Any], code: str, message: str
) -> None:
    reply = post(client, body)
    error = reply.json()
    assert reply.status_code == 400 and error["status"] == 400
    assert error["code"] == code and error["message"].startswith(message)
    assert error["details"] == [] and error["errors"] == [] and error["contextId"]
    assert reply.headers["inin-ratelimit-allowed"] == "300" and reply.headers["ININ-Correlation-Id"]


def test_segment_and_conversation_filters(client: httpx.Client, emu: Emulator) -> None:
    queue = emu.truth.queues()[2]["id"]
    seg = {
        "type": "and",
        "predicates": [
            {"dimension": "queueId", "value": queue},
            {"dimension": "purpose", "value": "agent"},
        ],
    }
    found = post(
        client, {"interval": DAY, "segmentFilters": [seg], "paging": {"pageSize": 100}}
    ).json()
    assert found["totalHits"] == len(found["conversations"]) > 0
    for conversation in found["conversations"]:
        assert any(p["purpose"] == "agent" and any(s.get("queueId") == queue for x in p["sessions"] for s in x["segments"])
                   for p in conversation["participants"])  # fmt: skip
    outbound = {
        "type": "or",
        "predicates": [{"dimension": "originatingDirection", "value": "outbound"}],
    }
    out = post(
        client, {"interval": DAY, "conversationFilters": [outbound], "paging": {"pageSize": 100}}
    ).json()
    assert out["totalHits"] > 0 and {c["originatingDirection"] for c in out["conversations"]} == {
        "outbound"
    }
    one = out["conversations"][0]["conversationId"]
    by_id = {"type": "and", "predicates": [{"dimension": "conversationId", "value": one}]}
    assert post(client, {"interval": DAY, "conversationFilters": [by_id]}).json()["totalHits"] == 1
    slow = {"type": "and", "predicates": [{"metric": "tAbandon", "range": {"gte": 60000}}]}
    abandoned = post(
        client, {"interval": DAY, "conversationFilters": [slow], "paging": {"pageSize": 100}}
    ).json()
    values = [
        m["value"]
        for c in abandoned["conversations"]
        for p in c["participants"]
        for s in p["sessions"]
        for m in s.get("metrics", [])
        if m["name"] == "tAbandon"
    ]
    assert values and min(values) >= 60000


def test_live_conversations_have_partial_records(client: httpx.Client) -> None:
    now = "2026-03-04T12:00:00.000Z"
    body = post(
        client,
        {
            "interval": "2026-03-04T00:00:00Z/2026-03-05T00:00:00Z",
            "order": "desc",
            "paging": {"pageSize": 100},
        },
    ).json()
    conversations = body["conversations"]
    assert all(c["conversationStart"] <= now for c in conversations)
    live = [c for c in conversations if "conversationEnd" not in c]
    assert live and all(
        c["conversationEnd"] <= now for c in conversations if "conversationEnd" in c
    )
    for conversation in live:
        segments = [
            g for p in conversation["participants"] for s in p["sessions"] for g in s["segments"]
        ]
        metrics = [
            m
            for p in conversation["participants"]
            for s in p["sessions"]
            for m in s.get("metrics", [])
        ]
        assert any("segmentEnd" not in g for g in segments)
        assert all(g["segmentStart"] <= now for g in segments) and all(
            m["emitDate"] <= now for m in metrics
        )
        for session in (s for p in conversation["participants"] for s in p["sessions"]):
            if (
                "segmentEnd" not in session["segments"][-1]
            ):  # still open: its closing metrics are not emitted yet
                assert not {"tConnected", "tHandle", "tAcw"} & {
                    m["name"] for m in session.get("metrics", [])
                }


def test_conversation_by_id(client: httpx.Client, emu: Emulator) -> None:
    truth = emu.truth.conversations(
        datetime(2026, 3, 2, tzinfo=timezone.utc), datetime(2026, 3, 3, tzinfo=timezone.utc)
    )[7]
    got = client.get(f"/api/v2/analytics/conversations/{truth['conversationId']}/details").json()
    for participant in truth["participants"]:
        participant.pop("attributes", None)
    assert got == truth
    missing = client.get(
        "/api/v2/analytics/conversations/00000000-0000-4000-8000-000000000000/details"
    )
    assert missing.status_code == 404 and missing.json()["code"] == "not.found"
    many = client.get(
        "/api/v2/analytics/conversations/details", params={"id": truth["conversationId"]}
    ).json()
    assert [c["conversationId"] for c in many["conversations"]] == [truth["conversationId"]]


def _scalars_sorted_then(record: dict[str, Any], nested: tuple[str, ...]) -> bool:
    keys = list(record)
    scalars = [k for k in keys if k not in nested]
    return scalars == sorted(scalars) and keys == scalars + [k for k in nested if k in record]


def test_key_order_and_no_nulls_follow_the_captures(emu: Emulator) -> None:
    conversations = emu.truth.conversations(
        datetime(2026, 3, 3, tzinfo=timezone.utc), datetime(2026, 3, 4, 12, tzinfo=timezone.utc)
    )
    assert len(conversations) > 500
    for conversation in conversations:
        assert _scalars_sorted_then(conversation, ("participants",))
        assert "null" not in repr(conversation) and "None" not in repr(conversation)
        purposes = [p["purpose"] for p in conversation["participants"]]
        assert purposes[0] in ("customer", "agent")
        for participant in conversation["participants"]:
            assert _scalars_sorted_then(participant, ("sessions", "attributes"))
            for session in participant["sessions"]:
                assert _scalars_sorted_then(session, ("flow", "metrics", "segments"))
                metrics = session.get("metrics", [])
                assert metrics == sorted(metrics, key=lambda m: (m["emitDate"], m["name"]))
                for first, second in zip(
                    session["segments"], session["segments"][1:], strict=False
                ):
                    assert first["segmentEnd"] == second["segmentStart"]  # contiguous (§12.3)
                assert all(list(seg) == sorted(seg) for seg in session["segments"])
        if "conversationEnd" in conversation:
            ends = [
                g["segmentEnd"]
                for p in conversation["participants"]
                for s in p["sessions"]
                for g in s["segments"]
            ]
            assert conversation["conversationEnd"] == max(ends)  # §12.5


def test_term_frequency_and_numeric_range_aggregations(client: httpx.Client, emu: Emulator) -> None:
    body = {"interval": DAY, "paging": {"pageSize": 1},
            "aggregations": [{"type": "termFrequency", "dimension": "mediaType", "size": 10},
                             {"type": "numericRange", "metric": "tTalk", "ranges": [{"lt": 120000}, {"gte": 120000}]}]}  # fmt: skip
    facets = post(client, body).json()["aggregations"]
    truth = emu.truth.conversations(
        datetime(2026, 3, 3, tzinfo=timezone.utc), datetime(2026, 3, 4, tzinfo=timezone.utc)
    )
    media: dict[str, int] = {}
    for conversation in truth:
        for kind in {s["mediaType"] for p in conversation["participants"] for s in p["sessions"]}:
            media[kind] = media.get(kind, 0) + 1
    assert {r["value"]: r["count"] for r in facets[0]["results"]} == media
    talks = [
        m["value"]
        for c in truth
        for p in c["participants"]
        for s in p["sessions"]
        for m in s.get("metrics", [])
        if m["name"] == "tTalk"
    ]
    assert [r["count"] for r in facets[1]["results"]] == [
        sum(v < 120000 for v in talks),
        sum(v >= 120000 for v in talks),
    ]
    assert facets[1]["results"][1] == {"count": sum(v >= 120000 for v in talks), "gte": 120000}
    bad = post(client, {"interval": DAY, "aggregations": [{"type": "histogram"}]}).json()
    assert bad["message"].startswith(
        "Value [histogram] is not valid for field type [AnalyticsQueryAggregationType]."
    )


@pytest.mark.parametrize(
    "body",
    [
        {"interval": DAY, "paging": {"pageSize": "many"}},
        {"interval": DAY, "paging": [1]},
        {"interval": DAY, "segmentFilters": {"type": "and"}},
        {"interval": DAY, "conversationFilters": [{"type": "and", "predicates": ["queueId"]}]},
        {"interval": 42},
    ],
)
def test_malformed_bodies_get_400_not_500(client: httpx.Client, body: dict[str, Any]) -> None:
    reply = post(client, body)
    assert reply.status_code == 400 and reply.json()["code"] in ("bad.request", "invalid.date")
    assert (
        client.post(
            QUERY, content=b"{not json", headers={"Content-Type": "application/json"}
        ).json()["code"]
        == "bad.request"
    )


def _total(emu: Emulator, interval: str) -> int:
    with httpx.Client(transport=emu.transport(), base_url="https://api.x") as http:
        login(http, emu.config)
        reply = post(http, {"interval": interval, "paging": {"pageSize": 1}})
    assert reply.status_code == 200, reply.text
    return int(reply.json()["totalHits"])


def test_modes_make_total_hits_approximate_and_a_midnight_end_touch_the_next_day() -> None:
    def emulator(*modes: str) -> Emulator:
        config = EmulatorConfig(seed=1, conversations_per_day=400, now=NOW, modes=modes)
        return Emulator(config, clock=FakeClock(NOW))

    short = "2026-03-02T00:00:00.000Z/2026-03-02T23:59:59.999Z"
    exact = Emulator(
        EmulatorConfig(seed=1, conversations_per_day=400, now=NOW), clock=FakeClock(NOW)
    )
    truth = len(exact.truth.conversations(datetime(2026, 3, 2, tzinfo=timezone.utc),
                                          datetime(2026, 3, 3, tzinfo=timezone.utc)))  # fmt: skip
    next_day = len(exact.truth.conversations(datetime(2026, 3, 3, tzinfo=timezone.utc),
                                             datetime(2026, 3, 4, tzinfo=timezone.utc)))  # fmt: skip
    midnight = "2026-03-02T00:00:00.000Z/2026-03-03T00:00:00.000Z"
    assert _total(exact, midnight) == _total(exact, short) == truth > 100
    error = max(1, truth // 100)
    approximate = _total(emulator("approximate-total-hits"), short)
    assert approximate == (truth + error if truth % 2 else truth - error)
    touching = emulator("midnight-touches-next-day")
    assert _total(touching, midnight) == truth + next_day
    assert _total(touching, short) == truth
    with pytest.raises(ValueError, match="unknown mode 'psychic'"):
        EmulatorConfig(modes=("psychic",))


def test_acd_sessions_open_with_delay_and_n_over_sla_sits_next_to_t_answered(emu: Emulator) -> None:
    day = emu.truth.conversations(
        datetime(2026, 3, 3, tzinfo=timezone.utc), datetime(2026, 3, 4, tzinfo=timezone.utc)
    )
    sessions = [
        (p["purpose"], s) for c in day for p in c["participants"] for s in p.get("sessions", [])
    ]
    acd = [s for purpose, s in sessions if purpose == "acd"]
    assert acd and all(
        [g["segmentType"] for g in s["segments"]] == ["delay", "interact"] for s in acd
    )
    over = [(purpose, {m["name"] for m in s.get("metrics", [])}) for purpose, s in sessions
            if any(m["name"] == "nOverSla" for m in s.get("metrics", []))]  # fmt: skip
    answered = [names for purpose, names in over if purpose == "agent"]
    assert answered and all("tAnswered" in names for names in answered)
    assert all(purpose == "agent" or "tAbandon" in names for purpose, names in over)
