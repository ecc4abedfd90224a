"""Reporting-export CSVs (REFERENCE.md §7) → typed `report_<view>` tables.

Headers become snake_case column names (then `column_map` renames, by header or by snake name);
blank cells become nulls; each column gets the narrowest type all its values fit: integer,
number, percentage (number, the `%` dropped), boolean, duration `H:MM:SS[.fff]` (int64 ms),
timestamp (naive values are in the export's `time_zone`, stored as UTC), else text::

    table = parse_report_csv(body, view_type="QUEUE_PERFORMANCE_SUMMARY_VIEW",
                             column_map={"Avg Handle": "avg_handle_ms"})
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pyarrow as pa
import pyarrow.compute as pc

from gcexport.errors import ConfigError, DataError
from gcexport.timespan import parse_timestamp
from gcexport.transform.columns import TIMESTAMP

_INT = re.compile(r"^-?\d+$")
_FLOAT = re.compile(r"^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")
_PERCENT = re.compile(r"^-?(\d+\.?\d*|\.\d+)\s*%$")
_BOOL = {"true": True, "false": False}
_DURATION = re.compile(r"^(\d+):([0-5]\d):([0-5]\d)(\.\d{1,3})?$")
_STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def report_table_name(view_type: str) -> str:
    """`QUEUE_PERFORMANCE_SUMMARY_VIEW` → `report_queue_performance_summary_view`."""
    return "report_" + view_type.lower()


def parse_report_csv(
    data: bytes, *, view_type: str, column_map: Mapping[str, str] = {}, time_zone: str = "UTC"
) -> pa.Table:
    """A typed table for one export CSV; ends with `partition_date` (from the first timestamp) and `extra`."""
    del view_type  # names the table (`report_table_name`); the columns come from the CSV itself
    header, rows = _read(data)
    names = _column_names(header, column_map)
    zone = _zone(time_zone)
    columns = {
        name: _typed([row[i] if i < len(row) else "" for row in rows], zone)
        for i, name in enumerate(names)
    }
    stamps = [col for col in columns.values() if col.type == TIMESTAMP]
    columns["partition_date"] = (
        pc.cast(stamps[0], pa.date32()) if stamps else pa.nulls(len(rows), pa.date32())
    )
    columns["extra"] = pa.nulls(len(rows), pa.string())
    return pa.table(columns)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"report time zone {name!r} is not an IANA zone name") from exc


def _read(data: bytes) -> tuple[list[str], list[list[str]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"report export is not UTF-8 text: {exc}") from exc
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    rows = [row for row in csv.reader(io.StringIO(text), delimiter=delimiter) if row]
    if not rows:
        raise DataError("report export is empty: no header row")
    return rows[0], rows[1:]


def snake_header(header: str) -> str:
    """`"Avg Handle"` → `avg_handle`; `"% Abandon"` → `pct_abandon`."""
    name = re.sub(r"[^0-9a-z]+", "_", header.replace("%", " pct ").lower()).strip("_") or "column"
    return "c_" + name if name[0].isdigit() else name


def _column_names(header: list[str], column_map: Mapping[str, str]) -> list[str]:
    names: list[str] = []
    for raw in header:
        name = column_map.get(raw) or column_map.get(snake_header(raw)) or snake_header(raw)
        base, n = name, 2
        while name in names or name in ("partition_date", "extra"):
            name, n = f"{base}_{n}", n + 1
        names.append(name)
    return names


def _typed(values: list[str], zone: ZoneInfo) -> pa.Array:
    cells = [v.strip() or None for v in values]
    present = [v for v in cells if v is not None]
    for matches, convert, kind in _CONVERTERS:
        if present and all(matches(v) for v in present):
            return pa.array([None if v is None else convert(v, zone) for v in cells], kind)
    return pa.array(cells, pa.string())


def _duration_ms(text: str, _: ZoneInfo) -> int:
    match = _DURATION.match(text)
    assert match is not None
    hours, minutes, seconds, fraction = match.groups()
    millis = int((fraction or ".0")[1:].ljust(3, "0"))
    return ((int(hours) * 60 + int(minutes)) * 60 + int(seconds)) * 1000 + millis


def _timestamp(text: str, zone: ZoneInfo) -> datetime:
    stamp = parse_timestamp(text)
    return (stamp if stamp.tzinfo else stamp.replace(tzinfo=zone)).astimezone(timezone.utc)


def _is_timestamp(text: str) -> bool:
    if not _STAMP.match(text):
        return False
    try:
        parse_timestamp(text)
    except ValueError:
        return False
    return True


_CONVERTERS: list[tuple[Callable[[str], Any], Callable[[str, ZoneInfo], Any], pa.DataType]] = [
    (lambda v: bool(_INT.match(v)), lambda v, _: int(v), pa.int64()),
    (lambda v: bool(_FLOAT.match(v)), lambda v, _: float(v), pa.float64()),
    (lambda v: bool(_PERCENT.match(v)), lambda v, _: float(v.rstrip("% ")), pa.float64()),
    (lambda v: v.lower() in _BOOL, lambda v, _: _BOOL[v.lower()], pa.bool_()),
    (lambda v: bool(_DURATION.match(v)), _duration_ms, pa.int64()),
    (_is_timestamp, _timestamp, TIMESTAMP),
]
