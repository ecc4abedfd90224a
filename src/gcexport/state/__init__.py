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
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol, TypeVar

from gcexport.errors import DestinationError, LockedError, StateError
from gcexport.timespan import DAY, UTC, Window, incremental_days

__all__ = [
    "DatasetState",
    "DayOutcome",
    "JobRecord",
    "State",
    "StateBackend",
    "StateStore",
    "pending_days",
]

STATE_FILE = "state.json"
LOCK_FILE = "run.lock"
VERSION = 1
T = TypeVar("T")
EARLIEST = date(2000, 1, 1)  # no Genesys Cloud analytics exist before this


def _where(day: date, today: date) -> str:
    return "in the future" if day > today else f"before {EARLIEST}"


@dataclass
class JobRecord:
    """A submitted details job that a resumed run may reuse."""

    job_id: str
    submitted_at: datetime


@dataclass
class DatasetState:
    """What one dataset has exported so far.

    The mark (`final_through`) is midnight of the first day that is not yet final: every day from
    where the history starts up to the mark is final. Days that became final out of order wait in
    `final_days` until the days before them are final too, so the mark advances over the contiguous
    run of final days whatever order they finish in, and a day that failed holds it back (and stays
    due) until it succeeds.
    """

    final_through: datetime | None = None  # every day before this is final
    provisional: set[date] = field(default_factory=set)
    jobs: dict[str, JobRecord] = field(default_factory=dict)  # window key -> job
    last_run: str | None = None
    final_days: set[date] = field(default_factory=set)  # final days at or after the mark
    first_day: date | None = None  # where the history starts (None: written by an older version)
    ended_through: datetime | None = None  # conversations that ended before this were re-read

    def start_at(self, day: date) -> None:
        """Start the history at `day` when it has none yet (a first run's first day)."""
        if self.final_through is None:
            self.final_through = Window.for_day(day).start
            self.first_day = day
            self._advance()

    def record_day(self, window: Window, *, final: bool) -> None:
        """Remember that `window` was exported, final or still provisional."""
        day = window.day
        if final:
            self.provisional.discard(day)
            if self.final_through is None or window.start >= self.final_through:
                self.final_days.add(day)
            self._advance()
        else:
            self.provisional.add(day)
            self.final_days.discard(day)
        self.jobs.pop(window.key, None)

    def _advance(self) -> None:
        """Move the mark over the contiguous final days that start at it."""
        if self.final_through is None:
            return
        while self.final_through.date() in self.final_days:
            self.final_days.discard(self.final_through.date())
            self.final_through += DAY
        self.final_days = {d for d in self.final_days if d > self.final_through.date()}

    def problem(self, now: datetime) -> str | None:
        """Why these dates could not have been written by a run before `now` (None if they could)."""
        today = now.astimezone(UTC).date()
        mark = self.final_through
        if mark is not None:
            if not EARLIEST <= mark.date() <= today + DAY:
                return f"final_through {mark.date()} is {_where(mark.date(), today)}"
            if mark != Window.for_day(mark.astimezone(UTC).date()).start:
                return f"final_through {mark.isoformat()} is not midnight UTC"
        for label, days in (("provisional", self.provisional), ("final_days", self.final_days)):
            for day in sorted(days):
                if not EARLIEST <= day <= today:
                    return f"{label} day {day} is {_where(day, today)}"
        return None

    def reset_from(self, day: date) -> None:
        """Forget everything from `day` on: those days are due again on the next run."""
        start = Window.for_day(day).start
        if self.final_through is not None and self.final_through > start:
            self.final_through = start
        self.final_days = {d for d in self.final_days if d < day}
        self.provisional = {d for d in self.provisional if d < day}
        self.jobs = {k: j for k, j in self.jobs.items() if Window.parse(k).day < day}

    def is_final(self, day: date) -> bool:
        mark = self.final_through
        below = mark is not None and day < mark.date()
        return (below and day not in self.provisional) or day in self.final_days

    def due(self, *, now: datetime, lookback: timedelta, first_start: datetime) -> list[Window]:
        """The days an incremental run exports: from the mark minus the look-back (or
        `first_start` when there is no history) through today, every provisional day, and
        none of the days that already became final after the mark."""
        return incremental_days(
            now=now,
            final_through=self.final_through,
            provisional=self.provisional,
            lookback=lookback,
            first_start=first_start,
            final_days=self.final_days,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "final_through": self.final_through.isoformat() if self.final_through else None,
            "provisional": sorted(d.isoformat() for d in self.provisional),
            "jobs": {
                k: {"job_id": j.job_id, "submitted_at": j.submitted_at.isoformat()}
                for k, j in sorted(self.jobs.items())
            },
            "last_run": self.last_run,
            "final_days": sorted(d.isoformat() for d in self.final_days),
            **({"first_day": self.first_day.isoformat()} if self.first_day else {}),
            **({"ended_through": self.ended_through.isoformat()} if self.ended_through else {}),
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
            final_days={date.fromisoformat(d) for d in data.get("final_days", [])},
            first_day=date.fromisoformat(data["first_day"]) if data.get("first_day") else None,
            ended_through=_instant(data.get("ended_through")),
        )


