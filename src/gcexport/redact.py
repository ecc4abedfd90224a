"""Secret redaction: the one function every output of gcexport passes through before it is encoded.

Known secrets (the client secret, warehouse passwords, AWS keys, bearer tokens) are registered as
they become known; `redact` replaces each of them — raw, JSON-escaped, repr-escaped or URL-encoded
— with `***`, and masks what looks like a credential even when it was never registered: a bearer
token and the password of a URL (`scheme://user:password@host`). The
environment variables that carry secrets are read at each call, so a secret is hidden even when
an error happens before the settings could register it.

Example::

    register(["s3cr3t-value"])
    assert redact('login failed: "s3cr3t-value"') == 'login failed: "***"'
    assert redact_data({"error": "Bearer abc.def"}) == {"error": "Bearer ***"}
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import sys
import threading
from collections.abc import Iterable, Iterator
from typing import Any, TextIO
from urllib.parse import quote, quote_plus

__all__ = [
    "MASK",
    "SECRET_ENV_VARS",
    "RedactingStream",
    "Redactor",
    "redact",
    "redact_data",
    "redacting_std_streams",
    "register",
    "variants",
]

MASK = "***"
# The AWS access key id and session token are not here: a presigned link carries both by design,
# and neither is usable without the secret access key, which no link or message ever holds.
SECRET_ENV_VARS = ("GENESYS_CLIENT_SECRET", "SNOWFLAKE_PASSWORD", "AWS_SECRET_ACCESS_KEY")
MIN_SECRET = 4  # shorter values would mask ordinary words; no real credential is this short
_PATTERNS = (
    # `Bearer <token>` in a header echoed by an error or a log line.
    (re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]+"), r"\1" + MASK),
    # The password of a URL: scheme://user:password@host.
    (re.compile(r"(?i)([a-z][a-z0-9+.-]*://[^\s:/@'\"]*:)[^\s@'\"/]+@"), r"\1" + MASK + "@"),
)
_lock = threading.Lock()
_registered: set[str] = set()
_cache: dict[frozenset[str], Redactor] = {}


def variants(secret: str) -> set[str]:
    """The forms a secret takes once quoted or escaped: raw, JSON, repr, URL-encoded."""
    forms = {secret, json.dumps(secret)[1:-1], repr(secret)[1:-1], quote(secret, safe="")}
    forms.add(quote_plus(secret, safe=""))
    forms.add(json.dumps(secret, ensure_ascii=False)[1:-1])
    forms.add(json.dumps(json.dumps(secret)[1:-1])[1:-1])  # JSON inside JSON (a quoted body)
    return {form for form in forms if len(form) >= MIN_SECRET}


def register(secrets: Iterable[str | None]) -> None:
    """Remember secrets for every later `redact` call in this process."""
    with _lock:
        _registered.update(s for s in secrets if s and len(s) >= MIN_SECRET)


class Redactor:
    """Replaces a set of secrets (every quoted and escaped form of each) with `***` in text."""

    def __init__(self, secrets: Iterable[str]) -> None:
        forms = {form for s in secrets if s and len(s) >= MIN_SECRET for form in variants(s)}
        self._forms = sorted(forms, key=len, reverse=True)  # longest first: no partial masking

    def text(self, value: str) -> str:
        for form in self._forms:
            if form in value:
                value = value.replace(form, MASK)
        for pattern, replacement in _PATTERNS:
            value = pattern.sub(replacement, value)
        return value

    def __repr__(self) -> str:
        return f"Redactor({len(self._forms)} forms)"


def _current() -> Redactor:
    with _lock:
        known = set(_registered)
    known.update(os.environ.get(name) or "" for name in SECRET_ENV_VARS)
    key = frozenset(known)
    redactor = _cache.get(key)
    if redactor is None:  # secrets change a few times per run; lines are written thousands
        redactor = _cache[key] = Redactor(known)
    return redactor


def redact(text: str) -> str:
    """`text` with every known secret and every credential-looking value masked."""
    return _current().text(text)


def redact_data(value: Any) -> Any:
    """A copy of a JSON-like value (dicts, lists, strings) with every string redacted."""
    return _redact_with(_current(), value)


def _redact_with(redactor: Redactor, value: Any) -> Any:
    if isinstance(value, str):
        return redactor.text(value)
    if isinstance(value, dict):
        return {
            (redactor.text(k) if isinstance(k, str) else k): _redact_with(redactor, v)
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [_redact_with(redactor, v) for v in value]
    return value


class RedactingStream(io.TextIOBase):
    """A text stream that redacts every write before passing it on (stdout and stderr of the CLI)."""

    def __init__(self, inner: TextIO) -> None:
        super().__init__()
        self.inner = inner

    def write(self, text: str) -> int:
        self.inner.write(redact(text))
        return len(text)

    def flush(self) -> None:
        self.inner.flush()

    def isatty(self) -> bool:
        return self.inner.isatty()

    def fileno(self) -> int:
        return self.inner.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.inner, "encoding", None) or "utf-8"

    def __repr__(self) -> str:
        return f"RedactingStream({self.inner!r})"


@contextlib.contextmanager
def redacting_std_streams() -> Iterator[None]:
    """While inside, everything written to `sys.stdout` and `sys.stderr` is redacted first."""
    saved = sys.stdout, sys.stderr
    sys.stdout = RedactingStream(saved[0])  # type: ignore[assignment]
    sys.stderr = RedactingStream(saved[1])  # type: ignore[assignment]
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved
