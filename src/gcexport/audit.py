"""The audit log: one JSON line per API call, per page and per run; secrets scrubbed on the way out.

Every record passes through `gcexport.redact` before it is encoded.

Records carry the dataset and window of the worker thread that made the call, set with `context`.

Example::

    with AuditLog(Path(".gcexport/audit.jsonl"), run_id="r1", secrets=[secret]) as audit:
        with audit.context(dataset="conversation_details", window="2026-11-20T00:00:00Z/…"):
            audit.request(record)
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Sequence
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any

import orjson

from gcexport.clock import utcnow
from gcexport.errors import DestinationError, SinkError
from gcexport.redact import Redactor, redact_data, register

__all__ = ["AuditLog", "Redactor"]


class AuditLog:
    """Append-only JSONL, safe to call from many threads."""

    def __init__(self, path: Path, *, run_id: str, secrets: Sequence[str] = ()) -> None:
        self.path = path
        self.run_id = run_id
        register(secrets)
        self.redactor = Redactor(secrets)
        self._lock = threading.Lock()
        self._local = threading.local()
        self.counts = {"requests": 0, "pages": 0, "rate_limited": 0, "waited_s": 0.0}
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = path.open("ab")
        except OSError as exc:
            raise DestinationError(
                f"Audit log {str(path)!r} is not writable: {exc.strerror}."
            ) from None

    def __enter__(self) -> AuditLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            if not self._handle.closed:
                self._handle.close()

    @contextlib.contextmanager
    def context(self, **fields: str) -> Iterator[None]:
        """Tag every record written by this thread with `fields` (dataset, window) while inside."""
        previous = getattr(self._local, "fields", {})
        self._local.fields = {**previous, **fields}
        try:
            yield
        finally:
            self._local.fields = previous

    def write(self, kind: str, **fields: Any) -> None:
        record = {
            "type": kind,
            "ts": utcnow().isoformat(timespec="milliseconds"),
            "run_id": self.run_id,
            **getattr(self._local, "fields", {}),
            **fields,
        }
        # Redacted before encoding (a secret holding `"` or `\\` is escaped by JSON), then the
        # encoded line once more for values only `_default` turns into text.
        clean = redact_data(record)
        line = self.redactor.text(orjson.dumps(clean, default=_default).decode()) + "\n"
        with self._lock:
            try:
                self._handle.write(line.encode())
                self._handle.flush()
            except OSError as exc:  # a full disk: say where, not "internal error: OSError"
                raise SinkError(
                    f"could not write the audit log {str(self.path)!r}: {exc.strerror}."
                ) from None

    def request(self, record: Any) -> None:
        """One HTTP attempt (a `gcexport.client.RequestRecord`)."""
        fields = (
            asdict(record)
            if is_dataclass(record) and not isinstance(record, type)
            else dict(record)
        )
        with self._lock:
            self.counts["requests"] += 1
            self.counts["waited_s"] += float(fields.get("waited_s") or 0) + float(
                fields.get("budget_wait_s") or 0
            )
            if fields.get("status") == 429:
                self.counts["rate_limited"] += 1
        self.write("request", **fields)

    def page(self, *, endpoint: str, rows: int, context: Any) -> None:
        """One page of results: rows kept, with the call's status, attempts, wait and bytes."""
        with self._lock:
            self.counts["pages"] += 1
        self.write(
            "page",
            endpoint=endpoint,
            rows=rows,
            status=getattr(context, "status", None),
            attempts=getattr(context, "attempts", None),
            waited_s=getattr(context, "waited_s", None),
            bytes=getattr(context, "bytes", None),
            correlation_id=getattr(context, "correlation_id", None),
        )


def _default(value: Any) -> Any:
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    if isinstance(value, Path):
        return str(value)
    return str(value)