@dataclass
class State:
    """Every dataset's state."""

    datasets: dict[str, DatasetState] = field(default_factory=dict)

    def dataset(self, name: str) -> DatasetState:
        return self.datasets.setdefault(name, DatasetState())

    def problem(self, now: datetime) -> str | None:
        """Why this state could not have been written by a run before `now` (None when it could)."""
        for name, ds in sorted(self.datasets.items()):
            problem = ds.problem(now)
            if problem is not None:
                return f"{name} {problem}"
        return None


@dataclass(frozen=True)
class DayOutcome:
    """One exported (org, dataset, day): final, or not yet (provisional or failed: due again)."""

    org: str | None
    dataset: str
    window: Window
    final: bool


class StateBackend(Protocol):
    """What an engine needs of the state: what is due, remember a day, one process per org.

    Both stores are one org's (`StateStore(directory, org=…)`, `statebackend.open_state_store`).
    """

    def pending(
        self, org: str | None, dataset: str, *, now: datetime, lookback: timedelta, first: datetime
    ) -> list[date]: ...

    def record(self, outcome: DayOutcome) -> None: ...

    def lease(self, org: str | None, ttl: timedelta) -> AbstractContextManager[None]: ...


class StateStore:
    """Loads, updates and atomically saves the state file; thread-safe; holds the run lock."""

    def __init__(self, directory: Path, *, org: str | None = None) -> None:
        self.directory = directory
        self.org = org
        self.path = directory / STATE_FILE
        self._mutex = threading.Lock()
        self._state: State | None = None

    @property
    def where(self) -> str:
        """Where this state lives, for messages."""
        return str(self.path)

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

    def load(self, *, now: datetime | None = None) -> State:
        """Read the state file (an empty State when there is none); with `now`, also reject
        dates no run could have written by then (StateError, exit 2)."""
        with self._mutex:
            state = self._read()
            if now is not None:
                problem = state.problem(now)
                if problem is not None:
                    raise StateError(
                        f"State file {str(self.path)!r} is not valid: {problem}; "
                        "`gcexport state reset` starts over."
                    )
            self._state = state
            return state

    def _read(self) -> State:
        if not self.path.exists():
            return State()
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if data.get("version") != VERSION:
                raise ValueError(f"unknown version {data.get('version')!r}")
            sets = {k: DatasetState.from_json(v) for k, v in data["datasets"].items()}
        except (ValueError, KeyError, TypeError, AttributeError, OverflowError) as exc:
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

    # The StateBackend protocol, for this store's org.

    def pending(
        self, org: str | None, dataset: str, *, now: datetime, lookback: timedelta, first: datetime
    ) -> list[date]:
        """The days due: new days, provisional days and failed ones (they hold the mark)."""
        self._check_org(org)
        ds = self.load(now=now).dataset(dataset)
        return sorted({w.day for w in ds.due(now=now, lookback=lookback, first_start=first)})

    def record(self, outcome: DayOutcome) -> None:
        self._check_org(outcome.org)
        dataset, window, final = outcome.dataset, outcome.window, outcome.final
        self.update(lambda s: s.dataset(dataset).record_day(window, final=final))

    def lease(self, org: str | None, ttl: timedelta) -> AbstractContextManager[None]:
        """The org's run lock (a local file lock here: released by the OS when a holder dies)."""
        self._check_org(org)
        return self.lock()

    def _check_org(self, org: str | None) -> None:
        if org != self.org:
            raise StateError(f"This state store is org {self.org!r}'s, not {org!r}'s.")


def pending_days(settings: Any, dataset: str, *, clock: Any = None) -> list[date]:
    """The days an incremental run of `dataset` would export now, per the configured state
    backend: new days, provisional days and days that failed (they hold the mark back)."""
    from gcexport.clock import SystemClock
    from gcexport.config import parse_duration
    from gcexport.state.destination import open_state_store

    clock = clock or SystemClock()
    now = clock.now()
    store = open_state_store(settings, clock=clock)
    first = settings.export.first_start_at(now)
    lookback = parse_duration(settings.export.lookback)
    return store.pending(settings.org, dataset, now=now, lookback=lookback, first=first)


def job_still_valid(record: JobRecord, *, now: datetime, max_age: timedelta) -> bool:
    """Whether a saved job id is young enough to be worth reusing."""
    return now - record.submitted_at < max_age


def _instant(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text).astimezone(UTC) if text else None
