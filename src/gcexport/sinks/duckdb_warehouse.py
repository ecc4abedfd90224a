"""DuckDB, the embedded default warehouse: tables from Arrow schemas, partitions replaced in one transaction.

Example::

    wh = DuckDBWarehouse.from_url("duckdb:///data/gcexport.duckdb")
    rows = wh.replace_partition("segments", date(2026, 11, 20), chunks, schema)
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from gcexport.errors import ConfigError, DestinationError, LockedError, SinkError
from gcexport.sinks.formats import conform
from gcexport.sinks.sql import ORG_COLUMN, PARTITION_COLUMN, quote_ident

__all__ = ["DuckDBWarehouse", "lock_holder"]

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
DEFAULT_LOCK_WAIT = 60.0  # seconds an export waits for another process's lock on the file
LOCK_POLL_SECONDS = 0.5


class DuckDBWarehouse:
    """A DuckDB database file (or `:memory:`); with `org` set, every replace, count and append
    touches that org's rows only (`WHERE org = ? AND partition_date = ?`)."""

    org: str | None = None

    def _scope(self, partition_date: date | None) -> tuple[str, list[Any]]:
        """The WHERE clause (and its parameters) of one partition — or the whole table — of
        this warehouse's org."""
        terms: list[tuple[str, Any]] = []
        if self.org is not None:
            terms.append((f"{quote_ident(ORG_COLUMN)} = ?", self.org))
        if partition_date is not None:
            terms.append((f"{quote_ident(PARTITION_COLUMN)} = ?", partition_date))
        if not terms:
            return "", []
        return "WHERE " + " AND ".join(t for t, _ in terms), [v for _, v in terms]

    def __init__(self, path: str, *, lock_wait: float = DEFAULT_LOCK_WAIT) -> None:
        self.path = path if path == ":memory:" else str(Path(path).expanduser())
        self.lock_wait = lock_wait
        self._conn: duckdb.DuckDBPyConnection | None = None
        self._holds = 0
        self._hold_lock = threading.Lock()
        self._open()

    @property
    def _con(self) -> duckdb.DuckDBPyConnection:
        """The connection, opened again on demand after `release()`."""
        if self._conn is None:
            self._open()
        assert self._conn is not None
        return self._conn

    @_con.setter
    def _con(self, value: duckdb.DuckDBPyConnection) -> None:
        self._conn = value

    def _open(self) -> None:
        """Connect, waiting up to `lock_wait` seconds while another process holds the file."""
        created = self.path != ":memory:" and not Path(self.path).exists()
        if self.path != ":memory:":
            try:
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DestinationError(f"cannot open DuckDB database {self.path}: {exc}") from exc
        deadline = time.monotonic() + self.lock_wait
        while True:
            try:
                # Bounded memory: DuckDB spills to disk past the limit instead of growing with
                # the volume loaded (its default is 80% of RAM). One thread: loads run beside
                # the other days' transforms, and a second DuckDB thread cost more CPU than it
                # saved wall time (measured: 2 x 50,000 conversations, export CPU 19.5 / 19.0 s
                # with two threads, 16.9 / 17.2 s with one).
                # The limit is set once open: replaying a WAL left by an earlier connection may
                # need more (DuckDB 1.5 failed to open a small export's file at 48 MB).
                # No progress bar: DuckDB draws one on stdout for a load over two seconds, into
                # `--json`'s output (seen with one warehouse lane, 5 x 100,000 conversations).
                self._conn = duckdb.connect(self.path, config={"threads": 1})
                self._conn.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
                self._conn.execute("SET enable_progress_bar = false")
                return
            except (duckdb.Error, OSError) as exc:
                if isinstance(exc, duckdb.Error) and "Could not write" in str(exc):  # disk full
                    if created:  # a torn new file would stop the next run from opening it
                        for leftover in (Path(self.path), Path(self.path + ".wal")):
                            with contextlib.suppress(OSError):
                                leftover.unlink()
                    raise SinkError(f"cannot open DuckDB database {self.path}: {exc}") from exc
                holder = lock_holder(exc)
                if holder is None:
                    raise DestinationError(
                        f"cannot open DuckDB database {self.path}: {exc}"
                    ) from exc
                if time.monotonic() >= deadline:
                    raise LockedError(
                        f"DuckDB database {self.path} is in use by {holder}; waited "
                        f"{self.lock_wait:.0f}s — close that session or raise "
                        "export.warehouse_lock_wait."
                    ) from None
                time.sleep(LOCK_POLL_SECONDS)

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """Hold the database file open (and locked) for the work inside; the last holder to
        leave closes it, so other processes (an analyst, `gcexport report`) can open it between
        loads."""
        with self._hold_lock:
            if self._conn is None:
                self._open()
            self._holds += 1
        try:
            yield
        finally:
            with self._hold_lock:
                self._holds -= 1
                if self._holds == 0 and self._conn is not None and self.path != ":memory:":
                    self._conn.close()
                    self._conn = None

    def release(self) -> None:
        """Close the file until the next `held()` (nothing happens for `:memory:`)."""
        with self._hold_lock:
            if self._holds == 0 and self._conn is not None and self.path != ":memory:":
                self._conn.close()
                self._conn = None

    @classmethod
    def from_url(cls, url: str, *, lock_wait: float = DEFAULT_LOCK_WAIT) -> DuckDBWarehouse:
        # duckdb:///abs/file.duckdb -> /abs/file.duckdb; duckdb://rel/file.duckdb -> rel/file.duckdb
        path = url.split("://", 1)[1].split("?", 1)[0]
        if not path or path == "/":
            raise ConfigError("DuckDB URL needs a file: duckdb:///path/to/file.duckdb")
        return cls(path, lock_wait=lock_wait)

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
        where, params = self._scope(partition_date)
        stream = _ChunkStream(chunks, schema)
        return self._replace(table, schema, where, params, lambda: self._insert(table, stream))

    def replace_partition_from_parquet(
        self, table: str, partition_date: date, files: Sequence[Path], schema: pa.Schema
    ) -> int:
        """Like `replace_partition`, the rows read by DuckDB from local Parquet `files`.

        DuckDB's own reader scans the files on its threads, with no Python in the loop: cheaper
        than streaming the same rows through Arrow when the partition was just written as Parquet.
        """
        where, params = self._scope(partition_date)
        listed = ", ".join("'" + str(path).replace("'", "''") + "'" for path in files)
        # hive_partitioning off: the files live under `date=YYYY-MM-DD/`, not a column of ours
        source = f"read_parquet([{listed}], hive_partitioning = false)" if files else None

        def insert() -> int:
            if source is None:
                return 0
            sql = f"INSERT INTO {quote_ident(table)} BY NAME SELECT * FROM {source}"
            return int(self._sql(f"insert into {table}", sql)[0][0])

        return self._replace(table, schema, where, params, insert)

    def replace_table(self, table: str, chunks: Iterable[pa.Table], schema: pa.Schema) -> int:
        where, params = self._scope(None)  # an org's snapshot replaces that org's rows only
        stream = _ChunkStream(chunks, schema)
        return self._replace(table, schema, where, params, lambda: self._insert(table, stream))

    def append(self, table: str, chunks: Iterable[pa.Table], schema: pa.Schema) -> int:
        """INSERT the rows, deleting nothing: concurrent writers never lose each other's rows."""
        stream = _ChunkStream(chunks, schema)
        return self._replace(table, schema, "WHERE false", [], lambda: self._insert(table, stream))

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
            if "no transaction is active" in str(exc):
                return  # a failed COMMIT (a full disk) has already rolled back: nothing to say
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
        where, params = self._scope(partition_date)
        return int(self.query(f"SELECT count(*) FROM {quote_ident(table)} {where}", params)[0][0])

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
                lane.path, lane._conn, lane.org = self.path, self._con.cursor(), self.org
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
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def lock_holder(exc: BaseException) -> str | None:
    """Who holds the DuckDB file, from DuckDB's lock error ("Conflicting lock is held in
    /usr/bin/python3 (PID 4242) by user ana"); None when `exc` is not a lock conflict."""
    text = str(exc)
    if not re.search(r"\block\b", text, re.IGNORECASE):  # "could not allocate block" is not one
        return None
    match = re.search(r"held in (.+?) \(PID (\d+)\)(?: by user (\S+))?", text)
    if match is None:
        return "another process"
    program, pid, user = match.groups()
    return f"PID {pid} ({Path(program).name}{', user ' + user.rstrip('.') if user else ''})"


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
