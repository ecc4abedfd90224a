"""The emulator's own request/reply values and the route table that maps paths to handlers."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from gcexport.emulator.problems import ApiError, bad_request
from gcexport.emulator.wire import dumps, loads


@dataclass
class Call:
    """One API request as routes see it."""

    method: str
    path: str
    query: dict[str, list[str]]
    body: bytes
    token_id: str | None = None
    base_url: str = ""
    params: dict[str, str] = field(default_factory=dict)

    @classmethod
    def build(
        cls, method: str, path: str, query_string: str, body: bytes, base_url: str = ""
    ) -> Call:
        query = parse_qs(query_string, keep_blank_values=True)
        return cls(method.upper(), path.rstrip("/") or "/", query, body, base_url=base_url)

    def arg(self, name: str, default: str | None = None) -> str | None:
        """One query parameter (comma-joined lists stay joined)."""
        values = self.query.get(name)
        return values[-1] if values else default

    def int_arg(self, name: str, default: int) -> int:
        raw = self.arg(name)
        if raw is None or raw == "":
            return default
        try:
            return int(raw)
        except ValueError:
            raise bad_request(f"Invalid value for parameter {name}: {raw}") from None

    def json(self) -> dict[str, Any]:
        """The JSON object body; 400 bad.request when it is not one."""
        try:
            value = loads(self.body or b"")
        except ValueError:
            raise bad_request() from None
        if not isinstance(value, dict):
            raise bad_request()
        return value


@dataclass
class Reply:
    """What a route answers: status, body bytes and extra headers."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"

    @classmethod
    def json(cls, value: Any, status: int = 200) -> Reply:
        return cls(status, dumps(value))


Handler = Callable[[Call], Reply]


class Routes:
    """Ordered (method, path pattern) → handler table; `{name}` segments become params."""

    def __init__(self) -> None:
        self._table: list[tuple[str, re.Pattern[str], Handler]] = []
        self._patterns: list[tuple[str, str]] = []

    def add(self, method: str, pattern: str, handler: Handler) -> None:
        """Register `handler`; a (method, pattern) already registered is refused (ValueError): the
        first one would always answer, so the second could never be reached."""
        if (method, pattern) in self._patterns:
            raise ValueError(f"{method} {pattern} is already registered")
        regex = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern) + "$")
        self._table.append((method, regex, handler))
        self._patterns.append((method, pattern))

    def patterns(self) -> list[tuple[str, str]]:
        """Every registered (method, path pattern), in the order they are tried."""
        return list(self._patterns)

    def resolve(self, call: Call) -> Handler:
        """The handler for `call` (params filled in); 404 not.found for an unknown path."""
        allowed = False
        for method, regex, handler in self._table:
            match = regex.match(call.path)
            if match:
                allowed = True
                if method == call.method:
                    call.params = match.groupdict()
                    return handler
        if allowed:
            raise ApiError(
                405,
                "method.not.allowed",
                f"HTTP method {call.method} is not supported for this resource.",
            )
        raise ApiError(404, "not.found", "The requested resource was not found.")
