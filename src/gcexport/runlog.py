"""Run history in the warehouse: `gcexport_runs` (one row per run) and `gcexport_partitions`.

These feed the report's data-quality panel (parity, provisional partitions, drift, requests and
429 waits). Rows are only ever inserted (never a read-modify-write of the day), so two workers
finishing on the same day both keep their rows; with an org, each row carries it (`org`, first).

A run's division findings are stored as its summary says them: `divisions_not_visible` the names of
the divisions the client cannot see as a JSON list (`[]`: it sees them all; null: it could not
tell), `divisions_unknown` why it could not tell (else null). Like `provisional` and `drift`, the
list is JSON text, one VARCHAR in DuckDB and Snowflake alike. A run history written before these
columns existed gains them on the next run (the warehouses add a schema's missing columns; old
rows read null).

Example::

    record_run(warehouse, summary, outcomes, day=date(2026, 11, 23))
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import orjson
import pyarrow as pa

from gcexport.orgs import with_org
from gcexport.timespan import parse_timestamp

__all__ = ["PARTITIONS_SCHEMA", "RUNS_SCHEMA", "record_run"]

TS = pa.timestamp("ms", tz="UTC")
RUNS_SCHEMA = pa.schema(
    [
        ("run_id", pa.string()),
        ("started_at", TS),
        ("finished_at", TS),
        ("status", pa.string()),
        ("datasets", pa.string()),
        ("parity_ok", pa.bool_()),
        ("requests", pa.int64()),
        ("rate_limited", pa.int64()),
        ("waited_s", pa.float64()),
        ("provisional", pa.string()),
        ("drift", pa.string()),
        ("files", pa.int64()),
        ("bytes", pa.int64()),
        ("config_sha256", pa.string()),
        ("partition_date", pa.date32()),
        # added later: a warehouse from before gains them on its next run (ALTER TABLE ADD COLUMN,
        # old rows null), so they stay last
        ("divisions_not_visible", pa.string()),
        ("divisions_unknown", pa.string()),
    ]
)
PARTITIONS_SCHEMA = pa.schema(
    [
        ("run_id", pa.string()),
        ("table_name", pa.string()),
        ("data_date", pa.date32()),
        ("api_rows", pa.int64()),
        ("file_rows", pa.int64()),
        ("warehouse_rows", pa.int64()),
        ("provisional", pa.bool_()),
        ("parity_ok", pa.bool_()),
        ("partition_date", pa.date32()),
    ]
)


def _append(warehouse: Any, table: str, new: pa.Table, org: str | None) -> None:
    """Insert `new` (with the org's column first, for an org); nothing is deleted or rewritten."""
    rows = with_org(new, org)
    warehouse.append(table, [rows], rows.schema)


def _ts(text: str) -> datetime | None:
    return parse_timestamp(text) if text else None


def _json_or_null(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value).decode()


def record_run(
    warehouse: Any, summary: Any, outcomes: Sequence[Any], *, day: date, org: str | None = None
) -> None:
    """Append this run and its partitions to the warehouse's run history."""
    run = {
        "run_id": summary.run_id,
        "started_at": _ts(summary.started_at),
        "finished_at": _ts(summary.finished_at),
        "status": summary.status,
        "datasets": ",".join(summary.datasets),
        "parity_ok": summary.parity_ok,
        "requests": summary.requests,
        "rate_limited": summary.rate_limited,
        "waited_s": summary.waited_s,
        "provisional": orjson.dumps(summary.provisional).decode(),
        "drift": orjson.dumps(summary.drift).decode(),
        "files": summary.files,
        "bytes": summary.bytes,
        "config_sha256": summary.config_sha256,
        "partition_date": day,
        "divisions_not_visible": _json_or_null(summary.divisions_not_visible),
        "divisions_unknown": summary.divisions_unknown,
    }
    _append(warehouse, "gcexport_runs", pa.Table.from_pylist([run], schema=RUNS_SCHEMA), org)
    parts = [
        {
            "run_id": summary.run_id,
            "table_name": o.table,
            "data_date": o.day,
            "api_rows": o.api_rows,
            "file_rows": o.file_rows,
            "warehouse_rows": o.warehouse_rows,
            "provisional": o.provisional,
            "parity_ok": o.api_rows == o.file_rows and o.warehouse_rows in (None, o.api_rows),
            "partition_date": day,
        }
        for o in outcomes
    ]
    _append(
        warehouse, "gcexport_partitions", pa.Table.from_pylist(parts, schema=PARTITIONS_SCHEMA), org
    )
