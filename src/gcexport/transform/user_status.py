"""Agent time → tables: `user_presence`, `user_routing_status` (DATASETS.md §1.8) and the long
`user_status_aggregates` (§2.6). Pure: user details and aggregate results in, Arrow tables out.

Ownership: a status record belongs to the UTC window its `startTime` lies in, unclipped (its real
`endTime`, even weeks later). A record still open (no `endTime`) is provisional: `is_open` true,
`end_time` and `duration_ms` null; a later run re-reads its start day and replaces it. The same
record can arrive twice (two stored copies, a user split across pages, a job and a query): rows
are deduplicated by (`user_id`, `start_time`), preferring the closed, then the longer, version.

Example::

    presence, routing = status_tables(details, window, source="query", extracted_at=now)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import orjson
import pyarrow as pa

from gcexport.errors import DataError
from gcexport.models import Interval, parse_instant
from gcexport.transform.columns import TIMESTAMP
from gcexport.transform.schemas import TAIL

__all__ = [
    "PRESENCE_SCHEMA",
    "ROUTING_SCHEMA",
    "USER_AGGREGATES_SCHEMA",
    "aggregate_table",
    "open_start_days",
    "status_rows",
    "status_tables",
]

_SPAN = [
    pa.field("user_id", pa.string()),
    pa.field("start_time", TIMESTAMP),
    pa.field("end_time", TIMESTAMP),
    pa.field("is_open", pa.bool_()),
]
_TRAILER = [
    pa.field("duration_ms", pa.int64()),
    pa.field("source", pa.string()),
    pa.field("extracted_at", TIMESTAMP),
    *TAIL,
]
PRESENCE_SCHEMA = pa.schema(
    [*_SPAN, pa.field("system_presence", pa.string()),
     pa.field("organization_presence_id", pa.string()), *_TRAILER]
)  # fmt: skip
ROUTING_SCHEMA = pa.schema([*_SPAN, pa.field("routing_status", pa.string()), *_TRAILER])
USER_AGGREGATES_SCHEMA = pa.schema(
    [
        pa.field("interval_start", TIMESTAMP),
        pa.field("interval_end", TIMESTAMP),
        pa.field("granularity", pa.string()),
        pa.field("time_zone", pa.string()),
        pa.field("user_id", pa.string()),
        pa.field("metric", pa.string()),
        pa.field("qualifier", pa.string()),
        pa.field("qualifier_system_presence", pa.string()),
        pa.field("sum_ms", pa.int64()),
        pa.field("extracted_at", TIMESTAMP),
        *TAIL,
    ]
)
_MS = timedelta(milliseconds=1)
_PRESENCE_FIELDS = {"startTime", "endTime", "systemPresence", "organizationPresenceId"}
_ROUTING_FIELDS = {"startTime", "endTime", "routingStatus"}


def _row(
    user_id: str, record: Mapping[str, Any], source: str, extracted_at: datetime
) -> dict[str, Any]:
    try:
        start = parse_instant(record["startTime"])
        end = parse_instant(record["endTime"]) if record.get("endTime") else None
    except (KeyError, TypeError, ValueError) as exc:
        raise DataError(
            f"user {user_id}: a status record with a bad startTime/endTime: {exc}"
        ) from None
    return {
        "user_id": user_id, "start_time": start, "end_time": end, "is_open": end is None,
        "duration_ms": None if end is None else (end - start) // _MS,
        "source": source, "extracted_at": extracted_at, "partition_date": start.date(),
    }  # fmt: skip


def _better(new: dict[str, Any], old: dict[str, Any] | None) -> bool:
    if old is None:
        return True
    if old["is_open"] != new["is_open"]:
        return not new["is_open"]
    return bool((new["duration_ms"] or 0) > (old["duration_ms"] or 0))


def _extra(record: Mapping[str, Any], known: set[str]) -> str | None:
    unknown = {k: v for k, v in record.items() if k not in known}
    if not unknown:
        return None
    return orjson.dumps(unknown, option=orjson.OPT_SORT_KEYS).decode()


def status_rows(
    details: Iterable[Mapping[str, Any]], window: Interval, *, source: str, extracted_at: datetime
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(presence rows, routing rows) of the records starting in `window`, one per key."""
    presence: dict[tuple[str, datetime], dict[str, Any]] = {}
    routing: dict[tuple[str, datetime], dict[str, Any]] = {}
    for detail in details:
        user_id = detail.get("userId")
        if not isinstance(user_id, str):
            raise DataError("a user detail without a userId")
        for record in detail.get("primaryPresence") or []:
            row = _row(user_id, record, source, extracted_at)
            row.update(system_presence=record.get("systemPresence"),
                       organization_presence_id=record.get("organizationPresenceId"),
                       extra=_extra(record, _PRESENCE_FIELDS))  # fmt: skip
            _keep(presence, row, window)
        for record in detail.get("routingStatus") or []:
            row = _row(user_id, record, source, extracted_at)
            row.update(
                routing_status=record.get("routingStatus"), extra=_extra(record, _ROUTING_FIELDS)
            )
            _keep(routing, row, window)
    return _sorted(presence), _sorted(routing)


