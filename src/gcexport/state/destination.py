"""State backends: the local state file, or append-only objects in the destination, per org.

`[state] backend = "local"` (the default) keeps today's `state.json` in `export.state_dir` (in
`org=<slug>/` below it for an org). `"destination"` keeps the state beside the data, so a worker
with no lasting disk (a pod, a CI runner) resumes where the last one stopped:

- every change appends one object `<out>/_gcexport_state/org=<slug>/state-<seq>-<token>.json`
  (created only if absent — an object is never rewritten); the highest sequence wins;
- the org lease `<out>/_gcexport_state/org=<slug>/lease.json` (created only if absent) refuses a
  second process for the same org with LockedError; every state save renews it (expiry = now +
  `[state] lease_ttl`, on the injected clock), and a lease left by a killed process is reclaimed
  once its expiry has passed.

Example::

    store = open_state_store(settings, clock=SystemClock())
    with store.lock():                     # the org lease
        state = store.load(now=clock.now())
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from gcexport.clock import Clock, SystemClock
from gcexport.errors import LockedError, StateError
from gcexport.state import LOCK_FILE, VERSION, DatasetState, State, StateStore

__all__ = ["STATE_PREFIX", "DestinationStateStore", "open_state_store", "org_state_dir"]

STATE_PREFIX = "_gcexport_state"
LEASE = "lease.json"
DEFAULT_ORG = "default"  # the folder of a single-org setup's destination state


def org_state_dir(settings: Any) -> Path:
    """The local state folder: `export.state_dir`, or its `org=<slug>/` for an org."""
    base = Path(settings.export.state_dir)
    return base / f"org={settings.org}" if settings.org else base


def open_state_store(settings: Any, *, clock: Clock | None = None) -> StateStore:
    """The state store the settings name (local file, or the destination's objects)."""
    from gcexport.config import parse_duration

    directory = org_state_dir(settings)
    if settings.state.backend == "local":
        return StateStore(directory)
    from gcexport.sinks import open_file_sink

    e = settings.export
    storage = open_file_sink(e.out, fmt=e.format, sse=e.sse, kms_key_id=e.kms_key_id).storage
    ttl = parse_duration(settings.state.lease_ttl)
    return DestinationStateStore(
        directory, storage, org=settings.org, clock=clock or SystemClock(), ttl=ttl
    )


class DestinationStateStore(StateStore):
    """A StateStore whose saves append objects in the destination and whose lock is a lease.

    The local `directory` still holds the audit log and the scheduler's files (and its locks).
    """

    def __init__(
        self,
        directory: Path,
        storage: Any,
        *,
        org: str | None,
        clock: Clock,
        ttl: timedelta,
    ) -> None:
        super().__init__(directory, org=org)
        self.storage, self.clock, self.ttl = storage, clock, ttl
        self.prefix = f"{STATE_PREFIX}/org={org or DEFAULT_ORG}"
        self._where = str(storage.uri(self.prefix))
        self._seq: int | None = None
        self._holder = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self._leased = False

    @property
    def where(self) -> str:
        return self._where

    def _snapshots(self) -> list[str]:
        names = self.storage.list_files(self.prefix)
        return sorted(n for n in names if n.startswith("state-") and n.endswith(".json"))

    def _read(self) -> State:
        names = self._snapshots()
        self._seq = int(names[-1].split("-")[1]) if names else 0
        if not names:
            return State()
        raw = self.storage.read_bytes(f"{self.prefix}/{names[-1]}")
        try:
            data = json.loads(raw or b"")
            if data.get("version") != VERSION:
                raise ValueError(f"unknown version {data.get('version')!r}")
            sets = {k: DatasetState.from_json(v) for k, v in data["datasets"].items()}
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise StateError(
                f"State object {self._where}/{names[-1]} is corrupt ({exc}); "
                "`gcexport state reset` starts over."
            ) from None
        return State(sets)

    def _write(self, state: State) -> None:
        if self._seq is None:
            self._read()
        assert self._seq is not None
        self._seq += 1
        payload = {
            "version": VERSION,
            "org": self.org,
            "written_at": self.clock.now().isoformat(),
            "datasets": {k: v.to_json() for k, v in state.datasets.items()},
        }
        name = f"{self.prefix}/state-{self._seq:010d}-{secrets.token_hex(4)}.json"
        data = json.dumps(payload, indent=2, sort_keys=True).encode()
        self.storage.ensure_marker()
        if not self.storage.create_exclusive(name, data):  # pragma: no cover - random names
            raise LockedError(f"State object {name} already exists; another run wrote it.")
        self._renew()

    def _renew(self) -> None:
        """Progress is the heartbeat: each save moves a held lease's expiry to now + TTL."""
        if self._leased:
            self.storage.put_bytes(
                f"{self.prefix}/{LEASE}", self._lease_bytes(), "application/json"
            )

    def reset_all(self) -> None:
        """Forget every dataset's state: one more (empty) object, nothing deleted."""
        with self._mutex:
            self._read()
            self._write(State())
            self._state = State()

    @contextlib.contextmanager
    def lock(self, name: str = LOCK_FILE) -> Iterator[None]:
        """The org lease for a run's lock; other named locks (schedules) stay local."""
        if name != LOCK_FILE:
            with super().lock(name):
                yield
            return
        self._acquire()
        try:
            yield
        finally:
            self._release()

    def _lease_bytes(self) -> bytes:
        now = self.clock.now()
        body = {"holder": self._holder, "renewed_at": now.isoformat()}
        return json.dumps(body | {"expires_at": (now + self.ttl).isoformat()}).encode()

    def _acquire(self) -> None:
        key = f"{self.prefix}/{LEASE}"
        self.storage.ensure_marker()  # the location is gcexport's, even before any data
        if self.storage.create_exclusive(key, self._lease_bytes()):
            self._leased = True
            return
        held = self._lease_body()
        expires = held.get("expires_at")
        if expires is not None and datetime.fromisoformat(expires) <= self.clock.now():
            self.storage.delete(key)  # a killed holder's lease: reclaimed after the TTL
            if self.storage.create_exclusive(key, self._lease_bytes()):
                self._leased = True
                return
            held = self._lease_body()
        org = self.org or DEFAULT_ORG
        raise LockedError(
            f"Org {org!r} is leased by another gcexport run ({held.get('holder', '?')}) until "
            f"{held.get('expires_at', '?')}; retry later."
        )

    def _lease_body(self) -> dict[str, Any]:
        raw = self.storage.read_bytes(f"{self.prefix}/{LEASE}")
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = {}
        return body if isinstance(body, dict) else {}

    def _release(self) -> None:
        self._leased = False
        if self._lease_body().get("holder") == self._holder:
            self.storage.delete(f"{self.prefix}/{LEASE}")
