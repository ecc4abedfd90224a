"""The `Emulator`: gate (tokens, rate limit, faults) in front of the route table, served as an httpx transport."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from gcexport.emulator import (
    agent_routes,
    aggregates,
    details,
    divisions,
    downloads,
    exports,
    jobs,
    lookups,
)
from gcexport.emulator.backend import Backend, ClockLike
from gcexport.emulator.config import EmulatorConfig
from gcexport.emulator.dataset import end_at, view_at
from gcexport.emulator.gate import FaultPlan, RateLimiter, Tokens
from gcexport.emulator.http import Call, Reply, Routes
from gcexport.emulator.problems import (
    ApiError,
    bad_credentials,
    bad_request,
    server_error,
    too_many_requests,
)
from gcexport.emulator.wire import dumps, to_ms

TOKEN_PATH = "/oauth/token"


@dataclass(frozen=True)
class RequestRecord:
    """One request the emulator saw; `status` is 0 when the connection was dropped."""

    method: str
    path: str
    status: int
    token_id: str | None
    dropped: bool


@dataclass(frozen=True)
class Outcome:
    """How to answer: a reply, or drop the connection; `slow` asks the server to delay first."""

    reply: Reply | None
    slow: bool = False


class Truth:
    """Ground truth for tests and parity checks, read straight from the dataset: the whole org, or
    (`truth.client`) what the API client sees — the same unless mode division-scoped hides the
    divisions its role does not grant.

    Example::

        everything = emu.truth.conversations(start, end)
        exported = emu.truth.client.conversations(start, end)   # what an export can hold
    """

    def __init__(self, backend: Backend, *, divisions: frozenset[str] | None = None) -> None:
        self._backend = backend
        self._divisions = divisions

    @property
    def client(self) -> Truth:
        """The truth as the API client sees it (its permitted divisions only)."""
        return Truth(self._backend, divisions=self._backend.divisions)

    def hidden_divisions(self) -> list[str]:
        """Names of the divisions the client cannot see, in the org's order (none by default)."""
        allowed = self._backend.divisions
        return [
            d["name"]
            for d in self._backend.org.divisions
            if allowed is not None and d["id"] not in allowed
        ]

    def _visible(self, division: dict[str, Any] | None) -> bool:
        return self._divisions is None or (division or {}).get("id") in self._divisions

    def conversations(
        self, start: datetime, end: datetime, *, ended_before: datetime | None = None
    ) -> list[dict[str, Any]]:
        """Conversations with conversationStart in [start, end) as served at emulator-now, with attributes.

        Live ones are truncated at now; `ended_before` keeps only those ended by then (a job's watermark).
        """
        now = self._backend.now_ms()
        cap = to_ms(ended_before) if ended_before else None
        refs = self._backend.dataset.iter_refs(
            to_ms(start), to_ms(end), now, divisions=self._divisions
        )
        return [
            view_at(d, i, now, attributes=True)
            for d, i in refs
            if cap is None or end_at(d, i, now) <= cap
        ]

    def job_conversations(
        self, start: datetime, end: datetime, watermark: datetime
    ) -> list[dict[str, Any]]:
        """What a start-of-day job capped at `watermark` serves for [start, end): the conversations
        that had ended by then, each as it was then (mode long-lived: a conversation re-opened
        since is still the ended one; one that ended after `watermark` is not served)."""
        mark = to_ms(watermark)
        refs = self._backend.dataset.iter_refs(
            to_ms(start), to_ms(end), mark, divisions=self._divisions
        )
        return [view_at(d, i, mark, attributes=True) for d, i in refs if end_at(d, i, mark) <= mark]

    def queues(self) -> list[dict[str, Any]]:
        """The queues `/routing/queues` lists (not the deleted ones; only visible divisions')."""
        return [q.entity() for q in self._backend.org.listed_queues() if self._visible(q.division)]

    def deleted_queues(self) -> list[dict[str, Any]]:
        """Queues deleted since, as they were: conversations and aggregates use them (with their
        service levels), no listing names them."""
        org = self._backend.org
        return [
            q.entity()
            for q in org.queues
            if q.id in org.deleted_queue_ids and self._visible(q.division)
        ]

    def users(self) -> list[dict[str, Any]]:
        """Every user, whatever the state."""
        return [dict(u) for u in self._backend.org.users if self._visible(u["division"])]

    def wrapup_codes(self) -> list[dict[str, Any]]:
        return [dict(w) for w in self._backend.org.wrapups if self._visible(w["division"])]


