"""Lookup listings (envelope, paging, user states) and reporting exports (validation, lifecycle, CSV = aggregates)."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import httpx
import pyarrow as pa
import pytest

from gcexport.clock import FakeClock
from gcexport.emulator import Emulator, EmulatorConfig
from gcexport.emulator.http import Reply, Routes
from gcexport.transform import parse_report_csv
from tests.emulator.conftest import login

DAY = "2026-03-03T00:00:00.000Z/2026-03-04T00:00:00.000Z"
EXPORTS = "/api/v2/analytics/reporting/exports"
DETAILS = "/api/v2/analytics/conversations/details/query"


def fetch_signed(client: httpx.Client, emu: Emulator, url: str) -> httpx.Response:
    """GET an authenticated download resource, then its signed URL without the token."""
    redirect = client.get(url)
    assert redirect.status_code == 303, redirect.text
    with httpx.Client(transport=emu.transport()) as anonymous:
        reply = anonymous.get(redirect.headers["location"])
    assert reply.status_code == 200, reply.text
    return reply


def test_queue_listing_envelope_and_paging(client: httpx.Client, emu: Emulator) -> None:
    total = len(emu.truth.queues())
    assert 10 <= total <= 30
    first = client.get("/api/v2/routing/queues", params={"pageSize": 5}).json()
    assert list(first) == [
        "entities",
        "pageSize",
        "pageNumber",
        "total",
        "nextUri",
        "firstUri",
        "lastUri",
        "selfUri",
        "pageCount",
    ]
    assert (
        first["nextUri"] == "/api/v2/routing/queues?pageSize=5&pageNumber=2"
        and first["total"] == total
    )
    last = client.get(
        "/api/v2/routing/queues", params={"pageSize": 5, "pageNumber": first["pageCount"]}
    ).json()
    assert (
        "nextUri" not in last
        and last["previousUri"]
        and len(last["entities"]) == total - 5 * (first["pageCount"] - 1)
    )
    queue = first["entities"][0]
    assert queue["mediaSettings"]["call"]["serviceLevel"].keys() == {"percentage", "durationMs"}
    assert client.get("/api/v2/routing/queues", params={"pageSize": 501}).status_code == 400


def test_users_by_state(client: httpx.Client, emu: Emulator) -> None:
    everyone = emu.truth.users()
    assert 200 <= len(everyone) <= 320
    for state in ("active", "inactive", "deleted", "any"):
        params = {"pageSize": 500} if state == "active" else {"pageSize": 500, "state": state}
        body = client.get("/api/v2/users", params=params).json()
        expected = [u for u in everyone if state == "any" or u["state"] == state]
        assert [u["id"] for u in body["entities"]] == [u["id"] for u in expected] and body[
            "total"
        ] == len(expected) > 0
    assert client.get("/api/v2/users", params={"state": "gone"}).json()["code"] == "invalid.value"
    codes = client.get("/api/v2/routing/wrapupcodes", params={"pageSize": 100}).json()
    assert len(codes["entities"]) == len(emu.truth.wrapup_codes()) == 15


def test_deleted_queues_and_system_wrapup_codes_are_used_but_listed_nowhere(
    client: httpx.Client, emu: Emulator
) -> None:
    queues = client.get("/api/v2/routing/queues", params={"pageSize": 500}).json()
    listed = {q["id"] for q in queues["entities"]}
    deleted = {q["id"] for q in emu.truth.deleted_queues()}
    assert len(deleted) == 2 and not listed & deleted and queues["total"] == len(listed)
    codes = client.get("/api/v2/routing/wrapupcodes", params={"pageSize": 500}).json()
    named = {c["id"] for c in codes["entities"]}
    body = {"interval": DAY, "paging": {"pageSize": 100, "pageNumber": 1}}
    served: list[dict[str, Any]] = []
    while page := client.post(DETAILS, json=body).json().get("conversations", []):
        served += page
        body["paging"]["pageNumber"] += 1  # type: ignore[index]
    sessions = [(c, s) for c in served for p in c["participants"] for s in p["sessions"]]
    used = {seg["queueId"] for _, s in sessions for seg in s["segments"] if "queueId" in seg}
    assert deleted <= used and used <= listed | deleted
    wrapups = [
        (c["originatingDirection"], s["mediaType"], seg["wrapUpCode"])
        for c, s in sessions
        for seg in s["segments"]
        if "wrapUpCode" in seg
    ]
    system = {code for _, _, code in wrapups if code not in named}
    assert system == {"ININ-OUTBOUND-PREVIEW-SKIPPED", "ININ-WRAP-UP-TIMEOUT"}
    assert all(d == "outbound" for d, _, code in wrapups if code == "ININ-OUTBOUND-PREVIEW-SKIPPED")
    timeouts = [media for d, media, code in wrapups if code == "ININ-WRAP-UP-TIMEOUT"]
    assert "callback" in timeouts and all(
        d == "inbound" for d, _, code in wrapups if code == "ININ-WRAP-UP-TIMEOUT"
    )
    # the system codes stay rare: most wrap-ups are the org's own
    assert len([w for w in wrapups if w[2] in system]) < len(wrapups) / 8


def export_body(**overrides: Any) -> dict[str, Any]:
    body = {"name": "q", "timeZone": "UTC", "exportFormat": "CSV", "interval": DAY, "period": "P1D",
            "viewType": "QUEUE_PERFORMANCE_SUMMARY_VIEW", "filter": {"mediaTypes": ["voice", "email"]}, "locale": "en-US"}  # fmt: skip
    body.update(overrides)
    return body


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (export_body(locale=None), "The field [locale] is required."),
        (
            export_body(viewType="QUEUE_VIEW"),
            "Value [QUEUE_VIEW] is not valid for field type [ViewType]. Allowable values are: QUEUE_PERFORMANCE_SUMMARY_VIEW, ",
        ),
        (export_body(period="daily"), "Invalid granularity [daily]"),
        (
            export_body(filter={"queueIds": ["q"]}),
            "The filter [mediaTypes] is required for the view type [QUEUE_PERFORMANCE_SUMMARY_VIEW].",
        ),
    ],
)
def test_export_validation(client: httpx.Client, body: dict[str, Any], message: str) -> None:
    reply = client.post(EXPORTS, json={k: v for k, v in body.items() if v is not None})
    assert reply.status_code == 400 and reply.json()["message"].startswith(message)


def test_export_lifecycle_and_csv_matches_aggregates(
    client: httpx.Client, clock: FakeClock, emu: Emulator
) -> None:
    created = client.post(EXPORTS, json=export_body()).json()
    assert created["status"] == "SUBMITTED" and "downloadUrl" not in created
    clock.advance(0.5)
    assert client.get(EXPORTS).json()["entities"][0]["status"] == "RUNNING"
    clock.advance(0.5)
    listed = client.get(EXPORTS).json()["entities"][0]
    assert listed["status"] == "COMPLETED" and listed["id"] == created["id"]
    url = listed["downloadUrl"]
    assert re.fullmatch(r"https://apps\.emulated\.test/platform/api/v2/downloads/[0-9a-f]{16}", url)
    rows = list(csv.DictReader(io.StringIO(fetch_signed(client, emu, url).text)))
    body = {"interval": DAY, "groupBy": ["queueId", "mediaType"], "metrics": ["nOffered", "tHandle", "tAbandon"],
            "filter": {"type": "or", "predicates": [{"dimension": "mediaType", "value": "voice"}, {"dimension": "mediaType", "value": "email"}]}}  # fmt: skip
    aggregates = client.post("/api/v2/analytics/conversations/aggregates/query", json=body).json()
    stats = {(r["group"]["queueId"], r["group"]["mediaType"]): {m["metric"]: m["stats"] for m in r["data"][0]["metrics"]}
             for r in aggregates["results"] if "queueId" in r["group"]}  # fmt: skip
    assert rows and {r["Media Type"] for r in rows} == {"voice", "email"}
    for row in rows:
        want = stats[(row["Queue Id"], row["Media Type"])]
        assert int(row["Offer"]) == want.get("nOffered", {}).get("count", 0)
        assert int(row["Total Handle"]) == want.get("tHandle", {}).get("sum", 0)
        assert int(row["Abandon"]) == want.get("tAbandon", {}).get("count", 0)


def test_a_deleted_queue_has_its_id_and_no_name_in_the_queue_export(
    client: httpx.Client, clock: FakeClock, emu: Emulator
) -> None:
    """The real export can no longer resolve a deleted queue's name: its rows keep the id in
    "Queue Id" and leave "Queue Name" empty, which the exporter's typed parse reads as null."""
    media = ["voice", "chat", "email", "message", "callback"]
    created = client.post(EXPORTS, json=export_body(filter={"mediaTypes": media})).json()
    clock.advance(1)
    url = next(e for e in client.get(EXPORTS).json()["entities"] if e["id"] == created["id"])
    text = fetch_signed(client, emu, url["downloadUrl"]).text
    rows = list(csv.DictReader(io.StringIO(text)))
    listed = {q["id"]: q["name"] for q in emu.truth.queues()}
    deleted = {q["id"]: q["name"] for q in emu.truth.deleted_queues()}
    assert len(deleted) == 2 and set(deleted) <= {r["Queue Id"] for r in rows}
    for row in rows:
        assert row["Queue Id"] in listed or row["Queue Id"] in deleted, row
        assert row["Queue Name"] == listed.get(row["Queue Id"], ""), row
    assert not {r["Queue Name"] for r in rows} & set(deleted.values()) - set(listed.values())
    table = parse_report_csv(text.encode(), view_type="QUEUE_PERFORMANCE_SUMMARY_VIEW")
    assert table.schema.field("queue_id").type == pa.string()
    assert table.schema.field("queue_name").type == pa.string()
    typed = table.to_pylist()
    assert {r["queue_id"] for r in typed if r["queue_name"] is None} == set(deleted)
    assert all(r["queue_name"] == listed[r["queue_id"]] for r in typed if r["queue_id"] in listed)


