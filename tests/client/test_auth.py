"""Client-credentials auth: one token for many calls, renewal on expiry and on 401, helpful errors."""

from __future__ import annotations

import base64
import threading
from typing import Any

import httpx
import pytest

from gcexport.client import RetryPolicy
from gcexport.clock import FakeClock
from gcexport.errors import AuthError, UnreachableError


def entities(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"entities": [{"id": "q1"}], "pageCount": 1})


def test_token_fetched_once_for_many_calls(make_client: Any, secret: str) -> None:
    client, fake = make_client(entities)
    for _ in range(25):
        client.request("GET", "/api/v2/routing/queues", items_key="entities")
    assert fake.tokens_issued == 1
    token_call = next(r for r in fake.seen if r.url.path == "/oauth/token")
    assert token_call.url.host == "login.mypurecloud.ie"
    assert token_call.content == b"grant_type=client_credentials"
    expected = base64.b64encode(f"my-client:{secret}".encode()).decode()
    assert token_call.headers["authorization"] == f"Basic {expected}"
    api_calls = [r for r in fake.seen if r.url.path != "/oauth/token"]
    assert {r.headers["authorization"] for r in api_calls} == {"Bearer tok-1"}


def test_token_renewed_before_expiry(make_client: Any, clock: FakeClock) -> None:
    client, fake = make_client(entities)
    fake.token_lifetime = 3600
    client.request("GET", "/api/v2/users")
    clock.advance(3600 - 300 - 1)  # inside the renewal margin? not yet (margin = min(300, 10%))
    client.request("GET", "/api/v2/users")
    assert fake.tokens_issued == 1
    clock.advance(2)
    client.request("GET", "/api/v2/users")
    assert fake.tokens_issued == 2
    assert fake.seen[-1].headers["authorization"] == "Bearer tok-2"


def test_revoked_token_renewed_once_and_request_replayed(make_client: Any) -> None:
    revoked = {"tok-1"}

    def api(request: httpx.Request) -> httpx.Response:
        if request.headers["authorization"].removeprefix("Bearer ") in revoked:
            return httpx.Response(
                401, json={"code": "bad.credentials", "message": "Invalid login credentials."}
            )
        return httpx.Response(200, json={"entities": [{"id": "u1"}]})

    client, fake = make_client(api)
    page = client.request("GET", "/api/v2/users", items_key="entities")
    assert page.items == [{"id": "u1"}]
    assert fake.tokens_issued == 2
    assert [r.url.path for r in fake.seen] == [
        "/oauth/token",
        "/api/v2/users",
        "/oauth/token",
        "/api/v2/users",
    ]


def test_persistent_401_is_an_auth_error(make_client: Any) -> None:
    client, fake = make_client(
        lambda r: httpx.Response(
            401, json={"code": "bad.credentials", "message": "Invalid login credentials."}
        )
    )
    with pytest.raises(AuthError) as caught:
        client.request("GET", "/api/v2/users")
    assert fake.tokens_issued == 2  # renewed exactly once
    assert "bad.credentials" in str(caught.value)


@pytest.mark.parametrize(
    ("status", "body", "fragments"),
    [
        (401, {"error": "invalid_client", "description": "bad client"},
         ["401 invalid_client", "login.mypurecloud.ie", "GENESYS_CLIENT_ID", "GENESYS_REGION"]),
        (400, {"error": "invalid_grant"}, ["400 invalid_grant", "GENESYS_CLIENT_SECRET"]),
        (404, {"status": 404, "code": "not.found"}, ["404", "GENESYS_REGION", "GENESYS_LOGIN_URL"]),
    ],
)  # fmt: skip
def test_token_refusal_explains_and_hides_secret(
    make_client: Any, secret: str, status: int, body: dict[str, Any], fragments: list[str]
) -> None:
    client, fake = make_client(entities)
    fake.token_status, fake.token_body = status, body
    with pytest.raises(AuthError) as caught:
        client.request("GET", "/api/v2/users")
    message = str(caught.value)
    for fragment in fragments:
        assert fragment in message
    for text in (message, repr(caught.value), repr(client), str(caught.value.__dict__)):
        assert secret not in text
        assert base64.b64encode(f"my-client:{secret}".encode()).decode() not in text


def test_unreachable_login_host_names_it(make_client: Any, secret: str) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("Name or service not known", request=request)

    client, fake = make_client(entities, retry=RetryPolicy(max_attempts=2, backoff_base=0.1))
    fake.login = refuse
    with pytest.raises(UnreachableError) as caught:  # an unknown host is not retried (#20)
        client.request("GET", "/api/v2/users")
    assert [r.url.path for r in fake.seen] == ["/oauth/token"]
    assert "login.mypurecloud.ie" in str(caught.value)
    assert "GENESYS_REGION" in str(caught.value)
    assert secret not in str(caught.value)


def test_many_threads_share_one_token(make_client: Any) -> None:
    client, fake = make_client(entities)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(10):
                client.request("GET", "/api/v2/routing/queues")
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert fake.tokens_issued == 1
    assert len([r for r in fake.seen if r.url.path == "/api/v2/routing/queues"]) == 80
