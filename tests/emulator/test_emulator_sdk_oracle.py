"""The official SDK (PureCloudPlatformClientV2) is the schema oracle: every served response deserialises
into its models, with no key outside `attribute_map` and no enum value it maps to outdated_sdk_version."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from gcexport.emulator import Emulator

DAY = "2026-03-03T00:00:00.000Z/2026-03-04T00:00:00.000Z"

sdk = pytest.importorskip("PureCloudPlatformClientV2")

_PRIMITIVES = {"int", "float", "str", "bool", "date", "datetime", "object", "LocalDateTime"}


def unknown_keys(data: Any, klass: str, where: str = "$") -> list[str]:
    """Every JSON key the SDK model for `klass` does not know, as a path."""
    if data is None or klass in _PRIMITIVES:
        return []
    if klass.startswith("list["):
        inner = re.match(r"list\[(.*)\]", klass).group(1)  # type: ignore[union-attr]
        return [
            p for i, item in enumerate(data) for p in unknown_keys(item, inner, f"{where}[{i}]")
        ]
    if klass.startswith("dict("):
        inner = re.match(r"dict\(([^,]*), (.*)\)", klass).group(2)  # type: ignore[union-attr]
        return [p for k, v in data.items() for p in unknown_keys(v, inner, f"{where}.{k}")]
    model = getattr(sdk.models, klass)()
    by_wire = {wire: attr for attr, wire in model.attribute_map.items()}
    found = [f"{where}.{key} ({klass})" for key in data if key not in by_wire]
    for key, value in data.items():
        if key in by_wire:
            found += unknown_keys(value, model.swagger_types[by_wire[key]], f"{where}.{key}")
    return found


def outdated_values(value: Any, where: str = "$") -> list[str]:
    """Paths in a deserialised model whose enum setter fell back to outdated_sdk_version."""
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in outdated_values(v, f"{where}[{i}]")]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in outdated_values(v, f"{where}.{k}")]
    if hasattr(value, "swagger_types"):
        return [
            p
            for attr in value.swagger_types
            for p in outdated_values(getattr(value, attr), f"{where}.{attr}")
        ]
    return [where] if value == "outdated_sdk_version" else []


class Oracle:
    """Calls through the SDK and also fetches the same raw JSON to check keys."""

    def __init__(self, base_url: str, emu: Emulator) -> None:
        self.api = sdk.ApiClient(host=base_url)
        self.api.get_client_credentials_token(emu.config.client_id, emu.config.client_secret)
        self.http = httpx.Client(
            base_url=base_url, headers={"Authorization": f"Bearer {self.api.access_token}"}
        )
        self.checked: list[str] = []

    def check(self, model_obj: Any, raw: Any, klass: str) -> None:
        assert type(model_obj).__name__ == klass
        assert unknown_keys(raw, klass) == []
        assert outdated_values(model_obj) == []
        assert outdated_values(self.api._ApiClient__deserialize(raw, klass)) == []
        self.checked.append(klass)


@pytest.fixture
def oracle(served: tuple[Emulator, str]) -> Oracle:
    emu, base_url = served
    return Oracle(base_url, emu)


def test_details_query_and_by_id(oracle: Oracle) -> None:
    conversations = sdk.ConversationsApi(oracle.api)
    body = {
        "interval": DAY, "paging": {"pageSize": 100, "pageNumber": 2},
        "aggregations": [{"type": "termFrequency", "dimension": "wrapUpCode", "size": 5},
                         {"type": "numericRange", "metric": "tHandle", "ranges": [{"lt": 60000}, {"gte": 60000}]}],
    }  # fmt: skip
    result = conversations.post_analytics_conversations_details_query(body)
    assert [a.type for a in result.aggregations] == ["termFrequency", "numericRange"]
    raw = oracle.http.post("/api/v2/analytics/conversations/details/query", json=body).json()
    oracle.check(result, raw, "AnalyticsConversationQueryResponse")
    assert len(result.conversations) == 100 and result.total_hits == raw["totalHits"] > 100
    one = conversations.get_analytics_conversation_details(
        raw["conversations"][0]["conversationId"]
    )
    raw_one = oracle.http.get(
        f"/api/v2/analytics/conversations/{one.conversation_id}/details"
    ).json()
    oracle.check(one, raw_one, "AnalyticsConversationWithoutAttributes")


def test_live_conversations_deserialize(oracle: Oracle) -> None:
    body = {
        "interval": "2026-03-04T00:00:00.000Z/2026-03-05T00:00:00.000Z",
        "order": "desc",
        "paging": {"pageSize": 50},
    }
    result = sdk.ConversationsApi(oracle.api).post_analytics_conversations_details_query(body)
    raw = oracle.http.post("/api/v2/analytics/conversations/details/query", json=body).json()
    oracle.check(result, raw, "AnalyticsConversationQueryResponse")
    assert any(c.conversation_end is None for c in result.conversations)


def test_details_job_lifecycle(oracle: Oracle) -> None:
    conversations = sdk.ConversationsApi(oracle.api)
    submitted = conversations.post_analytics_conversations_details_jobs({"interval": DAY})
    status = conversations.get_analytics_conversations_details_job(submitted.job_id)
    oracle.check(
        status,
        oracle.http.get(f"/api/v2/analytics/conversations/details/jobs/{submitted.job_id}").json(),
        "AsyncQueryStatus",
    )
    assert status.state == "FULFILLED"
    page = conversations.get_analytics_conversations_details_job_results(
        submitted.job_id, page_size=200
    )
    raw = oracle.http.get(
        f"/api/v2/analytics/conversations/details/jobs/{submitted.job_id}/results",
        params={"pageSize": 200},
    ).json()
    oracle.check(page, raw, "AnalyticsConversationAsyncQueryResponse")
    assert page.cursor and any(p.attributes for c in page.conversations for p in c.participants)
    availability = conversations.get_analytics_conversations_details_jobs_availability()
    oracle.check(
        availability,
        oracle.http.get("/api/v2/analytics/conversations/details/jobs/availability").json(),
        "DataAvailabilityResponse",
    )
    conversations.delete_analytics_conversations_details_job(submitted.job_id)


def test_aggregates(oracle: Oracle) -> None:
    body = {"interval": DAY, "granularity": "PT1H", "groupBy": ["queueId", "mediaType"],
            "metrics": ["nOffered", "tHandle", "tTalk", "tAbandon", "oServiceLevel", "oServiceTarget", "nTransferred"]}  # fmt: skip
    result = sdk.ConversationsApi(oracle.api).post_analytics_conversations_aggregates_query(body)
    raw = oracle.http.post("/api/v2/analytics/conversations/aggregates/query", json=body).json()
    oracle.check(result, raw, "ConversationAggregateQueryResponse")
    assert len(result.results) > 10


def test_reporting_exports(oracle: Oracle) -> None:
    analytics = sdk.AnalyticsApi(oracle.api)
    body = {"name": "daily", "timeZone": "UTC", "exportFormat": "CSV", "interval": DAY, "period": "P1D",
            "viewType": "AGENT_PERFORMANCE_SUMMARY_VIEW", "filter": {"mediaTypes": ["voice"]}, "locale": "en-US"}  # fmt: skip
    created = analytics.post_analytics_reporting_exports(body)
    listing = analytics.get_analytics_reporting_exports()
    oracle.check(
        listing,
        oracle.http.get("/api/v2/analytics/reporting/exports").json(),
        "ReportingExportJobListing",
    )
    assert listing.entities[0].id == created.id and listing.entities[0].status == "COMPLETED"
    metadata = analytics.get_analytics_reporting_exports_metadata()
    oracle.check(
        metadata,
        oracle.http.get("/api/v2/analytics/reporting/exports/metadata").json(),
        "ReportingExportMetadataJobListing",
    )
    download_id = listing.entities[0].download_url.rsplit("/", 1)[1]
    signed = sdk.DownloadsApi(oracle.api).get_download(download_id, issue_redirect=False)
    oracle.check(
        signed,
        oracle.http.get(f"/api/v2/downloads/{download_id}?issueRedirect=false").json(),
        "UrlResponse",
    )
    csv_text = httpx.get(signed.url).text  # a signed URL: no token
    assert csv_text.splitlines()[0].startswith(
        "Interval Start,Interval End,Agent Id,Agent Name,Media Type,Answer"
    )


def test_divisions(oracle: Oracle) -> None:
    authorization = sdk.AuthorizationApi(oracle.api)
    listing = authorization.get_authorization_divisions()
    raw = oracle.http.get("/api/v2/authorization/divisions").json()
    oracle.check(listing, raw, "AuthzDivisionEntityListing")
    assert len(listing.entities) == 3 and [d.home_division for d in listing.entities] == [
        True,
        False,
        False,
    ]
    permitted = authorization.get_authorization_divisionspermitted_me(
        "analytics:conversationDetail:view"
    )
    raw_permitted = oracle.http.get(
        "/api/v2/authorization/divisionspermitted/me",
        params={"permission": "analytics:conversationDetail:view"},
    ).json()
    for model, item in zip(permitted, raw_permitted, strict=True):
        oracle.check(model, item, "AuthzDivision")
    assert {d.id for d in permitted} == {d.id for d in listing.entities}


def test_lookups(oracle: Oracle) -> None:
    queues = sdk.RoutingApi(oracle.api).get_routing_queues(page_size=5, page_number=2)
    oracle.check(
        queues,
        oracle.http.get("/api/v2/routing/queues", params={"pageSize": 5, "pageNumber": 2}).json(),
        "QueueEntityListing",
    )
    codes = sdk.RoutingApi(oracle.api).get_routing_wrapupcodes(page_size=100)
    oracle.check(
        codes,
        oracle.http.get("/api/v2/routing/wrapupcodes", params={"pageSize": 100}).json(),
        "WrapupCodeEntityListing",
    )
    users = sdk.UsersApi(oracle.api).get_users(page_size=500, state="any")
    oracle.check(
        users,
        oracle.http.get("/api/v2/users", params={"pageSize": 500, "state": "any"}).json(),
        "UserEntityListing",
    )
    assert {u.state for u in users.entities} == {"active", "inactive", "deleted"}
    assert queues.page_number == 2 and queues.next_uri and queues.previous_uri
    queue_id = queues.entities[0].id
    one = sdk.RoutingApi(oracle.api).get_routing_queue(queue_id)
    oracle.check(one, oracle.http.get(f"/api/v2/routing/queues/{queue_id}").json(), "Queue")
    assert one.id == queue_id and one.name == queues.entities[0].name


def test_the_oracle_can_fail() -> None:
    assert unknown_keys({"state": "FULFILLED", "bogus": 1}, "AsyncQueryStatus") == [
        "$.bogus (AsyncQueryStatus)"
    ]
    status = sdk.AsyncQueryStatus()
    status.state = "ALMOST_DONE"
    assert outdated_values(status) == ["$.state"]


AGENT_DAY = "2026-03-02T00:00:00.000Z/2026-03-04T00:00:00.000Z"


def test_user_details_query_and_job(oracle: Oracle) -> None:
    users = sdk.UsersApi(oracle.api)
    body = {"interval": AGENT_DAY, "order": "asc", "paging": {"pageSize": 100, "pageNumber": 3}}
    result = users.post_analytics_users_details_query(body)
    raw = oracle.http.post("/api/v2/analytics/users/details/query", json=body).json()
    oracle.check(result, raw, "AnalyticsUserDetailsQueryResponse")
    records = [
        r
        for d in result.user_details
        for r in (d.primary_presence or []) + (d.routing_status or [])
    ]
    assert records and result.total_hits > 100
    submitted = users.post_analytics_users_details_jobs({"interval": AGENT_DAY})
    status = users.get_analytics_users_details_job(submitted.job_id)
    oracle.check(
        status,
        oracle.http.get(f"/api/v2/analytics/users/details/jobs/{submitted.job_id}").json(),
        "AsyncQueryStatus",
    )
    page = users.get_analytics_users_details_job_results(submitted.job_id, page_size=500)
    raw_page = oracle.http.get(
        f"/api/v2/analytics/users/details/jobs/{submitted.job_id}/results", params={"pageSize": 500}
    ).json()
    oracle.check(page, raw_page, "AnalyticsUserDetailsAsyncQueryResponse")
    assert page.cursor and page.user_details
    availability = users.get_analytics_users_details_jobs_availability()
    oracle.check(
        availability,
        oracle.http.get("/api/v2/analytics/users/details/jobs/availability").json(),
        "DataAvailabilityResponse",
    )


def test_user_aggregates(oracle: Oracle, served: tuple[Emulator, str]) -> None:
    emu, _ = served
    ids = sorted(emu.agents.members)[:20]
    body = {"interval": AGENT_DAY, "granularity": "PT30M", "timeZone": "UTC", "groupBy": ["userId"],
            "metrics": ["tSystemPresence", "tOrganizationPresence", "tAgentRoutingStatus"],
            "filter": {"type": "or", "predicates": [{"dimension": "userId", "value": u} for u in ids]}}  # fmt: skip
    result = sdk.UsersApi(oracle.api).post_analytics_users_aggregates_query(body)
    raw = oracle.http.post("/api/v2/analytics/users/aggregates/query", json=body).json()
    oracle.check(result, raw, "UserAggregateQueryResponse")
    assert len(result.results) == 20 and result.system_to_organization_mappings["ON_QUEUE"]


def test_agent_dims_pack(oracle: Oracle, served: tuple[Emulator, str]) -> None:
    emu, _ = served
    queue_id = emu.backend.org.queues[0].id
    calls = [
        (sdk.PresenceApi(oracle.api).get_presence_definitions, {}, "/api/v2/presence/definitions",
         {}, "OrganizationPresenceDefinitionEntityListing"),
        (lambda **kw: sdk.RoutingApi(oracle.api).get_routing_queue_members(queue_id, **kw), {"page_size": 100},
         f"/api/v2/routing/queues/{queue_id}/members", {"pageSize": 100}, "QueueMemberEntityListing"),
        (sdk.RoutingApi(oracle.api).get_routing_skills, {"page_size": 5}, "/api/v2/routing/skills",
         {"pageSize": 5}, "SkillEntityListing"),
        (sdk.ObjectsApi(oracle.api).get_authorization_divisions, {}, "/api/v2/authorization/divisions",
         {}, "AuthzDivisionEntityListing"),
        (sdk.TeamsApi(oracle.api).get_teams, {"page_size": 3}, "/api/v2/teams", {"pageSize": 3},
         "TeamEntityListing"),
        (sdk.GroupsApi(oracle.api).get_groups, {}, "/api/v2/groups", {}, "GroupEntityListing"),
    ]  # fmt: skip
    for call, kwargs, path, params, klass in calls:
        oracle.check(call(**kwargs), oracle.http.get(path, params=params).json(), klass)
    assert len(oracle.checked) == 6
