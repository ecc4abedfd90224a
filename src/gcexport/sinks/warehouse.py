"""The `Warehouse` contract and `open_warehouse(url)`, which picks DuckDB or Snowflake by URL.

Example::

    wh = open_warehouse("duckdb:///data/gcexport.duckdb")
    wh.replace_partition("segments", date(2026, 11, 20), chunks, schema)
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any, Protocol

import pyarrow as pa

from gcexport.errors import ConfigError
from gcexport.sinks.sql import PARTITION_COLUMN, quote_ident

__all__ = ["PARTITION_COLUMN", "Warehouse", "open_warehouse", "quote_ident"]


class Warehouse(Protocol):
    """A SQL warehouse that replaces whole partitions (or tables) in one transaction; with
    `org` set, only that org's rows (`WHERE org = … AND partition_date = …`)."""

    org: str | None

    def check(self) -> None:
        """Connect and prove we may create and write tables; DestinationError otherwise."""

    def replace_partition(
        self, table: str, partition_date: date, chunks: Iterable[pa.Table], schema: pa.Schema
    ) -> int:
        """Delete the partition's rows and insert `chunks`, atomically; returns rows loaded."""

    def replace_table(self, table: str, chunks: Iterable[pa.Table], schema: pa.Schema) -> int:
        """Replace every row of a snapshot table, atomically; returns rows loaded."""

    def append(self, table: str, chunks: Iterable[pa.Table], schema: pa.Schema) -> int:
        """Insert rows, deleting none (run history: concurrent writers keep every row)."""

    def count_rows(self, table: str, partition_date: date | None = None) -> int:
        """Rows in the table, or in one partition of it (0 if the table does not exist)."""

    def execute(self, sql: str) -> None: ...

    def query(self, sql: str, params: Any = None) -> list[tuple[Any, ...]]: ...

    def close(self) -> None: ...


def open_warehouse(
    url: str, *, lock_wait: float | None = None, org: str | None = None
) -> Warehouse:
    """`duckdb:///path/file.duckdb` or `snowflake://USER@ACCOUNT/DATABASE/SCHEMA?warehouse=W&role=R`.

    `lock_wait`: seconds to wait for another process's lock on a DuckDB file (its default else).
    `org`: replaces and counts touch that org's rows only (`org` column), never another org's.
    """
    warehouse = _open(url, lock_wait)
    warehouse.org = org
    return warehouse


def _open(url: str, lock_wait: float | None) -> Warehouse:
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme == "duckdb":
        from gcexport.sinks.duckdb_warehouse import DuckDBWarehouse

        duck: Warehouse = (
            DuckDBWarehouse.from_url(url)
            if lock_wait is None
            else DuckDBWarehouse.from_url(url, lock_wait=lock_wait)
        )
        return duck
    if scheme == "snowflake":
        from gcexport.sinks.snowflake_warehouse import SnowflakeWarehouse

        snow: Warehouse = SnowflakeWarehouse.from_url(url)
        return snow
    raise ConfigError(
        f"unsupported warehouse URL {url.split('?', 1)[0]!r}; use duckdb:///path/file.duckdb "
        "or snowflake://USER@ACCOUNT/DATABASE/SCHEMA"
    )
