"""The one place that turns a Genesys response (or a dead connection) into a gcexport error.

Example::

    error = error_for_response(response, endpoint="/api/v2/routing/queues")
    if error is not None:
        raise error
"""

from __future__ import annotations

import socket
import ssl
from typing import Any

import httpx
import orjson

from gcexport.errors import (
    ApiError,
    AuthError,
    GcExportError,
    NetworkError,
    RateLimitedError,
    ServerError,
    TransientError,
    UnreachableError,
)

__all__ = [
    "CORRELATION_HEADER",
    "error_for_response",
    "network_error",
    "parse_seconds",
    "token_error",
    "unreachable",
]

CORRELATION_HEADER = "inin-correlation-id"  # REFERENCE.md §2 (header names are case-insensitive)


def parse_seconds(value: str | None) -> float | None:
    """A non-negative number of seconds from a header value, or None if absent/garbled."""
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


def _body(response: httpx.Response) -> dict[str, Any]:
    try:
        parsed = orjson.loads(response.content) if response.content else {}
    except orjson.JSONDecodeError:
        return {"message": response.text[:200]}
    return parsed if isinstance(parsed, dict) else {}


def error_for_response(response: httpx.Response, *, endpoint: str) -> GcExportError | None:
    """The error a response stands for (None for 2xx/3xx), following REFERENCE.md §9.

    429 -> RateLimitedError (with Retry-After, else inin-ratelimit-reset); 408/5xx ->
    ServerError; 401/403 -> AuthError; other 4xx -> ApiError with Genesys's message, code
    and correlation id.
    """
    status = response.status_code
    if status < 400:
        return None
    body = _body(response)
    code = body.get("code") if isinstance(body.get("code"), str) else None
    message = str(body.get("message") or response.reason_phrase or "no message")
    correlation = response.headers.get(CORRELATION_HEADER)
    where = f"{response.request.method} {endpoint}"
    text = f"{where} -> {status} {code or ''}: {message} (correlation id {correlation})".replace(
        "  ", " "
    )
    if status == 429:
        wait = parse_seconds(response.headers.get("retry-after"))
        if wait is None:
            wait = parse_seconds(response.headers.get("inin-ratelimit-reset"))
        return RateLimitedError(text, retry_after=wait, status=status, correlation_id=correlation)
    if status == 408 or status >= 500:
        return ServerError(text, status=status, correlation_id=correlation)
    kind = AuthError if status in (401, 403) else ApiError
    hint = _auth_hint(status, code)
    return kind(
        text + hint, status=status, code=code, correlation_id=correlation, endpoint=endpoint
    )


def _auth_hint(status: int, code: str | None) -> str:
    if status == 403:
        return (
            " — the OAuth client's role lacks a permission this endpoint needs (REFERENCE.md §13)"
        )
    if status == 401:
        return " — the access token was refused even after renewing it"
    return ""


def token_error(response: httpx.Response, *, login_host: str) -> AuthError:
    """Explain a refused client-credentials token request; never includes the secret."""
    body = _body(response)
    reason = str(body.get("error") or body.get("code") or response.status_code)
    detail = str(
        body.get("error_description") or body.get("description") or body.get("message") or ""
    )
    if response.status_code == 404:
        advice = "no token endpoint there — check GENESYS_REGION / GENESYS_LOGIN_URL"
    elif response.status_code in (400, 401, 403):
        advice = "check GENESYS_CLIENT_ID / GENESYS_CLIENT_SECRET and that GENESYS_REGION is the org's region"
    else:
        advice = "the login service failed; try again later"
    text = (
        f"Genesys refused the client credentials ({response.status_code} {reason}) at {login_host}"
    )
    text += f": {detail}" if detail else ""
    return AuthError(
        f"{text} — {advice}",
        status=response.status_code,
        code=reason,
        correlation_id=response.headers.get(CORRELATION_HEADER),
        endpoint="/oauth/token",
    )


def unreachable(exc: httpx.TransportError, *, request: httpx.Request) -> UnreachableError | None:
    """Connection refused, an unknown host or a TLS failure: retrying cannot help, so the run
    stops at once with one sentence naming the host (None for anything worth retrying)."""
    if not isinstance(exc, httpx.ConnectError):
        return None
    reason = _unreachable_reason(exc)
    if reason is None:
        return None
    host = request.url.host + (f":{request.url.port}" if request.url.port else "")
    return UnreachableError(
        f"Cannot reach {host}: {reason} — check GENESYS_REGION / GENESYS_API_URL / "
        "GENESYS_LOGIN_URL and the network."
    )


def _unreachable_reason(exc: BaseException) -> str | None:
    seen: set[int] = set()
    node: BaseException | None = exc
    while node is not None and id(node) not in seen:
        seen.add(id(node))
        if isinstance(node, ssl.SSLError):
            return f"TLS failed ({getattr(node, 'reason', None) or node})"
        if isinstance(node, socket.gaierror):
            return "unknown host (DNS lookup failed)"
        if isinstance(node, ConnectionRefusedError):
            return "connection refused"
        node = node.__cause__ or node.__context__
    text = str(exc).lower()
    for needle, reason in (
        ("connection refused", "connection refused"),
        ("name or service not known", "unknown host (DNS lookup failed)"),
        ("nodename nor servname", "unknown host (DNS lookup failed)"),
        ("name resolution", "unknown host (DNS lookup failed)"),
        ("certificate verify failed", "TLS failed (certificate verify failed)"),
        ("[ssl", "TLS failed"),
    ):
        if needle in text:
            return reason
    return None


def network_error(exc: httpx.TransportError, *, request: httpx.Request) -> NetworkError:
    """A timeout, refused or dropped connection, naming the host it happened with."""
    kind = type(exc).__name__
    return NetworkError(f"{request.method} {request.url.host}{request.url.path}: {kind}: {exc}")


def exhausted(
    last: GcExportError, *, endpoint: str, attempts: int, waited: float, host: str, token: bool
) -> ApiError:
    """The error raised when retries ran out, naming the endpoint, attempts and last failure."""
    status = (
        last.context.get("status") if isinstance(last, RateLimitedError | ServerError) else None
    )
    correlation = last.context.get("correlation_id") if isinstance(last, TransientError) else None
    summary = (
        f"last status {status}, correlation id {correlation}" if status else f"last error: {last}"
    )
    text = f"{endpoint} failed after {attempts} attempts and {waited:.1f}s of waiting ({summary})"
    if token:
        return AuthError(
            f"could not get a token from {host}: {text} — check GENESYS_REGION / GENESYS_LOGIN_URL",
            status=status,
            endpoint=endpoint,
        )
    return ApiError(text, status=status, endpoint=endpoint, correlation_id=correlation)