def test_download_needs_a_token_and_other_views_fail(
    client: httpx.Client, clock: FakeClock, emu: Emulator
) -> None:
    created = client.post(
        EXPORTS, json=export_body(viewType="AGENT_PERFORMANCE_SUMMARY_VIEW")
    ).json()
    other = client.post(EXPORTS, json=export_body(viewType="API_USAGE_VIEW")).json()
    clock.advance(1)
    listing = {e["id"]: e for e in client.get(EXPORTS).json()["entities"]}
    assert (
        listing[other["id"]]["status"] == "FAILED"
        and listing[other["id"]]["exportErrorMessagesType"] == "FAILED_CONVERTING_EXPORT_JOB"
    )
    url = listing[created["id"]]["downloadUrl"]
    with httpx.Client(transport=emu.transport()) as anonymous:
        assert anonymous.get(url).status_code == 401
    text = fetch_signed(client, emu, url).text
    names = {u["name"] for u in emu.truth.users()}
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows and all(r["Agent Name"] in names for r in rows)
    metadata = client.get(f"{EXPORTS}/metadata").json()
    assert {e["viewType"] for e in metadata["entities"]} == {
        "QUEUE_PERFORMANCE_SUMMARY_VIEW",
        "AGENT_PERFORMANCE_SUMMARY_VIEW",
    }