class Emulator:
    """A Genesys Cloud org in a box: API and login routes, rate limits, seeded faults.

    Example::

        emu = Emulator(EmulatorConfig(seed=1, now=datetime(2026, 3, 2, tzinfo=timezone.utc)))
        client = httpx.Client(transport=emu.transport(), base_url="https://api.example")
    """

    def __init__(
        self, config: EmulatorConfig | None = None, clock: ClockLike | None = None
    ) -> None:
        self.config = config or EmulatorConfig()
        self.backend = Backend(self.config, clock)
        self.clock = self.backend.clock
        self.tokens = Tokens(self.config)
        self.limiter = RateLimiter(self.config.rate_limit)
        self.faults = FaultPlan(self.config)
        self.requests: list[RequestRecord] = []
        self.truth = Truth(self.backend)
        self.jobs = jobs.JobBook(self.backend)
        self.exports = exports.ExportBook(self.backend)
        self.downloads = downloads.Downloads(self.backend, self.exports.file)
        self.routes = Routes()
        self._lock = threading.Lock()
        self._register()

    def _register(self) -> None:
        lookups.add_routes(self.routes, self.backend.org, self.backend.visible)
        jobs.add_routes(self.routes, self.jobs, self.faults.job_fails)
        details.add_routes(self.routes, self.backend)
        aggregates.add_routes(self.routes, self.backend)
        exports.add_routes(self.routes, self.exports)
        downloads.add_routes(self.routes, self.downloads)
        divisions.add_routes(self.routes, self.backend.org, self.config)
        self.agents = agent_routes.add_routes(self.routes, self.backend)

    def revoke_tokens(self) -> None:
        """Invalidate every issued token; their next use gets 401 bad.credentials."""
        self.tokens.revoke_all()

    def transport(self) -> httpx.BaseTransport:
        """An httpx transport serving API and login routes whatever the host name."""
        return _Transport(self)

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer one httpx request in-process (drops raise httpx.RemoteProtocolError)."""
        outcome = self.respond(
            request.method,
            request.url.path,
            request.url.query.decode(),
            request.headers,
            request.read(),
            base_url=f"{request.url.scheme}://{request.url.netloc.decode()}",
        )
        if outcome.slow:
            sleep = getattr(self.clock, "sleep", None)
            if callable(sleep):
                sleep(self.config.slow_seconds)
        if outcome.reply is None:
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            )
        reply = outcome.reply
        headers = (
            {"Content-Type": reply.content_type, **reply.headers}
            if reply.body
            else dict(reply.headers)
        )
        return httpx.Response(reply.status, headers=headers, content=reply.body, request=request)

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
        """The transport-neutral core both the in-process transport and the HTTP server call."""
        call = Call.build(method, path, query, body, base_url)
        fault = self.faults.draw(login=call.path == TOKEN_PATH)
        if fault == "drop":
            self._record(call, 0, dropped=True)
            return Outcome(None)
        mono = self.clock.monotonic()
        reply, count, reset = self._answer(call, headers, fault, mono)
        reply.headers = {
            "ININ-Correlation-Id": str(uuid.uuid4()), "inin-ratelimit-count": str(count),
            "inin-ratelimit-allowed": str(self.config.rate_limit), "inin-ratelimit-reset": str(reset), **reply.headers,
        }  # fmt: skip
        self._record(call, reply.status, dropped=False)
        return Outcome(reply, slow=fault == "slow")

    def _answer(
        self, call: Call, headers: Mapping[str, str], fault: str | None, mono: float
    ) -> tuple[Reply, int, int]:
        if fault == "5xx":
            return _error_reply(server_error(self.faults.server_status())), 0, 60
        if call.path == TOKEN_PATH and call.method == "POST":
            return self.tokens.issue(headers.get("authorization"), call.body, mono), 0, 60
        if call.path.startswith(downloads.STORAGE_PATH):  # signed storage: no token, no API budget
            return self.downloads.storage(call, headers.get("authorization")), 0, 60
        if fault == "revoke":
            self.revoke_tokens()
        token = self.tokens.check(headers.get("authorization"), mono)
        if token is None:
            return _error_reply(bad_credentials()), 0, 60
        call.token_id = token.id
        key = token.id if self.config.rate_limit_key == "token" else self.config.client_id
        admitted, count, reset = self.limiter.admit(key, mono)
        if not admitted:
            return _error_reply(too_many_requests(self.config.rate_limit, reset)), count, reset
        if fault == "429":
            return (
                _error_reply(too_many_requests(self.config.rate_limit, 1 + int(mono) % 3)),
                count,
                reset,
            )
        reply = self._route(call)
        if fault == "accepted_5xx":  # served, then lost at the gateway: the caller cannot tell
            return _error_reply(server_error(self.faults.gateway_status())), count, reset
        return reply, count, reset

    def _route(self, call: Call) -> Reply:
        try:
            return self.routes.resolve(call)(call)
        except ApiError as error:
            return _error_reply(error)
        except (ValueError, TypeError, AttributeError, KeyError):  # a body field of the wrong type
            return _error_reply(bad_request())
        except Exception as error:  # an emulator bug: answer like the service would, but name it
            return _error_reply(
                ApiError(
                    500, "internal.server.error", f"Emulator error: {type(error).__name__}: {error}"
                )
            )

    def _record(self, call: Call, status: int, *, dropped: bool) -> None:
        with self._lock:
            self.requests.append(
                RequestRecord(call.method, call.path, status, call.token_id, dropped)
            )


def _error_reply(error: ApiError) -> Reply:
    return Reply(error.status, dumps(error.body()), dict(error.headers))


class _Transport(httpx.BaseTransport):
    def __init__(self, emulator: Emulator) -> None:
        self._emulator = emulator

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._emulator.handle(request)
