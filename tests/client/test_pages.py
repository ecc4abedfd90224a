"""Pages carry their context; downloads keep the bearer token on the API host."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from gcexport.errors import DataError


def test_page_context_names_correlation_rate_limits_and_attempts(make_client: Any) -> None:
    calls = {"n": 0}

    def api(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if calls["n"] == 1:
            return httpx.Response(503, json={"code": "service.unavailable"})
        headers = {"ININ-Correlation-Id": "corr-9", "inin-ratelimit-allowed": "300",
                   "inin-ratelimit-count": "12", "inin-ratelimit-reset": "44"}  # fmt: skip
        return httpx.Response(200, json={"entities": [{"id": "a"}, {"id": "b"}]}, headers=headers)

    client, _ = make_client(api)
    page = client.request("GET", "/api/v2/routing/queues", items_key="entities")
    assert page.items == [{"id": "a"}, {"id": "b"}]
    ctx = page.context
    assert (ctx.endpoint, ctx.status, ctx.correlation_id, ctx.attempts) == (
        "/api/v2/routing/queues",
        200,
        "corr-9",
        2,
    )
    assert ctx.ratelimit == {
        "inin-ratelimit-allowed": "300",
        "inin-ratelimit-count": "12",
        "inin-ratelimit-reset": "44",
    }
    assert ctx.bytes == len(page.raw) and page.json()["entities"][0]["id"] == "a"
    assert ctx.waited_s > 0


def test_download_sends_token_only_to_the_api_host(make_client: Any) -> None:
    seen: list[httpx.Request] = []

    def api(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.host == "api.mypurecloud.ie":
            return httpx.Response(
                303, headers={"Location": "https://storage.example/file.csv?sig=x"}
            )
        return httpx.Response(200, content=b"a,b\n1,2\n")

    client, _ = make_client(api)
    page = client.download("/api/v2/downloads/abc", endpoint="{downloadUrl}")
    assert page.raw == b"a,b\n1,2\n"
    assert [r.url.host for r in seen] == ["api.mypurecloud.ie", "storage.example"]
    assert seen[0].headers["authorization"].startswith("Bearer ")
    assert "authorization" not in seen[1].headers


def test_a_read_response_is_freed_with_its_page_not_by_the_cyclic_collector(
    make_client: Any,
) -> None:
    import gc
    import weakref

    body = b'{"conversations":[' + b",".join([b'{"conversationId":"c"}'] * 50_000) + b"]}"
    served: list[weakref.ref[httpx.Response]] = []

    def api(request: httpx.Request) -> httpx.Response:
        response = httpx.Response(200, content=body)
        served.append(weakref.ref(response))
        return response

    client, _ = make_client(api)
    gc.collect()
    gc.disable()  # only reference counting may free it
    try:
        page = client.request("POST", "/api/v2/analytics/conversations/details/query", json={})
        assert page.raw == body
        del page
        assert len(served) == 1
        assert served[0]() is None  # httpx's response <-> stream cycle was broken
    finally:
        gc.enable()
        client.close()


def test_download_drops_the_token_on_a_redirect_even_to_the_api_origin(make_client: Any) -> None:
    seen: list[httpx.Request] = []

    def api(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/api/v2/downloads/abc":
            signed = "https://api.mypurecloud.ie/storage/abc.csv?X-Amz-Signature=x"
            return httpx.Response(307, headers={"Location": signed})
        if "authorization" in request.headers:  # signed storage refuses a second auth mechanism
            return httpx.Response(400, content=b"<Error><Code>InvalidArgument</Code></Error>")
        return httpx.Response(200, content=b"a,b\n1,2\n")

    client, _ = make_client(api)
    page = client.download("/api/v2/downloads/abc", endpoint="/api/v2/downloads/{downloadId}")
    assert page.raw == b"a,b\n1,2\n"
    assert [r.url.path for r in seen] == ["/api/v2/downloads/abc", "/storage/abc.csv"]
    assert seen[0].headers["authorization"].startswith("Bearer ")


def test_download_gives_no_token_to_another_origin_and_bounds_redirects(make_client: Any) -> None:
    seen: list[httpx.Request] = []

    def api(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(302, headers={"Location": f"/hop/{len(seen)}"})

    client, _ = make_client(api)
    with pytest.raises(DataError, match="redirected more than 5 times"):
        client.download("https://apps.mypurecloud.ie/platform/api/v2/downloads/abc", endpoint="x")
    assert len(seen) == 5 and all("authorization" not in r.headers for r in seen)
