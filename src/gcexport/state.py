"""Incremental state: per-dataset high-water marks, provisional days and resumable job ids.

One JSON file per state directory, always replaced atomically (write, fsync, rename), so a run
killed at any point leaves either the old state or the new one — never a torn file.

Example::

    store = StateStore(Path(".gcexport"))
    with store.lock():
        store.update(lambda s: s.dataset("conversation_details").mark_final(day))
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from gcexport.errors import DestinationError, LockedError, StateError
from gcexport.windows import UTC, Window

__all__ = ["DatasetState", "JobRecord", "State", "StateStore"]

STATE_FILE = "state.json"
LOCK_FILE = "run.lock"
VERSION = 1
T = TypeVar("T")


@dataclass
class JobRecord:
    """A submitted details job that a resumed run may reuse."""

    job_id: str
    submitted_at: datetime


@dataclass
class DatasetState:
    """What one dataset has exported so far."""

    final_through: datetime | None = None  # every day before this is final
    provisional: set[date] = field(default_factory=set)
    jobs: dict[str, JobRecord] = field(default_factory=dict)  # window key -> job
    last_run: str | None = None

    def record_day(self, window: Window, *, final: bool) -> None:
        """Remember that `window` was exported, final or still provisional."""
        if final:
            self.provisional.discard(window.day)
            if self.final_through is None or window.start <= self.final_through:
                self.final_through = max(self.final_through or window.end, window.end)
        else:
            self.provisional.add(window.day)
        self.jobs.pop(window.key, None)

    def to_json(self) -> dict[str, Any]:
        return {
            "final_through": self.final_through.isoformat() if self.final_through else None,
            "provisional": sorted(d.isoformat() for d in self.provisional),
            "jobs": {
                k: {"job_id": j.job_id, "submitted_at": j.submitted_at.isoformat()}
                for k, j in sorted(self.jobs.items())
            },
            "last_run": self.last_run,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DatasetState:
        final = data.get("final_through")
        return cls(
            final_through=datetime.fromisoformat(final).astimezone(UTC) if final else None,
            provisional={date.fromisoformat(d) for d in data.get("provisional", [])},
            jobs={
                k: JobRecord(v["job_id"], datetime.fromisoformat(v["submitted_at"]))
                for k, v in data.get("jobs", {}).items()
            },
            last_run=data.get("last_run"),
        )


@dataclass
class State:
    """Every dataset's state."""

    datasets: dict[str, DatasetState] = field(default_factory=dict)

    def dataset(self, name: str) -> DatasetState:
        return self.datasets.setdefault(name, DatasetState())


class StateStore:
    """Loads, updates and atomically saves the state file; thread-safe; holds the run lock."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.path = directory / STATE_FILE
        self._mutex = threading.Lock()
        self._state: State | None = None

    def ensure_writable(self) -> None:
        """Create the directory and prove it is writable (DestinationError otherwise)."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            probe = self.directory / ".write-probe"
            probe.write_text("ok", encoding="utf-8")
            probe.unlink()
        except OSError as exc:
            raise DestinationError(
                f"State directory {str(self.directory)!r} is not writable: {exc.strerror}."
            ) from None

    def load(self) -> State:
        """Read the state file (an empty State when there is none)."""
        with self._mutex:
            self._state = self._read()
            return self._state

    def _read(self) -> State:
        if not self.path.exists():
            return State()
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if data.get("version") != VERSION:
                raise ValueError(f"unknown version {data.get('version')!r}")
            sets = {k: DatasetState.from_json(v) for k, v in data["datasets"].items()}
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise StateError(
                f"State file {str(self.path)!r} is corrupt ({exc}); move it away to start afresh."
            ) from None
        return State(sets)

    def update(self, change: Callable[[State], T]) -> T:
        """Apply `change` to the state and save it atomically; returns what `change` returns."""
        with self._mutex:
            state = self._state if self._state is not None else self._read()
            result = change(state)
            self._write(state)
            self._state = state
            return result

    def _write(self, state: State) -> None:
        payload = {
            "version": VERSION,
            "datasets": {k: v.to_json() for k, v in state.datasets.items()},
        }
        self.directory.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(f".tmp-{os.getpid()}-{threading.get_ident()}")
        with tmp.open("w", encoding="utf-8") as handle:
            json.dump(payload, handle, indent=2, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.path)

    @contextlib.contextmanager
    def lock(self, name: str = LOCK_FILE) -> Iterator[None]:
        """Hold an exclusive advisory lock; LockedError when another process holds it."""
        import fcntl

        self.directory.mkdir(parents=True, exist_ok=True)
        with (self.directory / name).open("a+") as handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise LockedError(
                    f"Another gcexport run holds {str(self.directory / name)!r}; wait for it to finish."
                ) from None
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def job_still_valid(record: JobRecord, *, now: datetime, max_age: timedelta) -> bool:
    """Whether a saved job id is young enough to be worth reusing."""
    return now - record.submitted_at < max_age
