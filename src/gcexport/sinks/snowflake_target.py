"""The snowflake:// URL parsed into connection settings, and the `Secret` that keeps the password hidden.

Example::

    target = SnowflakeTarget.parse("snowflake://LOADER@xy12345/ANALYTICS/GENESYS?warehouse=LOAD")
    snowflake.connector.connect(**target.connect_args(), password=secret.reveal())
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

from gcexport.errors import ConfigError

__all__ = ["Secret", "SnowflakeTarget"]

_OPTIONS = ("warehouse", "role", "host", "port", "protocol", "stage", "login_timeout")


@dataclass(frozen=True)
class SnowflakeTarget:
    """Where to connect, parsed from a snowflake:// URL; holds no password."""

    user: str
    account: str
    database: str
    schema: str
    options: tuple[tuple[str, str], ...] = ()

    @classmethod
    def parse(cls, url: str) -> SnowflakeTarget:
        parsed = urlparse(url)
        parts = [unquote(p) for p in parsed.path.strip("/").split("/") if p]
        if parsed.password is not None:
            raise ConfigError("put the Snowflake password in SNOWFLAKE_PASSWORD, not in the URL")
        if not parsed.username or not parsed.hostname or len(parts) != 2:
            raise ConfigError(
                "Snowflake URL must look like snowflake://USER@ACCOUNT/DATABASE/SCHEMA?warehouse=W&role=R"
            )
        query = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
        unknown = sorted(set(query) - set(_OPTIONS))
        if unknown:
            raise ConfigError(f"unknown Snowflake URL option(s) {', '.join(unknown)}")
        for name in ("port", "login_timeout"):
            if name in query:
                _integer(name, query[name])
        account = url.split("@", 1)[1].split("/", 1)[0]  # urlparse lowercases the host
        return cls(
            unquote(parsed.username), account, parts[0], parts[1], tuple(sorted(query.items()))
        )

    def option(self, name: str) -> str | None:
        return dict(self.options).get(name)

    def connect_args(self) -> dict[str, Any]:
        """Keyword arguments for snowflake.connector.connect, without the password."""
        args: dict[str, Any] = {
            "user": self.user,
            "account": self.account,
            "database": self.database,
            "schema": self.schema,
            "session_parameters": {"CLIENT_OUT_OF_BAND_TELEMETRY_ENABLED": False},
        }
        for name in ("warehouse", "role", "host", "protocol"):
            if value := self.option(name):
                args[name] = value
        for name in ("port", "login_timeout"):
            if value := self.option(name):
                args[name] = _integer(name, value)
        return args


def _integer(name: str, value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ConfigError(f"Snowflake URL option {name} must be a whole number") from None


class Secret:
    """A value that never shows in a repr, str or vars() dump."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__
