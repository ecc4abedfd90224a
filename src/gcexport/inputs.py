"""Rules for single input values, checked when the settings load (exit 2 before anything is written).

Example::

    check_column_targets({"Avg Handle": "avg_handle_ms"})  # fine
    check_webhook_url("ftp://hooks.example/x")  # ValueError: http:// or https:// only
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlsplit

__all__ = [
    "FIRST_YEAR",
    "LAST_YEAR",
    "RESERVED_COLUMNS",
    "SCHEDULE_NAME",
    "check_column_targets",
    "check_webhook_url",
]

SCHEDULE_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}")
_COLUMN_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
RESERVED_COLUMNS = ("partition_date", "extra")
# Dates the Genesys analytics API can serve (and Python's datetime can widen to whole days).
FIRST_YEAR, LAST_YEAR = 2000, 2099


def check_column_targets(column_map: Mapping[str, str]) -> None:
    """A report `column_map` may only name valid, distinct (ignoring case), unreserved columns."""
    seen: dict[str, str] = {}
    for source, target in column_map.items():
        if not _COLUMN_NAME.fullmatch(target):
            raise ValueError(
                f"column_map target {target!r} (for {source!r}) is not a column name; use "
                "lower-case letters, digits and '_', not starting with a digit"
            )
        if target.lower() in RESERVED_COLUMNS:
            raise ValueError(f"column_map target {target!r} is reserved by gcexport")
        if target.lower() in seen:
            raise ValueError(
                f"column_map maps both {seen[target.lower()]!r} and {source!r} to {target!r}"
            )
        seen[target.lower()] = source


def check_webhook_url(url: str) -> None:
    """ValueError unless `url` is an absolute http(s) URL with a host."""
    try:
        parsed = urlsplit(url)
        host, _ = parsed.hostname, parsed.port  # .port raises ValueError on a bad port
    except ValueError as exc:
        raise ValueError(f"webhook URL is not a URL ({exc})") from None
    if parsed.scheme not in ("http", "https") or not host:
        raise ValueError("webhook URL must be an http:// or https:// URL with a host")
