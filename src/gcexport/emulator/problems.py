"""Genesys-shaped error responses (ErrorBody, REFERENCE.md §9.3) and the exception routes raise to send one."""

from __future__ import annotations

import uuid
from typing import Any

MALFORMED = "The request could not be understood by the server due to malformed syntax."


class ApiError(Exception):
    """Raised inside a route; the dispatcher turns it into an ErrorBody response."""

    def __init__(
        self, status: int, code: str, message: str, *, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        """The ErrorBody: message, code, status, contextId, details [], errors [] (§11.4)."""
        return {
            "message": self.message, "code": self.code, "status": self.status,
            "contextId": str(uuid.uuid4()), "details": [], "errors": [],
        }  # fmt: skip


def bad_request(message: str = MALFORMED) -> ApiError:
    return ApiError(400, "bad.request", message)


def invalid_value(value: object, field_type: str, allowed: tuple[str, ...] | list[str]) -> ApiError:
    """The real `invalid.value` message: "Value [x] is not valid for field type [T]. Allowable values are: a, b"."""
    shown = "" if value is None else value
    return ApiError(
        400,
        "invalid.value",
        f"Value [{shown}] is not valid for field type [{field_type}]. Allowable values are: {', '.join(allowed)}",
    )


def not_found() -> ApiError:
    return ApiError(404, "not.found", "The requested resource was not found.")


def missing_permissions(*names: str) -> ApiError:
    """403: the client's role lacks a permission the route needs (REFERENCE.md §9.3)."""
    return ApiError(
        403,
        "missing.any.permissions",
        "You are not authorized to perform the requested action. You must have at least one of"
        f" the following permissions assigned: {', '.join(names)}",
    )


def bad_credentials() -> ApiError:
    return ApiError(401, "bad.credentials", "Invalid login credentials.")


def too_many_requests(limit: int, retry_after: int) -> ApiError:
    return ApiError(
        429, "too.many.requests", f"Rate limit exceeded the maximum [{limit}] requests within [60] seconds",
        headers={"Retry-After": str(retry_after)},
    )  # fmt: skip


SERVER_ERRORS = {
    500: (
        "internal.server.error",
        "The server encountered an unexpected condition which prevented it from fulfilling the request.",
    ),
    502: ("bad.gateway", "The server received an invalid response from an upstream server."),
    503: (
        "service.unavailable",
        "Service Unavailable - The server is currently unavailable (because it is overloaded or down for maintenance).",
    ),
    504: ("request.timeout", "The request timed out."),
}


def server_error(status: int) -> ApiError:
    code, message = SERVER_ERRORS[status]
    return ApiError(status, code, message)
