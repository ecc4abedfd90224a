"""What stands before every route: bearer tokens, the per-token rate limit and the seeded fault plan."""

from __future__ import annotations

import base64
import binascii
import random
import secrets
import threading
from collections import deque
from dataclasses import dataclass
from urllib.parse import parse_qs

from gcexport.emulator.config import EmulatorConfig
from gcexport.emulator.http import Reply
from gcexport.emulator.wire import dumps


@dataclass
class Token:
    """An issued access token: its public id (for records) and when it expires (monotonic)."""

    id: str
    expires_mono: float


class Tokens:
    """Client-credentials tokens (REFERENCE.md §1.2): issue on Basic auth, check, revoke."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self._tokens: dict[str, Token] = {}
        self._lock = threading.Lock()
        self._count = 0

    def issue(self, authorization: str | None, form: bytes, mono: float) -> Reply:
        """POST /oauth/token: 200 token, or the OAuth-style error body."""
        grant = parse_qs(form.decode("utf-8", "replace")).get("grant_type", [""])[-1]
        if grant != "client_credentials":
            return _oauth_error(
                400, "unsupported_grant_type", "Only the client_credentials grant is supported."
            )
        if not self._basic_ok(authorization):
            return _oauth_error(401, "invalid_client", "client id or secret is not valid")
        value = secrets.token_urlsafe(64)[:86]
        with self._lock:
            self._count += 1
            self._tokens[value] = Token(f"token-{self._count}", mono + self.config.token_lifetime)
        body = {
            "access_token": value,
            "token_type": "bearer",
            "expires_in": max(self.config.token_lifetime - 1, 1),
        }
        return Reply(200, dumps(body))

    def _basic_ok(self, authorization: str | None) -> bool:
        if not authorization or not authorization.lower().startswith("basic "):
            return False
        try:
            user, _, password = base64.b64decode(authorization[6:].strip()).decode().partition(":")
        except (ValueError, binascii.Error):
            return False
        return secrets.compare_digest(user, self.config.client_id) and secrets.compare_digest(
            password, self.config.client_secret
        )

    def check(self, authorization: str | None, mono: float) -> Token | None:
        """The live token named by a `Bearer` header, else None."""
        if not authorization or not authorization.lower().startswith("bearer "):
            return None
        with self._lock:
            token = self._tokens.get(authorization[7:].strip())
        return token if token is not None and mono < token.expires_mono else None

    def revoke_all(self) -> None:
        with self._lock:
            self._tokens.clear()


def _oauth_error(status: int, error: str, description: str) -> Reply:
    return Reply(
        status,
        dumps({"error": error, "description": description, "error_description": description}),
    )


class RateLimiter:
    """Sliding 60-second window per token on the monotonic clock (REFERENCE.md §9.1)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._windows: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def admit(self, key: str, mono: float) -> tuple[bool, int, int]:
        """(admitted, count in window, seconds until the oldest request leaves it)."""
        with self._lock:
            window = self._windows.setdefault(key, deque())
            while window and window[0] <= mono - 60:
                window.popleft()
            reset = int(60 - (mono - window[0])) + 1 if window else 60
            if self.limit and len(window) >= self.limit:
                return False, len(window), max(reset, 1)
            window.append(mono)
            return True, len(window), reset


class FaultPlan:
    """Seeded per-request fault draws; a sequential client sees the same faults every run."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.spec = config.fault_spec
        self._rng = random.Random(f"faults-{config.seed}")
        self._job_rng = random.Random(f"job-faults-{config.seed}")
        self._lock = threading.Lock()

    def draw(self, *, login: bool) -> str | None:
        """The fault for the next request, if any; /oauth/token only ever gets 5xx or drop."""
        if not self.spec:
            return None
        with self._lock:
            draw = self._rng.random()
        for kind in ("429", "5xx", "drop", "slow", "revoke", "accepted_5xx"):
            draw -= self.spec.rate(kind)
            if draw < 0:
                return kind if not login or kind in ("5xx", "drop") else None
        return None

    def server_status(self) -> int:
        with self._lock:
            return self._rng.choice((500, 502, 503, 504))

    def gateway_status(self) -> int:
        """A gateway's answer to a request the platform behind it did serve (§16 item 7)."""
        with self._lock:
            return self._rng.choice((502, 503, 504))

    def job_fails(self) -> bool:
        if not self.spec.rate("job_fail"):
            return False
        with self._lock:
            return self._job_rng.random() < self.spec.rate("job_fail")
