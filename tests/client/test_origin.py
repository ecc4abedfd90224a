"""The bearer token goes only to the exact origin (scheme, host, port) of the API it was issued for."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

API = "https://api.mypurecloud.ie"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://api.mypurecloud.ie/x", True),
        ("https://api.mypurecloud.ie:443/x", True),
        ("HTTPS://API.mypurecloud.ie/x", True),
        ("http://api.mypurecloud.ie/x", False),  # https down to http
        ("https://api.mypurecloud.ie:8443/x", False),  # same host, another port
        ("http://api.mypurecloud.ie:443/x", False),
        ("https://storage.example/x", False),
        ("https://api.mypurecloud.ie.evil.example/x", False),
    ],
)
def test_same_origin_compares_scheme_host_and_port(url: str, expected: bool) -> None:
    from gcexport.client.auth import same_origin

    assert same_origin(httpx.URL(url), httpx.URL(API)) is expected


@pytest.mark.parametrize(
    "download_url",
    [
        "https://api.mypurecloud.ie:8443/api/v2/downloads/abc",
        "http://api.mypurecloud.ie/api/v2/downloads/abc",
        "https://storage.example/file.csv?sig=x",
    ],
)
def test_download_to_another_origin_carries_no_token(make_client: Any, download_url: str) -> None:
    seen: list[httpx.Request] = []

    def api(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=b"a,b\n1,2\n")

    client, fake = make_client(api)
    page = client.download(download_url, endpoint="{downloadUrl}")
    assert page.raw == b"a,b\n1,2\n"
    assert [str(r.url) for r in seen] == [download_url]
    assert "authorization" not in seen[0].headers
    assert fake.tokens_issued == 0  # no token was even fetched for a foreign origin


def test_requests_on_the_api_origin_carry_the_token(make_client: Any) -> None:
    seen: list[httpx.Request] = []

    def api(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=b"x")

    client, _ = make_client(api)
    client.download("https://api.mypurecloud.ie:443/api/v2/downloads/abc", endpoint="{d}")
    client.request("GET", "/api/v2/routing/queues")
    assert [r.headers["authorization"] for r in seen] == ["Bearer tok-1", "Bearer tok-1"]


def test_a_redirect_to_another_port_drops_the_token(make_client: Any) -> None:
    seen: list[httpx.Request] = []

    def api(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.port is None:
            return httpx.Response(302, headers={"Location": "https://api.mypurecloud.ie:9443/f"})
        return httpx.Response(200, content=b"done")

    client, _ = make_client(api)
    assert client.download("/api/v2/downloads/abc", endpoint="{d}").raw == b"done"
    assert seen[0].headers["authorization"] == "Bearer tok-1"
    assert "authorization" not in seen[1].headers
