"""Where files physically go: the `Storage` seam and its local-disk implementation.

A partition is published by swapping directories with renames: the finished staging folder
`<out>/.staging/<tag>/new` replaces `<out>/<table>/date=D` after the old folder is moved to
`<out>/.staging/<tag>/old`. Between those two renames (microseconds) the partition is absent, never
mixed or partial; a crash in that window is repaired on the next open by moving `old` back.

Example::

    storage = LocalStorage(Path("./gcexport-data"))
    staged = storage.staging_dir("20261123T051700Z-ab12")
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Protocol

from gcexport.errors import DestinationError, SinkError

__all__ = ["MARKER", "LocalStorage", "Storage", "left_behind"]

MARKER = "_gcexport.json"
MARKER_BYTES = b'{"tool": "gcexport", "layout": 1}\n'
STAGING = ".staging"
# Files that may sit in an output folder before the marker exists (the default warehouse lives there).
OWN_NAMES = ("gcexport.duckdb", ".gcexport", STAGING)
STALE_STAGING = timedelta(days=1)


class Storage(Protocol):
    """What FileSink needs from a place that holds files (relative paths use `/`)."""

    def uri(self, relpath: str) -> str: ...
    def check_writable(self) -> None: ...
    def ensure_marker(self) -> None: ...
    def staging_dir(self, tag: str) -> Path: ...
    def stage_file(self, tag: str, path: Path) -> None: ...
    def publish_partition(self, rel_dir: str, tag: str, names: list[str]) -> list[str]: ...
    def discard(self, tag: str) -> None: ...
    def put_bytes(self, relpath: str, data: bytes, content_type: str) -> str: ...
    def put_file(self, relpath: str, path: Path, content_type: str) -> str: ...
    def read_bytes(self, relpath: str) -> bytes | None: ...
    def fetch(self, relpath: str, into: Path) -> Path: ...
    def list_dirs(self, rel_dir: str) -> list[str]: ...
    def list_files(self, rel_dir: str) -> list[str]: ...
    def create_exclusive(self, relpath: str, data: bytes) -> bool: ...
    def delete(self, relpath: str) -> None: ...
    def presign(self, uri: str, expires: timedelta) -> str: ...
    def sweep_staging(self, run_id: str) -> int: ...


def left_behind(tag: str, run_id: str) -> bool:
    """Whether staging `tag` is of a run that started before `run_id` (or in its second) and died.

    Tags are `<run_id>-<hex>`, and a run id starts with its UTC start time (`20261123T051700Z-…`).
    """
    return not tag.startswith(run_id) and tag[:16] <= run_id[:16]


class LocalStorage:
    """Files under a local folder; publication by directory rename."""

    def __init__(self, root: Path) -> None:
        self.root = root.expanduser().absolute()
        if self.root.is_dir():
            self._recover()

    def __repr__(self) -> str:
        return f"LocalStorage({str(self.root)!r})"

    def uri(self, relpath: str) -> str:
        return (self.root / relpath).as_uri()

    def check_writable(self) -> None:
        """DestinationError unless the folder can be written and holds nothing foreign."""
        if self.root.exists() and not self.root.is_dir():
            raise DestinationError(f"output {self.root} exists and is not a folder")
        if self.root.is_dir():
            self._check_not_foreign()
        parent = self.root if self.root.is_dir() else _nearest_existing(self.root)
        try:
            with tempfile.NamedTemporaryFile(dir=parent, prefix=".gcexport-probe-"):
                pass
        except OSError as exc:
            raise DestinationError(f"cannot write to {parent}: {exc.strerror}") from exc

    def _check_not_foreign(self) -> None:
        names = [p.name for p in self.root.iterdir()]
        if MARKER in names or all(n.startswith(OWN_NAMES) for n in names):
            return
        raise DestinationError(
            f"output folder {self.root} is not empty and was not written by gcexport "
            f"(no {MARKER}); choose an empty folder"
        )

    def ensure_marker(self) -> None:
        """Mark the folder as gcexport's on first use, so a later check does not call it foreign."""
        if not (self.root / MARKER).exists():
            self.put_bytes(MARKER, MARKER_BYTES, "application/json")

    def staging_dir(self, tag: str) -> Path:
        path = self.root / STAGING / tag / "new"
        _mkdir(path)
        return path

    def stage_file(self, tag: str, path: Path) -> None:
        """Files are written in place under the staging folder; nothing to move."""

    def publish_partition(self, rel_dir: str, tag: str, names: list[str]) -> list[str]:
        """Swap the staged folder in for `rel_dir`; the old folder is removed afterwards."""
        work, target = self.root / STAGING / tag, self.root / rel_dir
        try:
            (work / "_target").write_text(rel_dir)
            _mkdir(target.parent)
            if target.exists():
                os.rename(target, work / "old")
            os.rename(work / "new", target)
            shutil.rmtree(work)
        except OSError as exc:
            raise SinkError(f"could not publish {rel_dir}: {exc.strerror}") from exc
        return [self.uri(f"{rel_dir}/{name}") for name in names]

    def discard(self, tag: str) -> None:
        shutil.rmtree(self.root / STAGING / tag, ignore_errors=True)

    def put_bytes(self, relpath: str, data: bytes, content_type: str) -> str:
        """Write `data` atomically (temporary file, then rename)."""
        target = self.root / relpath
        try:
            _mkdir(target.parent)
            # Unique per writer: threads of one process may write the same file at once.
            tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}")
            tmp.write_bytes(data)
            os.replace(tmp, target)
        except OSError as exc:
            raise SinkError(f"could not write {relpath}: {exc.strerror}") from exc
        return self.uri(relpath)

    def put_file(self, relpath: str, path: Path, content_type: str) -> str:
        target = self.root / relpath
        try:
            _mkdir(target.parent)
            os.replace(path, target)
        except OSError as exc:
            raise SinkError(f"could not write {relpath}: {exc.strerror}") from exc
        return self.uri(relpath)

    def read_bytes(self, relpath: str) -> bytes | None:
        path = self.root / relpath
        return path.read_bytes() if path.is_file() else None

    def fetch(self, relpath: str, into: Path) -> Path:
        """The local path of `relpath` (already on disk; `into` is unused)."""
        return self.root / relpath

    def list_dirs(self, rel_dir: str) -> list[str]:
        folder = self.root / rel_dir
        return sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []

    def list_files(self, rel_dir: str) -> list[str]:
        """Names of the files directly in `rel_dir` (none when it does not exist)."""
        folder = self.root / rel_dir
        if not folder.is_dir():
            return []
        return sorted(p.name for p in folder.iterdir() if p.is_file() and p.name[:1] != ".")

    def create_exclusive(self, relpath: str, data: bytes) -> bool:
        """Write `relpath` only if it does not exist yet (False when it does): O_EXCL."""
        target = self.root / relpath
        try:
            _mkdir(target.parent)
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return False
        except OSError as exc:
            raise SinkError(f"could not write {relpath}: {exc.strerror}") from exc
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        return True

    def delete(self, relpath: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            (self.root / relpath).unlink()

    def presign(self, uri: str, expires: timedelta) -> str:
        raise DestinationError("presigned links need an s3:// destination, not a local folder")

    def sweep_staging(self, run_id: str) -> int:
        """Remove staging folders left by runs that started before `run_id`; how many went."""
        staging = self.root / STAGING
        if not staging.is_dir():
            return 0
        gone = [w for w in staging.iterdir() if left_behind(w.name, run_id)]
        for work in gone:
            # A half-published partition (`old` moved aside) was already repaired by _recover.
            shutil.rmtree(work, ignore_errors=True)
        with contextlib.suppress(OSError):
            staging.rmdir()  # only when empty
        return len(gone)

    def _recover(self) -> None:
        """Finish or undo publications a crash interrupted; drop day-old abandoned staging."""
        staging = self.root / STAGING
        if not staging.is_dir():
            return
        for work in staging.iterdir():
            # another process sharing the folder may finish (and remove) `work` meanwhile
            with contextlib.suppress(FileNotFoundError):
                self._recover_one(work)

    def _recover_one(self, work: Path) -> None:
        old, marker = work / "old", work / "_target"
        if old.is_dir() and marker.is_file():
            target = self.root / marker.read_text()
            if not target.exists():
                os.rename(old, target)  # the new folder never arrived: put the old one back
            shutil.rmtree(work, ignore_errors=True)
        elif time.time() - work.stat().st_mtime > STALE_STAGING.total_seconds():
            shutil.rmtree(work, ignore_errors=True)


def _mkdir(path: Path) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SinkError(f"could not create folder {path}: {exc.strerror}") from exc


def _nearest_existing(path: Path) -> Path:
    while not path.exists():
        path = path.parent
    return path
