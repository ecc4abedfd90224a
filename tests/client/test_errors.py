"""Table-driven: one response in, the error the client raises (or none) out."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from typing import Any

import httpx
import pytest

from gcexport.client import RetryPolicy
from gcexport.errors import ApiError, AuthError

ENDPOINT = "/api/v2/analytics/conversations/details/query"
CORR = {"inin-correlation-id": "c0ffee00-1111-2222-3333-444455556666"}


def body(status: int, code: str, message: str) -> dict[str, Any]:
    return {"status": status, "code": code, "message": message, "contextId": "ctx"}


CASES: list[tuple[str, int, dict[str, str], Any, AbstractContextManager[Any], list[str]]] = [
    ("ok", 200, CORR, {"conversations": []}, nullcontext(), []),
    ("bad request", 400, CORR, body(400, "bad.request", "Pagination may not exceed 100000 results."),
     pytest.raises(ApiError), ["400", "bad.request", "Pagination may not exceed 100000 results.",
                               "c0ffee00-1111-2222-3333-444455556666", ENDPOINT]),
    ("invalid value", 400, {}, body(400, "invalid.value", "Value [] is not valid for field type [QueryFilterType]."),
     pytest.raises(ApiError), ["invalid.value", "QueryFilterType"]),
    ("forbidden", 403, CORR, body(403, "missing.any.permissions", "You must have at least one of..."),
     pytest.raises(AuthError), ["403", "missing.any.permissions", "permission"]),
    ("not found", 404, CORR, body(404, "not.found", "The requested resource was not found."),
     pytest.raises(ApiError), ["404", "not.found"]),
    ("too large", 413, CORR, body(413, "request.too.large", "over the size limit"),
     pytest.raises(ApiError), ["413"]),
    ("not json", 400, {}, "<html>oops</html>", pytest.raises(ApiError), ["400", "oops"]),
    ("429 forever", 429, {"Retry-After": "1"}, body(429, "too.many.requests", "Rate limit exceeded"),
     pytest.raises(ApiError), [ENDPOINT, "3 attempts", "last status 429"]),
    ("503 forever", 503, {}, body(503, "service.unavailable", "down"),
     pytest.raises(ApiError), [ENDPOINT, "3 attempts", "last status 503"]),
    ("408 forever", 408, {}, body(408, "request.timeout", "slow"),
     pytest.raises(ApiError), ["last status 408"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("status", "headers", "payload", "expectation", "fragments"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_response_maps_to_error(
    make_client: Any,
    status: int,
    headers: dict[str, str],
    payload: Any,
    expectation: AbstractContextManager[Any],
    fragments: list[str],
) -> None:
    def api(request: httpx.Request) -> httpx.Response:
        if isinstance(payload, str):
            return httpx.Response(status, text=payload, headers=headers)
        return httpx.Response(status, json=payload, headers=headers)

    client, _ = make_client(api, retry=RetryPolicy(max_attempts=3, backoff_base=0.1))
    with expectation as caught:
        page = client.request("POST", ENDPOINT, json={"interval": "x"}, items_key="conversations")
        assert page.context.status == 200
        assert page.items == []
    if caught is not None:
        message = str(caught.value)
        for fragment in fragments:
            assert fragment in message
        assert caught.value.endpoint == ENDPOINT


def test_api_error_carries_code_and_correlation_id(make_client: Any) -> None:
    client, _ = make_client(
        lambda r: httpx.Response(
            400, json=body(400, "invalid.date", "Dates must be ISO-8601"), headers=CORR
        )
    )
    with pytest.raises(ApiError) as caught:
        client.request("GET", "/api/v2/routing/queues")
    assert (caught.value.status, caught.value.code) == (400, "invalid.date")
    assert caught.value.correlation_id == CORR["inin-correlation-id"]


def test_non_retryable_error_is_not_retried(make_client: Any, records: list[Any]) -> None:
    client, _ = make_client(lambda r: httpx.Response(404, json=body(404, "not.found", "gone")))
    with pytest.raises(ApiError):
        client.request("GET", "/api/v2/users")
    api_attempts = [r for r in records if r.endpoint == "/api/v2/users"]
    assert [r.status for r in api_attempts] == [404]
    assert api_attempts[0].error is not None and "not.found" in api_attempts[0].error
