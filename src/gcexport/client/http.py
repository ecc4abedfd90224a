"""`GenesysClient`: one thread-safe HTTP client per set of credentials (auth, retries, budget).

Example::

    with GenesysClient(api_url=..., login_url=..., client_id=..., client_secret=SecretStr(...)) as client:
        page = client.request("GET", "/api/v2/routing/queues", params={"pageSize": 500})
        page.items, page.context.correlation_id
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any

import httpx
import orjson
from pydantic import SecretStr

from gcexport.client.auth import ClientCredentialsAuth
from gcexport.client.budget import RequestBudget
from gcexport.client.failures import CORRELATION_HEADER, error_for_response, network_error
from gcexport.client.records import Page, PageContext, RequestRecord, RetryPolicy
from gcexport.client.retry import ENDPOINT_KEY, ONCE_KEY, STATS_KEY, AttemptStats, RetryTransport
from gcexport.clock import Clock, SystemClock
from gcexport.errors import DataError

__all__ = ["GenesysClient"]

_RATELIMIT_PREFIX = "inin-ratelimit-"
_NO_AUTH = httpx.Auth()  # the base flow sends the request unchanged
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_MAX_REDIRECTS = 5


class GenesysClient:
    """Talks to one Genesys org: every request is authenticated, budgeted, retried and recorded.

    `requests_per_minute` is this tool's share of the org's budget, shared by every thread that
    uses this client. `on_request` sees every HTTP attempt (token calls and retries included).
    """

    def __init__(
        self,
        *,
        api_url: str,
        login_url: str,
        client_id: str,
        client_secret: SecretStr,
        transport: httpx.BaseTransport | None = None,
        clock: Clock | None = None,
        retry: RetryPolicy | None = None,
        requests_per_minute: float = 240,
        on_request: Callable[[RequestRecord], None] | None = None,
        timeout: float = 30.0,
        max_connections: int = 16,
        budget: RequestBudget | None = None,
    ) -> None:
        self.clock: Clock = clock or SystemClock()
        # Pass one `budget` to several clients built for the same credentials to share it.
        self.budget = budget or RequestBudget(requests_per_minute, clock=self.clock)
        inner = transport or httpx.HTTPTransport(
            limits=httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=max_connections
            )
        )
        self._auth = ClientCredentialsAuth(
            login_url, client_id, client_secret, clock=self.clock, timeout=timeout, api_url=api_url
        )
        self._http = httpx.Client(
            base_url=api_url.rstrip("/"),
            transport=RetryTransport(
                inner,
                policy=retry or RetryPolicy(),
                budget=self.budget,
                clock=self.clock,
                on_request=on_request,
            ),
            auth=self._auth,
            timeout=timeout,
            headers={"Accept": "application/json"},
        )
        self.api_url = api_url

    @property
    def tokens_fetched(self) -> int:
        """How many access tokens this client has requested so far."""
        return self._auth.fetched

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        endpoint: str | None = None,
        items_key: str | None = None,
        once_if_ambiguous: bool = False,
    ) -> Page:
        """Send one request (retried as needed) and return it as a `Page`; errors raise.

        `endpoint` is the path template for records and errors (defaults to `path`);
        `items_key` names the list in the body that becomes `Page.items`; `once_if_ambiguous`
        sends a POST that must not be repeated blindly only once unless the answer is a 429.
        """
        template = endpoint or path
        content = None if json is None else orjson.dumps(json)
        headers = {"Content-Type": "application/json"} if content is not None else None
        try:
            response = self._http.request(
                method,
                path,
                params=params,
                content=content,
                headers=headers,
                extensions={ENDPOINT_KEY: template, ONCE_KEY: once_if_ambiguous},
            )
        except httpx.TransportError as exc:  # the retry transport translates these; belt and braces
            raise network_error(exc, request=exc.request) from None
        error = error_for_response(response, endpoint=template)
        if error is not None:
            raise error
        return _page(response, template, items_key)

    def download(
        self, url: str, *, endpoint: str, hops: list[tuple[int, str]] | None = None
    ) -> Page:
        """GET a download resource on the API host, then its redirects without the token.

        Report files are served the way the SDK's `DownloadsApi.get_download` fetches them
        (REFERENCE.md §16 item 1): the authenticated resource answers with a redirect to a signed
        storage URL, and a signed URL must get no Authorization header, whatever its host. Only
        a `url` on the API's own origin gets the token. `hops` (if given) receives each
        response's (status, URL) — for `check --deep`.
        """
        target = self._http.base_url.join(url)
        auth = self._auth if self._auth.sends_token_to(target) else _NO_AUTH
        for _ in range(_MAX_REDIRECTS):
            response = self._http.request(
                "GET",
                target,
                auth=auth,
                follow_redirects=False,
                extensions={ENDPOINT_KEY: endpoint},
            )
            location = response.headers.get("location")
            if hops is not None:
                hops.append((response.status_code, str(target)))
            if response.status_code not in _REDIRECTS or not location:
                break
            target, auth = target.join(location), _NO_AUTH
        else:
            raise DataError(f"{endpoint} redirected more than {_MAX_REDIRECTS} times")
        error = error_for_response(response, endpoint=endpoint)
        if error is not None:
            raise error
        return _page(response, endpoint, None)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> GenesysClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"GenesysClient(api_url={self.api_url!r}, budget={self.budget!r})"


def _same_origin(a: httpx.URL, b: httpx.URL) -> bool:
    return (a.scheme, a.host, a.port) == (b.scheme, b.host, b.port)


def _page(response: httpx.Response, endpoint: str, items_key: str | None) -> Page:
    stats = response.extensions.get(STATS_KEY) or AttemptStats(1, 0.0)
    context = PageContext(
        endpoint=endpoint,
        status=response.status_code,
        correlation_id=response.headers.get(CORRELATION_HEADER),
        attempts=stats.attempts,
        waited_s=stats.waited_s,
        bytes=len(response.content),
        ratelimit={
            k: v for k, v in response.headers.items() if k.lower().startswith(_RATELIMIT_PREFIX)
        },
    )
    raw = response.content
    _detach(response)
    # Not parsed here: `Page.items` parses on first use, and the details path never does.
    return Page(raw=raw, context=context, items_key=items_key)


def _detach(response: httpx.Response) -> None:
    """Break the cycle httpx leaves between a read response and its stream wrapper.

    `httpx.Client` wraps `response.stream` in a stream that points back at the response, so a
    response — and its body, megabytes for a details page — is freed only by the cyclic garbage
    collector, long after its page was written: measured, about 20 page bodies (80 MB) alive at
    once in a 100,000-conversation day. The body is read and the stream closed; nothing reads it.
    """
    response.stream = httpx.ByteStream(b"")
