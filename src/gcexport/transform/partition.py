"""Which timestamp decides each table's partition, and splitting a table into UTC-date partitions."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pyarrow.compute as pc

from gcexport.errors import DataError

# Children partition by their conversation's start, so a conversation and all its rows share a
# date folder (ARCHITECTURE.md: "UTC date of conversation start or interval start").
PARTITION_COLUMNS: dict[str, str] = {
    "conversations": "conversation_start",
    "participants": "conversation_start",
    "sessions": "conversation_start",
    "segments": "conversation_start",
    "session_metrics": "conversation_start",
    "participant_attributes": "conversation_start",
    "conversation_aggregates": "interval_start",
    "queue_kpis": "interval_start",
}


def split_by_date(table: pa.Table, *, column: str) -> dict[date, pa.Table]:
    """Split `table` by the UTC date of `column`; each part sorted by it, `partition_date` filled.

    >>> parts = split_by_date(tables["segments"], column="conversation_start")
    """
    if column not in table.column_names:
        raise DataError(f"cannot partition: table has no column {column!r}")
    days = pc.cast(table.column(column), pa.date32())
    if days.null_count:
        raise DataError(f"cannot partition: {days.null_count} rows have no {column}")
    table = _with_partition_date(table, days)
    parts: dict[date, pa.Table] = {}
    for day in pc.unique(days).to_pylist():
        part = table.filter(pc.equal(days, pa.scalar(day, pa.date32())))
        parts[day] = part.sort_by([(column, "ascending")])
    return dict(sorted(parts.items()))


def _with_partition_date(table: pa.Table, days: pa.ChunkedArray) -> pa.Table:
    if "partition_date" in table.column_names:
        index = table.column_names.index("partition_date")
        return table.set_column(index, pa.field("partition_date", pa.date32()), days)
    return table.append_column(pa.field("partition_date", pa.date32()), days)
