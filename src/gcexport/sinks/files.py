"""Date-partitioned files (`<out>/<table>/date=YYYY-MM-DD/…`) published atomically, with manifests.

Example::

    sink = open_file_sink("./gcexport-data", fmt="parquet")
    with sink.open_partition("segments", date(2026, 11, 20), run_id="20261123T051700Z-ab12") as w:
        w.write(table)
    assert sink.count_rows("segments", date(2026, 11, 20)) == table.num_rows
"""

from __future__ import annotations

import gzip
import secrets
import tempfile
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlparse

import orjson
import pyarrow as pa

from gcexport.errors import ConfigError, DestinationError, SinkError
from gcexport.redact import redact_data
from gcexport.sinks.formats import (
    FORMATS,
    TableFileWriter,
    check_format,
    count_file_rows,
    digest_file,
)
from gcexport.sinks.storage import MARKER, LocalStorage, Storage

__all__ = ["FileRecord", "FileSink", "PartitionResult", "PartitionWriter", "open_file_sink"]

PARTITION_MANIFEST = "_manifest.json"
ROWS_PER_FILE = 1_000_000


@dataclass(frozen=True)
class FileRecord:
    """One written file: where it is, how many rows and bytes, and its SHA-256."""

    uri: str
    rows: int
    bytes: int
    sha256: str

    def to_dict(self) -> dict[str, Any]:
        return {"uri": self.uri, "rows": self.rows, "bytes": self.bytes, "sha256": self.sha256}


@dataclass(frozen=True)
class PartitionResult:
    """A published partition: exactly these files hold its rows."""

    table: str
    partition_date: date
    rows: int
    files: list[FileRecord] = field(default_factory=list)


def partition_dir(table: str, partition_date: date, org: str | None = None) -> str:
    """The folder of one partition, relative to the output root (`org=<slug>/` for an org)."""
    middle = f"org={org}/" if org else ""
    return f"{table}/{middle}date={partition_date.isoformat()}"


class PartitionWriter:
    """Streams one partition's chunks to staging; `commit()` publishes, `abort()` discards.

    Used as a context manager it commits on normal exit and aborts on an exception.
    """

    def __init__(self, sink: FileSink, table: str, partition_date: date, run_id: str) -> None:
        self._sink, self.table, self.partition_date = sink, table, partition_date
        self._tag = f"{run_id}-{secrets.token_hex(3)}"
        sink.ensure_marker()
        self._dir = sink.storage.staging_dir(self._tag)
        self._current: TableFileWriter | None = None
        self._records: list[tuple[str, int, int, str]] = []
        self._schema: pa.Schema | None = None
        self._closed = False

    def __repr__(self) -> str:
        return f"PartitionWriter({self.table!r}, {self.partition_date.isoformat()!r})"

    def write(self, chunk: pa.Table) -> None:
        """Append a chunk; files roll over every ROWS_PER_FILE rows."""
        if self._closed:
            raise SinkError(f"{self!r} is already committed or aborted")
        if self._schema is None:
            self._schema = chunk.schema
        offset = 0
        while True:  # slice the chunk across files of at most rows_per_file rows
            writer = self._current or self._open_file()
            room = self._sink.rows_per_file - writer.rows
            writer.write(chunk.slice(offset, room))
            offset += room
            if writer.rows >= self._sink.rows_per_file:
                self._finish_file()
            if offset >= chunk.num_rows:
                return

    def commit(self) -> PartitionResult:
        """Publish: the partition now holds exactly the files written here."""
        if self._closed:
            raise SinkError(f"{self!r} is already committed or aborted")
        try:
            if self._current is None and not self._records and self._schema is not None:
                self._open_file()  # an empty partition still gets one (empty) file with a schema
            self._finish_file()
            return self._publish()
        except BaseException:
            self.abort()
            raise

    def _publish(self) -> PartitionResult:
        names = [name for name, *_ in self._records]
        manifest = {
            "table": self.table,
            "partition_date": self.partition_date.isoformat(),
            "rows": sum(r[1] for r in self._records),
            "files": [
                {"name": n, "rows": r, "bytes": b, "sha256": s} for n, r, b, s in self._records
            ],
        }
        (self._dir / PARTITION_MANIFEST).write_bytes(
            orjson.dumps(manifest, option=orjson.OPT_INDENT_2)
        )
        rel_dir = partition_dir(self.table, self.partition_date, self._sink.org)
        uris = self._sink.storage.publish_partition(rel_dir, self._tag, names)
        self._closed = True
        files = [
            FileRecord(uri, r, b, s) for uri, (_, r, b, s) in zip(uris, self._records, strict=True)
        ]
        return PartitionResult(self.table, self.partition_date, sum(f.rows for f in files), files)

    def abort(self) -> None:
        """Discard everything staged; the published partition is untouched."""
        if self._current is not None:
            self._current.close()
            self._current = None
        self._closed = True
        self._sink.storage.discard(self._tag)

    def _open_file(self) -> TableFileWriter:
        assert self._schema is not None
        name = f"{self._tag}-{len(self._records):05d}{FORMATS[self._sink.fmt][0]}"
        self._current = TableFileWriter(
            self._dir / name,
            self._sink.fmt,
            schema=self._schema,
            compression=self._sink.compression,
            csv_escape_formulas=self._sink.csv_escape_formulas,
        )
        return self._current

    def _finish_file(self) -> None:
        if self._current is None:
            return
        writer, self._current = self._current, None
        writer.close()
        digest = digest_file(writer.path)
        self._records.append((writer.path.name, writer.rows, digest.bytes, digest.sha256))
        self._sink.storage.stage_file(self._tag, writer.path)

    def __enter__(self) -> PartitionWriter:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        if et is None:
            self.commit()
        else:
            self.abort()