def test_downloads_live_on_another_origin_and_redirect_to_a_signed_url_that_refuses_the_token(
    client: httpx.Client, clock: FakeClock, emu: Emulator
) -> None:
    created = client.post(EXPORTS, json=export_body()).json()
    clock.advance(1)
    url = client.get(EXPORTS).json()["entities"][0]["downloadUrl"]
    download_id = url.rsplit("/", 1)[1]
    assert url.startswith("https://apps.emulated.test/") and download_id != created["id"]
    on_api = client.get(f"/api/v2/downloads/{download_id}")
    assert on_api.status_code == 303
    signed = on_api.headers["location"]
    assert "X-Amz-Signature=" in signed and signed.startswith("https://api.emulated.test/")
    with_token = client.get(signed)  # the client sends its bearer token on every request
    assert with_token.status_code == 400 and b"<Code>InvalidArgument</Code>" in with_token.content
    as_json = client.get(f"/api/v2/downloads/{download_id}", params={"issueRedirect": "false"})
    assert as_json.status_code == 200 and set(as_json.json()) == {"url"}
    with httpx.Client(transport=emu.transport()) as anonymous:
        assert (
            anonymous.get(f"https://api.emulated.test/api/v2/downloads/{download_id}").status_code
            == 401
        )
        first = anonymous.get(signed)
        assert first.status_code == 200 and first.text.startswith("Interval Start,")
        assert (
            anonymous.get(signed.replace("X-Amz-Signature=", "X-Amz-Signature=0")).status_code
            == 403
        )
        clock.advance(301)
        expired = anonymous.get(signed)
    assert expired.status_code == 403 and b"Request has expired" in expired.content
    assert client.get("/api/v2/downloads/0123456789abcdef").status_code == 404


