"""`gcexport sql`: one SQL statement over the DuckDB warehouse, opened read-only, printed as text.

The DuckDB command-line tool is not installed with gcexport (and a 1.x CLI cannot open a file
written by DuckDB 2.x), so this is the way to look into the warehouse on a fresh machine.

Example::

    columns, rows = query_warehouse("duckdb:///data/gcexport.duckdb", "select 1 as one")
    print(format_rows(columns, rows, fmt="csv"))
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from gcexport.errors import ConfigError, GcExportError
from gcexport.kpi_report.source import duckdb_path

if TYPE_CHECKING:
    from gcexport.config import Settings

__all__ = ["FORMATS", "format_rows", "query_warehouse", "run_sql_command"]

FORMATS = ("table", "csv", "json")


def query_warehouse(warehouse_url: str, query: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run `query`, exactly one statement, on the DuckDB file of `warehouse_url` read-only; column
    names and rows."""
    if not warehouse_url.lower().startswith("duckdb://"):
        raise ConfigError(
            f"gcexport sql reads DuckDB warehouses (duckdb:///path/file.duckdb), not "
            f"{warehouse_url.split('://', 1)[0]}://; query Snowflake with its own tools"
        )
    import duckdb

    path = duckdb_path(warehouse_url)
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            # DuckDB draws a progress bar on stdout for a query over two seconds: into the CSV
            # or JSON printed there.
            con.execute("SET enable_progress_bar = false")
            _require_one_statement(len(con.extract_statements(query)))
            cursor = con.execute(query)
            columns = [str(d[0]) for d in cursor.description or []]
            rows = cursor.fetchall() if columns else []
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(f"the query failed on {path}: {first}") from exc
    return columns, rows


def _require_one_statement(count: int) -> None:
    """ConfigError unless the text holds exactly one statement (DuckDB runs them all, shows the last)."""
    if count == 0:
        raise ConfigError(
            'gcexport sql needs one SQL statement and was given none, e.g. "select * from queue_kpis"'
        )
    if count > 1:
        raise ConfigError(
            f"gcexport sql runs one SQL statement at a time and was given {count}; "
            "run each on its own"
        )


def format_rows(columns: Sequence[str], rows: Sequence[Sequence[Any]], *, fmt: str) -> str:
    """The rows as an aligned text table, CSV with a header, or a JSON array of objects."""
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([[_text(v) for v in row] for row in rows])
        return buffer.getvalue()
    if fmt == "json":
        objects = [dict(zip(columns, row, strict=True)) for row in rows]
        return json.dumps(objects, default=_text, ensure_ascii=False, indent=1) + "\n"
    return _table(columns, rows)


def run_sql_command(settings: Settings, query: str, *, fmt: str) -> int:
    """The CLI's `gcexport sql`: print the result; one sentence on stderr and exit 2 when bad."""
    try:
        if fmt not in FORMATS:
            raise ConfigError(f"unknown --format {fmt!r}; choose table, csv or json")
        url = settings.export.warehouse_url()
        if url is None:
            raise ConfigError("no warehouse to query: pass --warehouse duckdb:///path/file.duckdb")
        columns, rows = query_warehouse(url, query)
    except GcExportError as exc:
        print(f"gcexport: error: {exc}", file=sys.stderr)
        return exc.exit_code
    sys.stdout.write(format_rows(columns, rows, fmt=fmt))
    return 0


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value)


def _table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[_text(v) for v in row] for row in rows]
    right = [
        all(isinstance(row[i], (int, float, Decimal)) or row[i] is None for row in rows)
        for i in range(len(columns))
    ]
    widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]

    def line(values: Sequence[str]) -> str:
        parts = [
            v.rjust(w) if r else v.ljust(w) for v, w, r in zip(values, widths, right, strict=True)
        ]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    footer = f"({len(rows)} row{'s' if len(rows) != 1 else ''})"
    return "\n".join([line(columns), rule, *(line(r) for r in cells), footer]) + "\n"
