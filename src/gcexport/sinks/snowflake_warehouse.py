"""Snowflake through the official connector: Parquet PUT to a stage, COPY INTO, one transaction per partition.

A load first writes the chunks to local Parquet files and PUTs them to a temporary internal stage
(nothing in the warehouse changes yet, so a failing extract leaves it untouched); then, inside one
transaction, it deletes the partition's rows and runs `COPY INTO … MATCH_BY_COLUMN_NAME` with
`ON_ERROR = ABORT_STATEMENT` (a skipped row would be a lost row), checks the COPY result (every file
LOADED, rows loaded = rows sent, no errors) and commits — or rolls back. DDL (CREATE TABLE, ALTER
TABLE ADD COLUMN) runs before the transaction because Snowflake commits implicitly around DDL.

Example::

    wh = SnowflakeWarehouse.from_url("snowflake://LOADER@xy12345/ANALYTICS/GENESYS?warehouse=LOAD")
    wh.replace_partition("segments", date(2026, 11, 20), chunks, schema)
"""

from __future__ import annotations

import logging
import os
import secrets
import tempfile
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from gcexport.errors import ConfigError, CredentialsError, DestinationError, SinkError
from gcexport.extras import import_extra
from gcexport.sinks.formats import conform
from gcexport.sinks.snowflake_target import Secret, SnowflakeTarget
from gcexport.sinks.snowflake_types import snowflake_type
from gcexport.sinks.sql import ORG_COLUMN, PARTITION_COLUMN, quote_ident

__all__ = ["SnowflakeWarehouse"]

log = logging.getLogger(__name__)
LOAD_STAGE = "gcexport_load"  # a temporary internal stage, one per session
ROWS_PER_FILE = 500_000


def _connector() -> Any:
    """The Snowflake driver (lazy: only Snowflake users need it), or ConfigError naming the extra."""
    return import_extra(
        "snowflake.connector", extra="snowflake", purpose="a snowflake:// warehouse"
    )