class FileSink:
    """A destination for date-partitioned files on local disk or S3."""

    def __init__(
        self,
        storage: Storage,
        *,
        fmt: str = "parquet",
        compression: str = "zstd",
        rows_per_file: int = ROWS_PER_FILE,
        csv_escape_formulas: bool = True,
        org: str | None = None,
    ) -> None:
        check_format(fmt, compression)
        self.org = org  # partitions live under `<table>/org=<slug>/date=…` when set
        self.storage, self.fmt, self.compression = storage, fmt, compression
        self.rows_per_file = rows_per_file
        self._stamped = False
        self._stamp_lock = threading.Lock()
        self.csv_escape_formulas = csv_escape_formulas

    def __repr__(self) -> str:
        return f"FileSink({self.storage!r}, fmt={self.fmt!r})"

    def check_writable(self) -> None:
        """DestinationError (one sentence) unless files can be written here — in this format
        (one output location holds one format); leaves nothing behind."""
        self.storage.check_writable()
        held = self.held_format()
        if held is not None and held != self.fmt:
            raise DestinationError(
                f"{self.storage.uri('')} holds {held} files; one output location holds one "
                f"format, so export {self.fmt} to another --out (or keep --format {held})."
            )

    def held_format(self) -> str | None:
        """The format this location's marker records (None: a new location, or an old marker)."""
        data = self.storage.read_bytes(MARKER)
        try:
            marker = orjson.loads(data) if data else {}
        except orjson.JSONDecodeError:
            return None
        held = marker.get("format") if isinstance(marker, dict) else None
        return held if isinstance(held, str) else None

    def ensure_marker(self) -> None:
        """Mark the location as gcexport's, recording its format, once per sink."""
        with self._stamp_lock:
            if self._stamped:
                return
            self.storage.ensure_marker()
            if self.held_format() is None:
                data = self.storage.read_bytes(MARKER) or b"{}"
                marker = orjson.loads(data) | {"format": self.fmt}
                self.storage.put_bytes(
                    MARKER, orjson.dumps(marker, option=orjson.OPT_SORT_KEYS), "application/json"
                )
            self._stamped = True

    def open_partition(self, table: str, partition_date: date, *, run_id: str) -> PartitionWriter:
        return PartitionWriter(self, table, partition_date, run_id)

    def count_rows(self, table: str, partition_date: date) -> int:
        """Rows in the published partition, counted by reading its files back."""
        manifest = self._partition_manifest(table, partition_date)
        if manifest is None:
            return 0
        rel_dir = partition_dir(table, partition_date, self.org)
        with tempfile.TemporaryDirectory(prefix="gcexport-count-") as tmp:
            return sum(
                self._count_file(f"{rel_dir}/{f['name']}", Path(tmp)) for f in manifest["files"]
            )

    def _count_file(self, relpath: str, tmp: Path) -> int:
        fmt = next(k for k, (ext, _) in FORMATS.items() if relpath.endswith(ext))
        local = self.storage.fetch(relpath, tmp)
        try:
            return count_file_rows(local, fmt)
        finally:
            if local.parent == tmp:
                local.unlink()

    def _partition_manifest(self, table: str, partition_date: date) -> dict[str, Any] | None:
        raw = self.storage.read_bytes(
            f"{partition_dir(table, partition_date, self.org)}/{PARTITION_MANIFEST}"
        )
        try:
            return None if raw is None else dict(orjson.loads(raw))
        except orjson.JSONDecodeError as exc:
            raise SinkError(f"the manifest of {table} {partition_date} is not valid JSON") from exc

    def list_partitions(self, table: str) -> list[date]:
        """Published partition dates of `table`, oldest first."""
        names = self.storage.list_dirs(f"{table}/org={self.org}" if self.org else table)
        return sorted(date.fromisoformat(n[5:]) for n in names if n.startswith("date="))

    def write_raw_pages(
        self, dataset: str, partition_date: date, run_id: str, pages: Iterable[bytes]
    ) -> FileRecord:
        """The raw API pages, one JSON document per line, as `_raw/<dataset>/date=D/<run_id>.jsonl.gz`."""
        with tempfile.TemporaryDirectory(prefix="gcexport-raw-") as tmp:
            path, count = Path(tmp) / "pages.jsonl.gz", 0
            with gzip.open(path, "wb") as out:
                for page in pages:
                    out.write(_one_line(page) + b"\n")
                    count += 1
            digest = digest_file(path)
            relpath = f"_raw/{partition_dir(dataset, partition_date, self.org)}/{run_id}.jsonl.gz"
            self.ensure_marker()
            uri = self.storage.put_file(relpath, path, "application/gzip")
        return FileRecord(uri, count, digest.bytes, digest.sha256)

    def write_manifest(self, run_id: str, manifest: dict[str, Any]) -> FileRecord:
        """The run's manifest as `_manifests/<run_id>.json` (rows = files it lists), redacted."""
        data = orjson.dumps(
            redact_data(manifest), option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS, default=str
        )
        record = self.publish_file(f"_manifests/{run_id}.json", data, "application/json")
        # Every partition of this run is published: what a killed earlier run staged can go —
        # unless other orgs share the location: their runs in flight started earlier too (their
        # abandoned staging goes a day later, see LocalStorage._recover).
        if self.org is None:
            self.storage.sweep_staging(run_id)
        return FileRecord(record.uri, len(manifest.get("files", [])), record.bytes, record.sha256)

    def publish_file(self, relpath: str, data: bytes, content_type: str) -> FileRecord:
        """Write one whole file (e.g. the HTML report) atomically."""
        import hashlib

        self.ensure_marker()
        uri = self.storage.put_bytes(relpath.lstrip("/"), data, content_type)
        return FileRecord(uri, 0, len(data), hashlib.sha256(data).hexdigest())

    def presign(self, uris: Sequence[str], expires: timedelta) -> dict[str, str]:
        """Presigned GET links for `uris` (S3 only; at most 7 days)."""
        return {uri: self.storage.presign(uri, expires) for uri in uris}