def _keep(
    rows: dict[tuple[str, datetime], dict[str, Any]], row: dict[str, Any], window: Interval
) -> None:
    if not window.contains(row["start_time"]):
        return
    key = (row["user_id"], row["start_time"])
    if _better(row, rows.get(key)):
        rows[key] = row


def _sorted(rows: dict[tuple[str, datetime], dict[str, Any]]) -> list[dict[str, Any]]:
    return [rows[k] for k in sorted(rows)]


def status_tables(
    details: Iterable[Mapping[str, Any]], window: Interval, *, source: str, extracted_at: datetime
) -> tuple[pa.Table, pa.Table]:
    """`user_presence` and `user_routing_status` for the records starting in `window`."""
    presence, routing = status_rows(details, window, source=source, extracted_at=extracted_at)
    return (
        pa.Table.from_pylist(presence, schema=PRESENCE_SCHEMA),
        pa.Table.from_pylist(routing, schema=ROUTING_SCHEMA),
    )


def open_start_days(*tables: pa.Table) -> list[str]:
    """The UTC start days (YYYY-MM-DD) of open records: re-read them until they close."""
    days = {
        row["start_time"].date().isoformat()
        for table in tables
        for row in table.filter(table["is_open"]).select(["start_time"]).to_pylist()
    }
    return sorted(days)


def aggregate_table(
    responses: Sequence[Mapping[str, Any]],
    window: Interval,
    *,
    granularity: str,
    time_zone: str,
    extracted_at: datetime,
) -> pa.Table:
    """The long `user_status_aggregates` table: one row per (bucket, user, metric, qualifier).

    Buckets starting in `window` only; `qualifier_system_presence` decodes an organization
    presence id through the response's `systemToOrganizationMappings`.
    """
    rows: dict[tuple[Any, ...], dict[str, Any]] = {}
    for response in responses:
        to_system = {
            org_id: system
            for system, ids in (response.get("systemToOrganizationMappings") or {}).items()
            for org_id in ids
        }
        for result in response.get("results") or []:
            user_id = (result.get("group") or {}).get("userId")
            for bucket in result.get("data") or []:
                start_text, _, end_text = str(bucket.get("interval")).partition("/")
                start, end = parse_instant(start_text), parse_instant(end_text)
                if not window.contains(start):
                    continue
                for metric in bucket.get("metrics") or []:
                    name, qualifier = metric.get("metric"), metric.get("qualifier")
                    system = to_system.get(qualifier) if name == "tOrganizationPresence" else None
                    rows[(start, user_id, name, qualifier)] = {
                        "interval_start": start, "interval_end": end, "granularity": granularity,
                        "time_zone": time_zone, "user_id": user_id, "metric": name,
                        "qualifier": qualifier, "qualifier_system_presence": system,
                        "sum_ms": int((metric.get("stats") or {}).get("sum") or 0),
                        "extracted_at": extracted_at, "partition_date": start.date(), "extra": None,
                    }  # fmt: skip
    ordered = [rows[k] for k in sorted(rows, key=lambda k: (k[0], str(k[1]), str(k[2]), str(k[3])))]
    return pa.Table.from_pylist(ordered, schema=USER_AGGREGATES_SCHEMA)
