"""Lookup entities (REFERENCE.md §8) → `queues`, `users`, `wrapup_codes`, names for the ids.

Known fields become typed columns; everything else of the entity stays, as JSON, in `extra`.
Lookups are snapshots: `partition_date` is the `as_of` date the caller gives (the run's date)::

    queues = flatten_queues(entities, as_of=date(2026, 11, 23))
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from datetime import date, datetime, timezone
from typing import Any

import orjson
import pyarrow as pa

from gcexport.timespan import parse_timestamp
from gcexport.transform.columns import TIMESTAMP
from gcexport.transform.schemas import TAIL

Path = tuple[str, ...]
_MEDIA = ("call", "callback", "chat", "email", "message")
_DIVISION: list[tuple[str, Path, pa.DataType]] = [
    ("division_id", ("division", "id"), pa.string()),
    ("division_name", ("division", "name"), pa.string()),
]
_CHANGES: list[tuple[str, Path, pa.DataType]] = [
    ("date_created", ("dateCreated",), TIMESTAMP),
    ("date_modified", ("dateModified",), TIMESTAMP),
    ("created_by", ("createdBy",), pa.string()),
    ("modified_by", ("modifiedBy",), pa.string()),
]
QUEUE_COLUMNS: list[tuple[str, Path, pa.DataType]] = [
    ("id", ("id",), pa.string()),
    ("name", ("name",), pa.string()),
    *_DIVISION,
    ("description", ("description",), pa.string()),
    *_CHANGES,
    ("member_count", ("memberCount",), pa.int64()),
    ("user_member_count", ("userMemberCount",), pa.int64()),
    ("joined_member_count", ("joinedMemberCount",), pa.int64()),
    ("skill_evaluation_method", ("skillEvaluationMethod",), pa.string()),
    ("scoring_method", ("scoringMethod",), pa.string()),
    ("acw_wrapup_prompt", ("acwSettings", "wrapupPrompt"), pa.string()),
    ("acw_timeout_ms", ("acwSettings", "timeoutMs"), pa.int64()),
    *(
        column
        for media in _MEDIA
        for column in (
            (
                f"{media}_service_level_percentage",
                ("mediaSettings", media, "serviceLevel", "percentage"),
                pa.float64(),
            ),
            (
                f"{media}_service_level_duration_ms",
                ("mediaSettings", media, "serviceLevel", "durationMs"),
                pa.int64(),
            ),
            (
                f"{media}_alerting_timeout_seconds",
                ("mediaSettings", media, "alertingTimeoutSeconds"),
                pa.int64(),
            ),
        )
    ),
]
USER_COLUMNS: list[tuple[str, Path, pa.DataType]] = [
    ("id", ("id",), pa.string()),
    ("name", ("name",), pa.string()),
    *_DIVISION,
    ("email", ("email",), pa.string()),
    ("username", ("username",), pa.string()),
    ("state", ("state",), pa.string()),
    ("title", ("title",), pa.string()),
    ("department", ("department",), pa.string()),
    ("manager_id", ("manager", "id"), pa.string()),
    ("version", ("version",), pa.int64()),
]
WRAPUP_COLUMNS: list[tuple[str, Path, pa.DataType]] = [
    ("id", ("id",), pa.string()),
    ("name", ("name",), pa.string()),
    *_DIVISION,
    ("description", ("description",), pa.string()),
    *_CHANGES,
]


def _schema(columns: list[tuple[str, Path, pa.DataType]]) -> pa.Schema:
    return pa.schema([*(pa.field(name, kind) for name, _, kind in columns), *TAIL])


LOOKUP_SCHEMAS = {
    "queues": _schema(QUEUE_COLUMNS),
    "users": _schema(USER_COLUMNS),
    "wrapup_codes": _schema(WRAPUP_COLUMNS),
}


def flatten_queues(entities: Sequence[dict[str, Any]], *, as_of: date | None = None) -> pa.Table:
    """Queues with division and per-media service-level target (`percentage`, `durationMs`)."""
    return _flatten(entities, QUEUE_COLUMNS, LOOKUP_SCHEMAS["queues"], as_of)


def flatten_users(entities: Sequence[dict[str, Any]], *, as_of: date | None = None) -> pa.Table:
    """Users (agents) with division, email and state (active / inactive / deleted)."""
    return _flatten(entities, USER_COLUMNS, LOOKUP_SCHEMAS["users"], as_of)


def flatten_wrapup_codes(
    entities: Sequence[dict[str, Any]], *, as_of: date | None = None
) -> pa.Table:
    """Wrap-up codes: the names for the `wrap_up_code` ids of segments."""
    return _flatten(entities, WRAPUP_COLUMNS, LOOKUP_SCHEMAS["wrapup_codes"], as_of)


def _flatten(
    entities: Sequence[dict[str, Any]],
    columns: list[tuple[str, Path, pa.DataType]],
    schema: pa.Schema,
    as_of: date | None,
) -> pa.Table:
    rows = [_row(entity, columns, as_of) for entity in entities]
    return pa.Table.from_pydict(
        {f.name: [row.get(f.name) for row in rows] for f in schema}, schema=schema
    )


def _row(
    entity: dict[str, Any], columns: list[tuple[str, Path, pa.DataType]], as_of: date | None
) -> dict[str, Any]:
    rest = copy.deepcopy(entity)
    row: dict[str, Any] = {"partition_date": as_of}
    for name, path, kind in columns:
        value = _pop(rest, path)
        if value is not None and not _fits(value, kind):
            _put(rest, path, value)  # an unexpected shape stays whole in `extra`
            value = None
        row[name] = _timestamp(value) if kind == TIMESTAMP and value is not None else value
    _prune(rest, entity)
    row["extra"] = orjson.dumps(rest).decode() if rest else None
    return row


def _fits(value: Any, kind: pa.DataType) -> bool:
    if kind in (pa.string(), TIMESTAMP):
        return isinstance(value, str) and (kind != TIMESTAMP or _timestamp(value) is not None)
    if kind == pa.int64():
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _timestamp(text: str) -> datetime | None:
    try:
        stamp = parse_timestamp(text)
    except ValueError:
        return None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=timezone.utc)


def _pop(data: dict[str, Any], path: Path) -> Any:
    for key in path[:-1]:
        data = data.get(key)  # type: ignore[assignment]
        if not isinstance(data, dict):
            return None
    return data.pop(path[-1], None)


def _put(data: dict[str, Any], path: Path, value: Any) -> None:
    for key in path[:-1]:
        data = data.setdefault(key, {})
    data[path[-1]] = value


def _prune(data: dict[str, Any], original: dict[str, Any]) -> None:
    """Drop objects emptied by popping their known members (empty ones sent by the API stay)."""
    for key in list(data):
        value, before = data[key], original.get(key)
        if isinstance(value, dict) and isinstance(before, dict):
            _prune(value, before)
            if not value and before:
                del data[key]