def test_exports_carry_read_and_can_be_deleted(client: httpx.Client, clock: FakeClock) -> None:
    created = client.post(EXPORTS, json=export_body()).json()
    assert created["read"] is False
    clock.advance(1)
    assert client.delete(f"{EXPORTS}/{created['id']}").status_code == 204
    assert client.get(EXPORTS).json()["entities"] == []
    assert client.delete(f"{EXPORTS}/{created['id']}").status_code == 404


def test_a_division_scoped_client_is_permitted_only_the_home_division(clock: FakeClock) -> None:
    """The listing stays whole in either mode (names of the divisions the client cannot see come
    from it), and 403 without `authorization:division:view`; the permitted list is the home one."""
    for modes, visible in (((), 3), (("division-scoped",), 1)):
        emu = Emulator(EmulatorConfig(seed=1, conversations_per_day=10, modes=modes), clock=clock)
        with httpx.Client(transport=emu.transport(), base_url="https://api.emulated.test") as http:
            login(http, emu.config)
            every = http.get("/api/v2/authorization/divisions").json()
            mine = http.get(
                "/api/v2/authorization/divisionspermitted/me", params={"permission": "x"}
            ).json()
            assert http.get("/api/v2/authorization/divisionspermitted/me").status_code == 400
        assert every["total"] == 3 and len(mine) == visible
        assert mine[0]["homeDivision"] is True and mine[0]["id"] == every["entities"][0]["id"]
        org = emu.backend.org.divisions
        assert every["entities"] == [
            {"id": d["id"], "name": d["name"], "description": f"{d['name']} division",
             "homeDivision": i == 0, "selfUri": f"/api/v2/authorization/divisions/{d['id']}"}
            for i, d in enumerate(org)
        ]  # fmt: skip
        assert [d["name"] for d in every["entities"]] == ["Home", "Consumer", "Business"]
        hidden = emu.truth.client.hidden_divisions()
        assert hidden == (["Consumer", "Business"] if modes else [])
        refused = EmulatorConfig(
            seed=1, conversations_per_day=10, modes=modes,
            missing_permissions=("authorization:division:view",),
        )  # fmt: skip
        emu = Emulator(refused, clock=clock)
        with httpx.Client(transport=emu.transport(), base_url="https://api.emulated.test") as http:
            login(http, emu.config)
            reply = http.get("/api/v2/authorization/divisions")
        assert reply.status_code == 403 and reply.json()["code"] == "missing.any.permissions"


def test_a_route_is_registered_once(emu: Emulator) -> None:
    """A second handler for the same method and path would never be reached: the table refuses it
    (so building an emulator proves none of its modules registers a route another already has)."""
    routes = Routes()
    routes.add("GET", "/api/v2/things/{thingId}", lambda _: Reply(200))
    routes.add("DELETE", "/api/v2/things/{thingId}", lambda _: Reply(204))
    with pytest.raises(ValueError) as refused:
        routes.add("GET", "/api/v2/things/{thingId}", lambda _: Reply(200))
    assert str(refused.value) == "GET /api/v2/things/{thingId} is already registered"
    assert len(emu.routes.patterns()) == len(set(emu.routes.patterns())) > 30
    assert emu.routes.patterns().count(("GET", "/api/v2/authorization/divisions")) == 1
