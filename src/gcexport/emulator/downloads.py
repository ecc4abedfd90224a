"""Report downloads as the real API serves them (REFERENCE.md §16 item 1).

A finished export's `downloadUrl` is `https://apps.<domain>/platform/api/v2/downloads/<16-hex id>`:
another origin than the API. It needs the bearer token and answers 303 with a signed storage URL.
The same resource on the API host, `GET /api/v2/downloads/{downloadId}` (the SDK's
`DownloadsApi.get_download`), answers 303 too, or 200 `{"url": ...}` with `issueRedirect=false`.
The signed URL is served without a token and refuses one, as signed storage does (S3 answers 400
InvalidArgument to a request carrying both a signature and an Authorization header); it expires.

For the loopback server the "apps" origin of `127.0.0.1` is `localhost` (and the other way round),
so the same server answers on two origins.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from urllib.parse import urlsplit

from gcexport.emulator.backend import Backend
from gcexport.emulator.http import Call, Reply, Routes
from gcexport.emulator.problems import not_found

APPS_PATH = "/platform/api/v2/downloads/"
API_PATH = "/api/v2/downloads/"
STORAGE_PATH = "/emulator-storage/"
SIGNED_SECONDS = 300
_ONE_AUTH = (
    "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query"
    " string parameter or the Authorization header should be specified"
)

Fetch = Callable[[str], bytes | None]
"""The file of a download id, or None when there is no such finished export."""


def apps_origin(base_url: str) -> str:
    """The origin downloads are announced on: `api.` becomes `apps.`; loopback swaps its name."""
    parts = urlsplit(base_url)
    host = parts.hostname or "localhost"
    swapped = {"127.0.0.1": "localhost", "localhost": "127.0.0.1"}.get(host)
    if swapped is None:
        swapped = "apps." + (host[4:] if host.startswith("api.") else host)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme or 'https'}://{swapped}{port}"


def download_url(base_url: str, download_id: str) -> str:
    """The `downloadUrl` a finished export reports."""
    return f"{apps_origin(base_url)}{APPS_PATH}{download_id}"


class Downloads:
    """Redirects from the two authenticated resources to signed, expiring storage URLs."""

    def __init__(self, backend: Backend, fetch: Fetch) -> None:
        self.backend = backend
        self.fetch = fetch
        self._key = hashlib.sha256(f"gcexport-emulator-downloads-{backend.config.seed}".encode())

    def _signature(self, download_id: str, expires_ms: int) -> str:
        message = f"{download_id}:{expires_ms}".encode()
        return hmac.new(self._key.digest(), message, hashlib.sha256).hexdigest()

    def signed_url(self, base_url: str, download_id: str) -> str:
        """A storage URL on `base_url`'s origin, valid for SIGNED_SECONDS of emulator time."""
        expires = self.backend.now_ms() + SIGNED_SECONDS * 1000
        signature = self._signature(download_id, expires)
        return (
            f"{base_url}{STORAGE_PATH}{download_id}.csv?X-Amz-Algorithm=AWS4-HMAC-SHA256"
            f"&X-Amz-Expires={SIGNED_SECONDS}&X-Gc-Expires-Ms={expires}&X-Amz-Signature={signature}"
        )

    def redirect(self, call: Call) -> Reply:
        """The authenticated resource: 303 to the signed URL (or its JSON with issueRedirect=false)."""
        download_id = call.params["downloadId"]
        if self.fetch(download_id) is None:
            raise not_found()
        url = self.signed_url(call.base_url, download_id)
        if call.arg("issueRedirect", "true") == "false":
            return Reply.json({"url": url})
        return Reply(303, b"", {"Location": url})

    def storage(self, call: Call, authorization: str | None) -> Reply:
        """The signed URL itself: no token wanted, signature and expiry checked."""
        if authorization:
            return _s3_error(400, "InvalidArgument", _ONE_AUTH)
        name = call.path[len(STORAGE_PATH) :]
        download_id = name.removesuffix(".csv")
        try:
            expires = int(call.arg("X-Gc-Expires-Ms") or "")
        except ValueError:
            return _s3_error(403, "AccessDenied", "Query-string authentication requires parameters")
        wanted = self._signature(download_id, expires)
        if not hmac.compare_digest(wanted, call.arg("X-Amz-Signature") or ""):
            return _s3_error(403, "SignatureDoesNotMatch", "The request signature does not match")
        if self.backend.now_ms() > expires:
            return _s3_error(403, "AccessDenied", "Request has expired")
        content = self.fetch(download_id)
        if content is None:
            return _s3_error(404, "NoSuchKey", "The specified key does not exist.")
        return Reply(200, content, content_type="text/csv; charset=utf-8")


def _s3_error(status: int, code: str, message: str) -> Reply:
    body = f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{code}</Code><Message>{message}</Message></Error>"
    return Reply(status, body.encode(), content_type="application/xml")


def add_routes(routes: Routes, downloads: Downloads) -> None:
    """The two authenticated download resources (storage is answered before the token gate)."""
    routes.add("GET", APPS_PATH + "{downloadId}", downloads.redirect)
    routes.add("GET", API_PATH + "{downloadId}", downloads.redirect)
