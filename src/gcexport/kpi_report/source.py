"""Where the report reads from: a warehouse opened read-only, with its errors translated.

Example::

    source = open_source("duckdb:///data/gcexport.duckdb")
    try:
        rows = source.query('select count(*) from "queues"')
    finally:
        source.close()
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from gcexport.errors import DestinationError, GcExportError, SinkError

__all__ = ["Source", "duckdb_path", "open_source", "require_tables", "table_names"]

REQUIRED = ("conversation_aggregates",)


class Source(Protocol):
    """Anything that answers SQL with rows: a warehouse, or DuckDB opened read-only."""

    def query(self, sql: str, params: Any = None) -> list[tuple[Any, ...]]: ...

    def close(self) -> None: ...


class ReadOnlyDuckDB:
    """A DuckDB file opened read-only, so a report never creates or locks a warehouse for writing."""

    def __init__(self, path: Path) -> None:
        import duckdb

        self.path = path
        try:
            self._con = duckdb.connect(str(path), read_only=True)
            self._con.execute("SET enable_progress_bar = false")  # never on the report's stdout
        except duckdb.Error as exc:
            raise DestinationError(
                f"cannot open the DuckDB warehouse {path}: {_first_line(exc)}"
            ) from exc

    def __repr__(self) -> str:
        return f"ReadOnlyDuckDB({str(self.path)!r})"

    def query(self, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
        import duckdb

        try:
            return self._con.execute(sql, params).fetchall()
        except duckdb.Error as exc:
            raise SinkError(f"report query failed on {self.path}: {_first_line(exc)}") from exc

    def close(self) -> None:
        self._con.close()


def open_source(warehouse_url: str) -> Source:
    """DuckDB URLs open read-only (the file must exist); other URLs go through `open_warehouse`."""
    if warehouse_url.lower().startswith("duckdb://"):
        return ReadOnlyDuckDB(duckdb_path(warehouse_url))
    from gcexport.sinks import open_warehouse

    return open_warehouse(warehouse_url)


def duckdb_path(url: str) -> Path:
    """The existing DuckDB file a `duckdb://` URL names; DestinationError when it is missing."""
    path = Path(url.split("://", 1)[1].split("?", 1)[0]).expanduser()
    if not path.is_file():
        raise DestinationError(
            f"the warehouse {path} does not exist: run `gcexport export` (or `gcexport demo`) "
            "first, or pass --warehouse"
        )
    return path


def table_names(source: Source) -> set[str]:
    """Lower-cased names of the tables and views in the connection's current schema (a Snowflake
    database's other schemas may hold tables of the same names: another export's)."""
    rows = source.query(
        "select table_name from information_schema.tables where table_schema = current_schema()"
    )
    return {str(row[0]).lower() for row in rows}


def require_tables(source: Source, url: str) -> set[str]:
    """The warehouse's table names; DestinationError when the export's tables are missing."""
    try:
        names = table_names(source)
    except GcExportError as exc:
        raise DestinationError(f"cannot list the tables of {_safe(url)}: {exc}") from exc
    missing = [name for name in REQUIRED if name not in names]
    if missing:
        raise DestinationError(
            f"the warehouse {_safe(url)} has no table {missing[0]}: export the "
            "conversation_aggregates dataset into it first (`gcexport export`)"
        )
    return names


def _safe(url: str) -> str:
    """The URL without its query string (which may carry a role or a token)."""
    return url.split("?", 1)[0]


def _first_line(exc: Exception) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__
