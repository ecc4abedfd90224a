"""The exception tree of gcexport, grouped by what the caller should do next.

::

    GcExportError                 base; every error gcexport raises on purpose
    ├── InputError                fix the input, then run again            (exit 2)
    │   ├── ConfigError           bad config file, flag, env var, date, URL, cron expression
    │   ├── CredentialsError      credentials missing or malformed
    │   ├── QueryValidationError  a request model rejected before any request was sent
    │   ├── DestinationError      an output location is not usable (not writable, foreign)
    │   └── StateError            saved state unreadable (corrupt file): fix or remove it
    ├── TransientError            retry (the retry transport does, within its budget)
    │   ├── RateLimitedError      429 — carries the wait the server asked for
    │   ├── ServerError           408 / 5xx
    │   └── NetworkError          timeouts, refused or dropped connections
    ├── AbortError                stop; retrying will not help                (exit 1)
    │   ├── ApiError              a non-retryable API answer (4xx), or retries exhausted
    │   │   ├── AuthError         the token endpoint refused us, or 401/403 after re-auth
    │   │   └── JobFailedError    an async job ended FAILED / CANCELLED / EXPIRED
    │   ├── SinkError             a destination failed while writing or loading
    │   ├── DataError             a payload we cannot make sense of
    │   └── LockedError           another gcexport run holds the lock on this state
    └── ParityError               rows were lost between API, files and warehouse (exit 3)

Exceptions of httpx, botocore, pyarrow, duckdb and the Snowflake connector are translated into
these where they are raised, so callers never see them raw. Messages never contain secrets: every
message passes through `gcexport.redact.redact` when the error is made.

Example::

    try:
        run_export(settings)
    except GcExportError as exc:
        sys.exit(exc.exit_code)
"""

from __future__ import annotations

from typing import Any

from gcexport.redact import redact

__all__ = [
    "AbortError",
    "ApiError",
    "AuthError",
    "ConfigError",
    "CredentialsError",
    "DataError",
    "DestinationError",
    "GcExportError",
    "InputError",
    "JobFailedError",
    "LockedError",
    "NetworkError",
    "ParityError",
    "QueryValidationError",
    "RateLimitedError",
    "ServerError",
    "SinkError",
    "StateError",
    "TransientError",
    "UnreachableError",
]


class GcExportError(Exception):
    """Base of every error gcexport raises on purpose; `exit_code` is the CLI's exit status."""

    exit_code = 1

    def __init__(self, *args: Any) -> None:
        super().__init__(*(redact(a) if isinstance(a, str) else a for a in args))


class InputError(GcExportError):
    """The input is wrong (config, flag, date, credentials format): fix it and run again."""

    exit_code = 2


class ConfigError(InputError):
    """A configuration value (file, flag, environment) is invalid."""


class CredentialsError(InputError):
    """Credentials are missing or malformed (never includes the secret itself)."""


class QueryValidationError(InputError):
    """A request body failed validation before it was sent."""


class DestinationError(InputError):
    """An output location cannot be used (not writable, holds foreign data, bad URL)."""


class TransientError(GcExportError):
    """A failure that may succeed when retried (the retry transport retries these)."""

    def __init__(self, message: str, *, retry_after: float | None = None, **context: Any) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.context = context


class RateLimitedError(TransientError):
    """HTTP 429: the server asked us to wait `retry_after` seconds."""


class ServerError(TransientError):
    """HTTP 408 or 5xx."""


class NetworkError(TransientError):
    """Timeout, refused or dropped connection."""


class AbortError(GcExportError):
    """A failure that retrying will not fix: the run stops and says what failed."""


class UnreachableError(AbortError):
    """Connection refused, unknown host or TLS failure: retrying cannot help, so none is made."""


class ApiError(AbortError):
    """The API refused a request, or retries were exhausted.

    Carries the HTTP `status`, Genesys's error `code`, and the `correlation_id` to quote to support.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        correlation_id: str | None = None,
        endpoint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.correlation_id = correlation_id
        self.endpoint = endpoint


class AuthError(ApiError):
    """Authentication or authorisation failed (wrong region? wrong secret? missing role?)."""


class JobFailedError(ApiError):
    """An asynchronous job ended FAILED, CANCELLED or EXPIRED; `job_id` names it."""

    def __init__(self, message: str, *, job_id: str, state: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.job_id = job_id
        self.state = state


class SinkError(AbortError):
    """A destination failed while writing, publishing or loading."""


class DataError(AbortError):
    """A payload could not be understood or converted."""


class StateError(InputError):
    """Saved state is unreadable (a corrupt or foreign state file): fix or remove it."""


class LockedError(AbortError):
    """Another gcexport process holds the lock on this state directory or schedule."""


class ParityError(GcExportError):
    """Row counts differ between the API, the files and the warehouse."""

    exit_code = 3

    def __init__(self, message: str, *, mismatches: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.mismatches = mismatches or []
