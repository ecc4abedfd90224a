"""Several Genesys orgs behind one emulator: each OAuth client id is its own org.

Each client gets an `Emulator` of its own — its own seeded data (the seed derives from the base
seed and the client id), its own tokens and its own rate-limit windows — and a request goes to
the org whose client issued its token (or, for `/oauth/token`, whose client id it names).
`Tenants` answers like one `Emulator` (`respond`, `handle`, `transport`), so `serve` takes it too.

Example::

    orgs = Tenants({"acme-client": "s1", "globex-client": "s2"}, EmulatorConfig(now=NOW))
    orgs.org("acme-client").truth.conversations(start, end)   # acme's ground truth
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
from collections.abc import Mapping

import httpx

from gcexport.emulator.app import TOKEN_PATH, Emulator, Outcome
from gcexport.emulator.backend import ClockLike
from gcexport.emulator.config import EmulatorConfig
from gcexport.emulator.downloads import STORAGE_PATH

__all__ = ["Tenants", "seed_for"]


def seed_for(base_seed: int, client_id: str) -> int:
    """The data seed of the org behind `client_id` (stable across runs and processes)."""
    digest = hashlib.sha256(f"{base_seed}:{client_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big")


class Tenants:
    """One Emulator per client id; requests are routed by their Basic or Bearer credentials."""

    def __init__(
        self,
        clients: Mapping[str, str],
        config: EmulatorConfig | None = None,
        clock: ClockLike | None = None,
    ) -> None:
        if not clients:
            raise ValueError("Tenants needs at least one client id")
        self.config = config or EmulatorConfig()
        self.orgs: dict[str, Emulator] = {
            client_id: Emulator(
                dataclasses.replace(
                    self.config,
                    client_id=client_id,
                    client_secret=secret,
                    seed=seed_for(self.config.seed, client_id),
                ),
                clock,
            )
            for client_id, secret in clients.items()
        }
        self._first = next(iter(self.orgs.values()))
        self.clock = self._first.clock

    def org(self, client_id: str) -> Emulator:
        """The emulator of one client's org."""
        return self.orgs[client_id]

    def transport(self) -> httpx.BaseTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        return self._pick(request.url.path, request.headers).handle(request)

    def respond(
        self,
        method: str,
        path: str,
        query: str,
        headers: Mapping[str, str],
        body: bytes,
        *,
        base_url: str = "",
    ) -> Outcome:
        org = self._pick(path, headers)
        return org.respond(method, path, query, headers, body, base_url=base_url)

    def _pick(self, path: str, headers: Mapping[str, str]) -> Emulator:
        """The org a request belongs to; an unknown client or token goes to the first org,
        which refuses it as the real login and API would (401)."""
        authorization = headers.get("authorization") or ""
        if path == TOKEN_PATH:
            return self.orgs.get(_basic_user(authorization), self._first)
        if path.startswith(STORAGE_PATH):  # a signed download URL: the org holding that file
            download_id = path[len(STORAGE_PATH) :].removesuffix(".csv")
            for org in self.orgs.values():
                if org.downloads.fetch(download_id) is not None:
                    return org
            return self._first
        mono = self.clock.monotonic()
        for org in self.orgs.values():
            if org.tokens.check(authorization, mono) is not None:
                return org
        return self._first


def _basic_user(authorization: str) -> str:
    if not authorization.lower().startswith("basic "):
        return ""
    try:
        return base64.b64decode(authorization[6:].strip()).decode().partition(":")[0]
    except (ValueError, binascii.Error):
        return ""