class SnowflakeWarehouse:
    """A Snowflake schema; the password comes from SNOWFLAKE_PASSWORD and is never shown."""

    def __init__(self, target: SnowflakeTarget, password: str) -> None:
        self.target, self._password = target, Secret(password)
        self._conn: Any = None
        self.rows_per_file = ROWS_PER_FILE

    @classmethod
    def from_url(cls, url: str) -> SnowflakeWarehouse:
        target = SnowflakeTarget.parse(url)
        _connector()  # a missing driver is bad input, named before any statement runs
        password = os.environ.get("SNOWFLAKE_PASSWORD")
        if not password:
            raise CredentialsError(
                "SNOWFLAKE_PASSWORD is not set; the Snowflake password goes there"
            )
        return cls(target, password)

    def __repr__(self) -> str:
        t = self.target
        return f"SnowflakeWarehouse('{t.user}@{t.account}/{t.database}/{t.schema}')"

    # -- connection and statements -------------------------------------------------------------

    def _scrub(self, text: str) -> str:
        secret = self._password.reveal()
        return text.replace(secret, "***") if secret else text

    def _connect(self) -> Any:
        if self._conn is None:
            connector = _connector()
            try:
                self._conn = connector.connect(
                    **self.target.connect_args(), password=self._password.reveal()
                )
            except connector.errors.Error as exc:
                raise DestinationError(
                    f"cannot connect to Snowflake account {self.target.account} as "
                    f"{self.target.user}: {self._scrub(str(exc.msg))}"
                ) from None
            self._sql("create stage", f"CREATE TEMPORARY STAGE IF NOT EXISTS {LOAD_STAGE}")
        return self._conn

    def _sql(self, what: str, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
        """Run one statement and fetch its rows; connector errors become SinkError."""
        log.debug("snowflake %s: %s", what, sql)
        cursor = self._connect().cursor()
        try:
            cursor.execute(sql, params)
            return list(cursor.fetchall()) if cursor.description else []
        except _connector().errors.Error as exc:
            raise SinkError(f"Snowflake {what} failed: {self._scrub(str(exc.msg))}") from None

    def _dicts(self, what: str, sql: str) -> list[dict[str, Any]]:
        """Rows as dicts keyed by lower-case column name (for COPY and PUT results)."""
        log.debug("snowflake %s: %s", what, sql)
        cursor = self._connect().cursor()
        try:
            cursor.execute(sql)
            names = [d.name.lower() for d in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        except _connector().errors.Error as exc:
            raise SinkError(f"Snowflake {what} failed: {self._scrub(str(exc.msg))}") from None

    def check(self) -> None:
        """Connect, then prove we may create a table in the schema (dropped at once)."""
        probe = quote_ident(f"_gcexport_probe_{secrets.token_hex(4)}")
        try:
            self._sql("probe", f"CREATE TEMPORARY TABLE {probe} (x INTEGER)")
            self._sql("probe", f"DROP TABLE {probe}")
        except SinkError as exc:
            raise DestinationError(
                f"{exc} — check the role's privileges on {self.target.schema}"
            ) from None

    # -- loading -------------------------------------------------------------------------------

    org: str | None = None  # set: every replace and count touches this org's rows only

    def _scope(self, partition_date: date | None) -> tuple[str, tuple[Any, ...] | None]:
        """The WHERE clause (and parameters) of one partition, or the whole table, of the org."""
        terms: list[tuple[str, Any]] = []
        if self.org is not None:
            terms.append((f"{quote_ident(ORG_COLUMN)} = %s", self.org))
        if partition_date is not None:
            terms.append((f"{quote_ident(PARTITION_COLUMN)} = %s", partition_date))
        if not terms:
            return "", None
        return "WHERE " + " AND ".join(t for t, _ in terms), tuple(v for _, v in terms)

    def replace_partition(
        self, table: str, partition_date: date, chunks: Iterable[pa.Table], schema: pa.Schema
    ) -> int:
        where, params = self._scope(partition_date)
        return self._replace(table, chunks, schema, where, params)

    def replace_table(self, table: str, chunks: Iterable[pa.Table], schema: pa.Schema) -> int:
        where, params = self._scope(None)  # an org's snapshot replaces that org's rows only
        return self._replace(table, chunks, schema, where, params)

    def append(self, table: str, chunks: Iterable[pa.Table], schema: pa.Schema) -> int:
        """INSERT the rows (COPY), deleting nothing: concurrent writers keep each other's rows."""
        return self._replace(table, chunks, schema, "WHERE 1 = 0", None)

    def _replace(
        self, table: str, chunks: Iterable[pa.Table], schema: pa.Schema, where: str, params: Any
    ) -> int:
        self._ensure_table(table, schema)
        prefix = f"{table}/{secrets.token_hex(8)}"
        with tempfile.TemporaryDirectory(prefix="gcexport-snowflake-") as tmp:
            files = _write_parquet(chunks, schema, Path(tmp), self.rows_per_file)
            for path, _ in files:
                self._put(path, prefix)
        # COPY purges what it loaded; files of a failed load vanish with the temporary stage.
        sent = sum(rows for _, rows in files)
        return self._load(
            table, where, params, f"@{LOAD_STAGE}/{prefix}/", sent, len(files), purge=True
        )

    def replace_partition_from_stage(
        self,
        table: str,
        partition_date: date,
        paths: Sequence[str],
        *,
        rows: int,
        schema: pa.Schema,
    ) -> int:
        """Load Parquet files already on S3 through the named external stage of `?stage=@name`.

        The stage (with its storage integration) is created by an administrator, so no AWS key
        ever appears in SQL; `paths` are relative to the stage's URL, `rows` is what they hold.
        """
        stage = self.target.option("stage")
        if not stage:
            raise ConfigError(
                "loading from S3 needs a named external stage: add ?stage=@name to the URL"
            )
        self._ensure_table(table, schema)
        where, params = self._scope(partition_date)
        listed = ", ".join("'" + p.replace("'", "''") + "'" for p in paths)
        source = f"{stage if stage.startswith('@') else '@' + stage}/ FILES = ({listed})"
        return self._load(table, where, params, source, rows, len(paths))

    def _put(self, path: Path, prefix: str) -> None:
        sql = f"PUT 'file://{path.as_posix()}' @{LOAD_STAGE}/{prefix}/ AUTO_COMPRESS=FALSE OVERWRITE=TRUE"
        for row in self._dicts("PUT", sql):
            if str(row.get("status", "")).upper() != "UPLOADED":
                raise SinkError(
                    f"Snowflake PUT of {path.name} ended {row.get('status')}: {row.get('message')}"
                )

    def _load(
        self,
        table: str,
        where: str,
        params: Any,
        source: str,
        sent: int,
        files: int,
        *,
        purge: bool = False,
    ) -> int:
        """One transaction: delete the old rows, COPY the new ones, check the result, commit."""
        self._sql("begin", "BEGIN")
        try:
            self._sql(f"delete from {table}", f"DELETE FROM {quote_ident(table)} {where}", params)
            if files:
                result = self._dicts(f"COPY INTO {table}", _copy_sql(table, source, purge=purge))
                _check_copy(table, result, sent=sent, files=files)
            self._sql("commit", "COMMIT")
        except BaseException:
            self._rollback()
            raise
        return sent

    def _rollback(self) -> None:
        try:
            self._sql("rollback", "ROLLBACK")
        except SinkError as exc:  # the original error matters more; Snowflake aborts it anyway
            log.warning("%s (the transaction is abandoned and will not commit)", exc)

    def _ensure_table(self, table: str, schema: pa.Schema) -> None:
        """CREATE TABLE from the Arrow schema, or ALTER TABLE ADD the columns it lacks."""
        existing = self._columns(table)
        if not existing:
            columns = ", ".join(f"{quote_ident(f.name)} {snowflake_type(f.type)}" for f in schema)
            self._sql(
                f"create {table}", f"CREATE TABLE IF NOT EXISTS {quote_ident(table)} ({columns})"
            )
            return
        for field in schema:
            if field.name.lower() not in existing:
                self._sql(
                    f"alter {table}",
                    f"ALTER TABLE {quote_ident(table)} ADD COLUMN "
                    f"{quote_ident(field.name)} {snowflake_type(field.type)}",
                )

    def _columns(self, table: str) -> set[str]:
        rows = self._sql(
            "describe",
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = CURRENT_SCHEMA() AND table_name = %s",
            (table,),
        )
        return {str(r[0]).lower() for r in rows}

    def count_rows(self, table: str, partition_date: date | None = None) -> int:
        if not self._columns(table):
            return 0
        where, params = self._scope(partition_date)
        sql = f"SELECT COUNT(*) FROM {quote_ident(table)} {where}".rstrip()
        return int(self._sql("count", sql, params)[0][0])

    def execute(self, sql: str) -> None:
        self._sql("statement", sql)

    def query(self, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
        return self._sql("query", sql, params)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def _copy_sql(table: str, source: str, *, purge: bool) -> str:
    return (
        f"COPY INTO {quote_ident(table)} FROM {source} FILE_FORMAT = (TYPE = PARQUET) "
        "MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE ON_ERROR = ABORT_STATEMENT"
        # FORCE: a re-run deletes the partition and must load its files again, even though
        # Snowflake's load metadata remembers them (it would skip them: "loaded before").
        " FORCE = TRUE" + (" PURGE = TRUE" if purge else "")
    )


def _check_copy(table: str, result: list[dict[str, Any]], *, sent: int, files: int) -> None:
    """SinkError unless every file was LOADED without errors and rows loaded = rows sent."""
    loaded = sum(int(r.get("rows_loaded") or 0) for r in result)
    bad = [
        r for r in result if str(r.get("status", "")).upper() != "LOADED" or r.get("errors_seen")
    ]
    if bad or len(result) != files or loaded != sent:
        first = next((r.get("first_error") for r in bad if r.get("first_error")), None)
        raise SinkError(
            f"COPY INTO {table} loaded {loaded} of {sent} rows from {len(result)} of {files} files"
            + (f"; first error: {first}" if first else "")
        )


def _write_parquet(
    chunks: Iterable[pa.Table], schema: pa.Schema, folder: Path, rows_per_file: int
) -> list[tuple[Path, int]]:
    """Chunks into Parquet files of about `rows_per_file` rows (snappy: every Snowflake reads it)."""
    files: list[tuple[Path, int]] = []
    writer: pq.ParquetWriter | None = None
    try:
        for chunk in chunks:
            if writer is None or files[-1][1] >= rows_per_file:
                if writer is not None:
                    writer.close()
                files.append((folder / f"part-{len(files):05d}.parquet", 0))
                writer = pq.ParquetWriter(files[-1][0], schema, compression="snappy")
            table = conform(chunk, schema)
            writer.write_table(table)
            files[-1] = (files[-1][0], files[-1][1] + table.num_rows)
    except pa.ArrowException as exc:
        raise SinkError(f"could not write Parquet for Snowflake: {exc}") from exc
    finally:
        if writer is not None:
            writer.close()
    return [(path, rows) for path, rows in files if rows]