def _one_line(page: bytes) -> bytes:
    page = page.strip()
    if b"\n" in page or b"\r" in page:
        page = orjson.dumps(orjson.loads(page))  # pretty-printed JSON: re-serialise onto one line
    return page


def open_file_sink(
    url: str | Path,
    *,
    fmt: str = "parquet",
    compression: str = "zstd",
    sse: str = "AES256",
    kms_key_id: str | None = None,
    rows_per_file: int = ROWS_PER_FILE,
    csv_escape_formulas: bool = True,
    org: str | None = None,
) -> FileSink:
    """A FileSink for a folder, a `file://` URL or `s3://bucket/prefix`.

    CSV cells that start like a spreadsheet formula get a `'` prefix unless `csv_escape_formulas`
    is False (config `export.csv_escape_formulas = false`).
    """
    text = str(url)
    parsed = urlparse(text)
    if parsed.scheme == "s3":
        if not parsed.netloc:
            raise ConfigError(f"S3 destination {text!r} has no bucket; use s3://bucket/prefix")
        from gcexport.sinks.s3 import S3Storage

        storage: Storage = S3Storage(parsed.netloc, parsed.path, sse=sse, kms_key_id=kms_key_id)
    elif parsed.scheme == "file":
        storage = LocalStorage(Path(parsed.path))
    elif parsed.scheme in ("",) or len(parsed.scheme) == 1:  # a drive letter is not a scheme
        storage = LocalStorage(Path(text))
    else:
        raise DestinationError(f"unsupported destination {text!r}; use a folder, file:// or s3://")
    return FileSink(
        storage,
        fmt=fmt,
        compression=compression,
        rows_per_file=rows_per_file,
        csv_escape_formulas=csv_escape_formulas,
        org=org,
    )
