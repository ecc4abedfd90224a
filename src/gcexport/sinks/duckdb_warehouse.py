"""DuckDB, the embedded default warehouse: tables from Arrow schemas, partitions replaced in one transaction.

Example::

    wh = DuckDBWarehouse.from_url("duckdb:///data/gcexport.duckdb")
    rows = wh.replace_partition("segments", date(2026, 11, 20), chunks, schema)
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from gcexport.errors import ConfigError, DestinationError, SinkError
from gcexport.sinks.formats import conform
from gcexport.sinks.sql import PARTITION_COLUMN, quote_ident

__all__ = ["DuckDBWarehouse"]

log = logging.getLogger(__name__)

_VIEW = "_gcexport_chunk"
# Loads stream row groups and spill past this. Measured, 100,000-conversation days loaded from
# Parquet on one thread: 128 -> 64 MB cost +14% load CPU (four days), 64 -> 48 MB +3.5% more (ten),
# and saved about 60 then 18 MB of RSS; with 48 the export peaks under 400 MB at 1,000,000.
MEMORY_LIMIT = "48MB"
# While `lanes` load tables side by side, the limit is this much per lane (two lanes run out of
# memory in 48 MB together). Measured, one 100,000-conversation day's six tables from Parquet:
# one lane 5.6 s; two lanes 3.6 s wall with 2 x 48 MB, 3.65 s and +3% CPU with 2 x 40 MB, which
# peaks 15 MB lower.
LANE_MEMORY_MB = 40


class DuckDBWarehouse:
    """A DuckDB database file (or `:memory:`)."""

    def __init__(self, path: str) -> None:
        self.path = path if path == ":memory:" else str(Path(path).expanduser())
        try:
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            # Bounded memory: DuckDB spills to disk past the limit instead of growing with the
            # volume loaded (its default is 80% of RAM, and loads would keep pages cached). One
            # thread: loads run beside the other days' transforms, and a second DuckDB thread
            # cost more CPU than it saved wall time (measured: 2 x 50,000 conversations, export
            # CPU 19.5 / 19.0 s with two threads, 16.9 / 17.2 s with one).
            self._con = duckdb.connect(
                self.path, config={"memory_limit": MEMORY_LIMIT, "threads": 1}
            )
        except (duckdb.Error, OSError) as exc:
            raise DestinationError(f"cannot open DuckDB database {self.path}: {exc}") from exc

    @classmethod
    def from_url(cls, url: str) -> DuckDBWarehouse:
        # duckdb:///abs/file.duckdb -> /abs/file.duckdb; duckdb://rel/file.duckdb -> rel/file.duckdb
        path = url.split("://", 1)[1].split("?", 1)[0]
        if not path or path == "/":
            raise ConfigError("DuckDB URL needs a file: duckdb:///path/to/file.duckdb")
        return cls(path)

    def __repr__(self) -> str:
        return f"DuckDBWarehouse({self.path!r})"

    def _sql(self, what: str, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
        """Run one statement; duckdb's errors become SinkError naming `what` failed."""
        try:
            return self._con.execute(sql, params).fetchall()
        except duckdb.Error as exc:
            raise SinkError(f"DuckDB {what} failed: {exc}") from exc

    def check(self) -> None:
        try:
            self._con.execute("CREATE TEMP TABLE _gcexport_probe (x INTEGER)")
            self._con.execute("DROP TABLE _gcexport_probe")
        except duckdb.Error as exc:
            raise DestinationError(f"DuckDB database {self.path} is not writable: {exc}") from exc

    def replace_partition(
        self, table: str, partition_date: date, chunks: Iterable[pa.Table], schema: pa.Schema
    ) -> int:
        where = f"WHERE {quote_ident(PARTITION_COLUMN)} = ?"
        stream = _ChunkStream(chunks, schema)
        return self._replace(
            table, schema, where, [partition_date], lambda: self._insert(table, stream)
        )

    def replace_partition_from_parquet(
        self, table: str, partition_date: date, files: Sequence[Path], schema: pa.Schema
    ) -> int:
        """Like `replace_partition`, the rows read by DuckDB from local Parquet `files`.

        DuckDB's own reader scans the files on its threads, with no Python in the loop: cheaper
        than streaming the same rows through Arrow when the partition was just written as Parquet.
        """
        where = f"WHERE {quote_ident(PARTITION_COLUMN)} = ?"
        listed = ", ".join("'" + str(path).replace("'", "''") + "'" for path in files)
        # hive_partitioning off: the files live under `date=YYYY-MM-DD/`, not a column of ours
        source = f"read_parquet([{listed}], hive_partitioning = false)" if files else None

        def insert() -> int:
            if source is None:
                return 0
            sql = f"INSERT INTO {quote_ident(table)} BY NAME SELECT * FROM {source}"
            return int(self._sql(f"insert into {table}", sql)[0][0])

        return self._replace(table, schema, where, [partition_date], insert)

    def replace_table(self, table: str, chunks: Iterable[pa.Table], schema: pa.Schema) -> int:
        stream = _ChunkStream(chunks, schema)
        return self._replace(table, schema, "", [], lambda: self._insert(table, stream))

    def _replace(
        self,
        table: str,
        schema: pa.Schema,
        where: str,
        params: list[Any],
        insert: Callable[[], int],
    ) -> int:
        """One transaction: evolve the table, delete the old rows, `insert` the new ones at once.

        Chunks reach DuckDB as one streaming `RecordBatchReader` scanned by a single `INSERT`
        (files through `read_parquet`), so memory holds about one chunk whatever the size.
        """
        if not self._columns(table):
            self._create(table, schema)
        self._sql("begin", "BEGIN TRANSACTION")
        try:
            self._add_missing_columns(table, schema)
            self._sql(f"delete from {table}", f"DELETE FROM {quote_ident(table)} {where}", params)
            rows = insert()
            self._sql("commit", "COMMIT")
        except BaseException:
            self._rollback()
            raise
        return rows

    def _rollback(self) -> None:
        try:
            self._con.execute("ROLLBACK")
        except duckdb.Error as exc:  # the original error matters more; keep raising that one
            log.warning("DuckDB rollback failed: %s", exc)

    def _insert(self, table: str, stream: _ChunkStream) -> int:
        # No try/finally: after a failed statement DuckDB refuses even unregister until ROLLBACK,
        # and the rollback discards the registration anyway.
        self._con.register(_VIEW, stream.reader())  # replaces the empty one of the schema
        sql = f"INSERT INTO {quote_ident(table)} BY NAME SELECT * FROM {_VIEW}"
        try:
            self._con.execute(sql)
        except duckdb.Error as exc:
            stream.raise_own_error()  # a chunk that did not fit: its SinkError, not DuckDB's wrap
            raise SinkError(f"DuckDB insert into {table} failed: {exc}") from exc
        self._con.unregister(_VIEW)
        return stream.rows

    def _create(self, table: str, schema: pa.Schema) -> None:
        """Create `table` from the Arrow schema, committed on its own.

        Not inside the load's transaction: DuckDB 2.0.0 loses track of rows bulk-inserted (one
        statement of more than a row group, 122,880 rows) into a table created in the same
        transaction — `count(*) … WHERE` and `DELETE … WHERE` then see none of them.
        """
        self._con.register(_VIEW, schema.empty_table())
        sql = f"CREATE TABLE IF NOT EXISTS {quote_ident(table)} AS SELECT * FROM {_VIEW} LIMIT 0"
        self._sql(f"create {table}", sql)
        self._con.unregister(_VIEW)

    def _add_missing_columns(self, table: str, schema: pa.Schema) -> None:
        """ALTER TABLE … ADD COLUMN for every column of `schema` the table lacks."""
        existing = self._columns(table)
        self._con.register(_VIEW, schema.empty_table())  # replaced by _insert's stream
        for name, sql_type, *_ in self._sql("describe", f"DESCRIBE SELECT * FROM {_VIEW}"):
            if name.lower() not in existing:
                alter = (
                    f"ALTER TABLE {quote_ident(table)} ADD COLUMN {quote_ident(name)} {sql_type}"
                )
                self._sql(f"alter {table}", alter)

    def _columns(self, table: str) -> set[str]:
        rows = self._sql(
            "describe",
            "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
            "AND table_schema = current_schema()",
            [table],
        )
        return {str(r[0]).lower() for r in rows}

    def count_rows(self, table: str, partition_date: date | None = None) -> int:
        if not self._columns(table):
            return 0
        sql, params = f"SELECT count(*) FROM {quote_ident(table)}", []
        if partition_date is not None:
            sql, params = f"{sql} WHERE {quote_ident(PARTITION_COLUMN)} = ?", [partition_date]
        return int(self.query(sql, params)[0][0])

    def execute(self, sql: str) -> None:
        self._sql("statement", sql)

    def query(self, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
        return self._sql("query", sql, params)

    @contextlib.contextmanager
    def lanes(self, count: int) -> Iterator[list[DuckDBWarehouse]]:
        """`count` handles on this database, each its own connection (and thread of work), so that
        different tables load at the same time; the memory limit grows with them meanwhile.
        Tables must exist first (`ensure_table`): DuckDB would see concurrent creations conflict.
        """
        handles: list[DuckDBWarehouse] = []
        try:
            self._sql("memory limit", f"SET memory_limit = '{LANE_MEMORY_MB * count}MB'")
            for _ in range(count):
                lane = object.__new__(type(self))
                lane.path, lane._con = self.path, self._con.cursor()
                handles.append(lane)
            yield handles
        finally:
            for lane in handles:
                lane._con.close()
            self._sql("memory limit", f"SET memory_limit = '{MEMORY_LIMIT}'")

    def ensure_table(self, table: str, schema: pa.Schema) -> None:
        """Create `table` from the Arrow schema if it does not exist yet."""
        if not self._columns(table):
            self._create(table, schema)

    def close(self) -> None:
        self._con.close()


class _ChunkStream:
    """Chunks conformed to one schema, as a one-shot Arrow stream; remembers its own failure."""

    def __init__(self, chunks: Iterable[pa.Table], schema: pa.Schema) -> None:
        self.chunks, self.schema = chunks, schema
        self.rows = 0
        self.error: BaseException | None = None

    def reader(self) -> pa.RecordBatchReader:
        return pa.RecordBatchReader.from_batches(self.schema, self._batches())

    def _batches(self) -> Iterator[pa.RecordBatch]:
        try:
            for chunk in self.chunks:
                table = conform(chunk, self.schema)
                self.rows += table.num_rows
                yield from table.to_batches()
        except Exception as exc:
            self.error = exc
            raise

    def raise_own_error(self) -> None:
        """Raise the error the chunks themselves raised while DuckDB read them, if any."""
        if self.error is not None:
            raise self.error
