"""Client-credentials authentication as an `httpx.Auth` flow (REFERENCE.md §1.2).

The token request travels the same transport as every other request (so it is budgeted,
retried and recorded). The token is cached, renewed a margin before ``expires_in`` runs out,
and renewed once when the API answers 401 — one renewal at a time across threads.

Example::

    auth = ClientCredentialsAuth(login_url, client_id, SecretStr(secret), clock=SystemClock())
    httpx.Client(auth=auth, transport=...)
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Generator
from dataclasses import dataclass

import httpx
import orjson
from pydantic import SecretStr

from gcexport.client.failures import token_error
from gcexport.client.retry import ENDPOINT_KEY
from gcexport.clock import Clock
from gcexport.errors import AuthError
from gcexport.redact import register

__all__ = ["TOKEN_PATH", "ClientCredentialsAuth", "Token", "same_origin"]

TOKEN_PATH = "/oauth/token"
_DEFAULT_PORTS = {"http": 80, "https": 443}


def same_origin(url: httpx.URL, origin: httpx.URL) -> bool:
    """True only when `url` has exactly the scheme, host and port of `origin`.

    The bearer token is sent only where this holds: a URL on another port of the same host, or the
    same host over plain http, is another origin (RFC 6454) and gets no token.

    Example::

        same_origin(httpx.URL("https://api.x/a"), httpx.URL("https://api.x:443"))  # True
        same_origin(httpx.URL("http://api.x/a"), httpx.URL("https://api.x"))  # False
    """
    return _origin(url) == _origin(origin)


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    scheme = url.scheme.lower()
    return scheme, url.host.lower(), url.port or _DEFAULT_PORTS.get(scheme)


@dataclass(frozen=True)
class Token:
    """An access token and the monotonic time it should be renewed at."""

    value: str
    renew_at: float

    def __repr__(self) -> str:
        return f"Token(renew_at={self.renew_at:.0f})"


class ClientCredentialsAuth(httpx.Auth):
    """Bearer auth backed by the client-credentials grant; thread-safe."""

    requires_response_body = True

    def __init__(
        self,
        login_url: str,
        client_id: str,
        client_secret: SecretStr,
        *,
        clock: Clock,
        renew_margin: float = 300.0,
        timeout: float = 30.0,
        api_url: str | None = None,
    ) -> None:
        self._timeout = {"connect": timeout, "read": timeout, "write": timeout, "pool": timeout}
        self._token_url = httpx.URL(login_url.rstrip("/") + TOKEN_PATH)
        # The origin the token is for; None sends it with every request this flow handles.
        self._api_origin = None if api_url is None else httpx.URL(api_url)
        self._client_id = client_id
        self._secret = client_secret
        self._clock = clock
        self._margin = renew_margin
        self._lock = threading.Lock()
        self._token: Token | None = None
        self.fetched = 0

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        if not self.sends_token_to(request.url):
            yield request  # another origin (a signed storage URL): no token, and none fetched
            return
        token = yield from self._valid_token(stale=None)
        request.headers["Authorization"] = f"Bearer {token.value}"
        response = yield request
        if response.status_code == 401:
            # REFERENCE.md §9.3: an expired/revoked token gets 401 bad.credentials; renew once.
            token = yield from self._valid_token(stale=token)
            request.headers["Authorization"] = f"Bearer {token.value}"
            yield request

    def sends_token_to(self, url: httpx.URL) -> bool:
        """Whether a request to `url` carries the bearer token: only on the API's exact origin."""
        return self._api_origin is None or same_origin(url, self._api_origin)

    def _valid_token(
        self, *, stale: Token | None
    ) -> Generator[httpx.Request, httpx.Response, Token]:
        with self._lock:
            current = self._token
            fresh = current is not None and current is not stale
            if fresh and current is not None and self._clock.monotonic() < current.renew_at:
                return current
            response = yield self._token_request()
            self._token = self._parse(response)
            self.fetched += 1
            return self._token

    def _token_request(self) -> httpx.Request:
        pair = f"{self._client_id}:{self._secret.get_secret_value()}".encode()
        basic = base64.b64encode(pair).decode("ascii")
        register([self._secret.get_secret_value(), basic])
        return httpx.Request(
            "POST",
            self._token_url,
            headers={
                "Authorization": "Basic " + basic,
                "Content-Type": "application/x-www-form-urlencoded",
            },
            content=b"grant_type=client_credentials",
            extensions={ENDPOINT_KEY: TOKEN_PATH, "timeout": self._timeout},
        )

    def _parse(self, response: httpx.Response) -> Token:
        if response.status_code != 200:
            raise token_error(response, login_host=self._token_url.host)
        try:
            body = orjson.loads(response.content)
            value = str(body["access_token"])
            lifetime = float(body.get("expires_in", 86400))
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            raise AuthError(
                f"the token endpoint at {self._token_url.host} answered 200 without an access_token"
                " — is GENESYS_LOGIN_URL pointing at a Genesys login host?",
                status=200,
                endpoint=TOKEN_PATH,
            ) from None
        register([value])  # a token echoed by an error or a log line is masked from now on
        margin = min(self._margin, lifetime * 0.1)
        return Token(value=value, renew_at=self._clock.monotonic() + lifetime - margin)

    def __repr__(self) -> str:
        return (
            f"ClientCredentialsAuth(login={self._token_url.host!r}, client_id={self._client_id!r})"
        )
