"""Destinations: date-partitioned files (local disk, S3), DuckDB and Snowflake, and row parity.

Example::

    sink = open_file_sink("./gcexport-data", fmt="parquet")
    with sink.open_partition("segments", day, run_id=run_id) as writer:
        writer.write(table)
    wh = open_warehouse("duckdb:///data/gcexport.duckdb")
    wh.replace_partition("segments", day, [table], table.schema)
    check_parity(api=api_counts, files=file_counts, warehouse=wh_counts).raise_for_mismatch()
"""

from __future__ import annotations

from gcexport.sinks.files import (
    FileRecord,
    FileSink,
    PartitionResult,
    PartitionWriter,
    open_file_sink,
)
from gcexport.sinks.formats import write_table_bytes
from gcexport.sinks.parity import ParityReport, ParityRow, check_parity
from gcexport.sinks.warehouse import Warehouse, open_warehouse

__all__ = [
    "FileRecord",
    "FileSink",
    "ParityReport",
    "ParityRow",
    "PartitionResult",
    "PartitionWriter",
    "Warehouse",
    "check_parity",
    "open_file_sink",
    "open_warehouse",
    "write_table_bytes",
]
