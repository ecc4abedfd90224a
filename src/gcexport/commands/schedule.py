"""`gcexport schedule`: run each configured export on its cron expression until SIGTERM.

A missed run (the machine was off at the due time) is caught up once at start; a lock per schedule
keeps two schedulers from running the same export; SIGTERM lets the current run finish, then stops.

Example::

    run_scheduler(settings, once=True)   # run whatever is due now, then return
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from datetime import datetime
from types import FrameType
from typing import Any

from croniter import CroniterBadDateError, croniter

from gcexport.clock import Clock, SystemClock
from gcexport.config import ScheduleSpec, Settings
from gcexport.errors import ConfigError, GcExportError, LockedError
from gcexport.state import StateStore
from gcexport.state.destination import org_state_dir
from gcexport.timespan import parse_timestamp

__all__ = ["Scheduler", "run_scheduler", "validate_schedules"]


class Scheduler:
    """Due-time bookkeeping for every schedule; `tick` runs what is due."""

    def __init__(self, settings: Settings, *, clock: Clock, run: Any = None) -> None:
        validate_schedules(settings, clock.now())
        self.settings, self.clock = settings, clock
        self.store = StateStore(org_state_dir(settings))
        self.path = self.store.directory / "schedule.json"
        self._run = run or self._export
        self.last = self._load()

    def _load(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8")) if self.path.exists() else {}
        except ValueError:
            data = {}
        return {k: v for k, v in data.items() if isinstance(v, str)}

    def _save(self) -> None:
        self.store.directory.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.last, indent=2), encoding="utf-8")
        tmp.replace(self.path)

    def due(self, spec: ScheduleSpec, now: datetime) -> bool:
        """Due when its latest cron time is after its mark (a missed run counts once).

        The mark (`schedule.json`) is the last run, or, for a schedule that never ran, the moment
        a tick first saw it; one never seen is due only at its cron time.
        """
        minute = now.replace(second=0, microsecond=0)
        latest = minute if croniter.match(spec.cron, minute) else None
        last = self.last.get(spec.name)
        if last is None:
            return latest is not None
        if latest is None:
            latest = croniter(spec.cron, now).get_prev(datetime)
        return latest > parse_timestamp(last)

    def seconds_until_next(self, now: datetime) -> float:
        nexts = [croniter(s.cron, now).get_next(datetime) for s in self.settings.schedules]
        return max(1.0, (min(nexts) - now).total_seconds())

    def next_runs(self, now: datetime) -> list[tuple[str, datetime]]:
        """When each schedule runs next, soonest first."""
        nexts = [
            (s.name, croniter(s.cron, now).get_next(datetime)) for s in self.settings.schedules
        ]
        return sorted(nexts, key=lambda item: item[1])

    def tick(self, *, say: Any = None) -> list[tuple[str, int]]:
        """Run every due schedule once; returns (name, exit code) for each run. `say` (if given)
        hears one line per schedule: that it starts, or when it runs next."""
        ran = []
        for spec in self.settings.schedules:
            now = self.clock.now()
            if not self.due(spec, now):
                if spec.name not in self.last:  # first seen: its next slot is due, even if missed
                    self.last[spec.name] = now.isoformat()
                    self._save()
                if say is not None:
                    upcoming = croniter(spec.cron, now).get_next(datetime)
                    say(f"{spec.name} is not due; next run {upcoming.isoformat()}")
                continue
            if say is not None:
                say(f"{spec.name} is due; running {', '.join(spec.datasets)}")
            try:
                with self.store.lock(f"schedule-{spec.name}.lock"):
                    code = self._run(spec)
            except LockedError as exc:
                print(f"gcexport: schedule {spec.name}: {exc}", file=sys.stderr)
                continue
            self.last[spec.name] = now.isoformat()
            self._save()
            ran.append((spec.name, code))
        return ran

    def _export(self, spec: ScheduleSpec) -> int:
        from gcexport.commands.export import run_export_command
        from gcexport.run import ExportRequest

        export = self.settings.export.model_copy(update={"datasets": list(spec.datasets)})
        settings = self.settings.model_copy(update={"export": export})
        try:
            return run_export_command(settings, ExportRequest(), quiet=True, json_output=False)
        except GcExportError as exc:
            print(f"gcexport: schedule {spec.name} failed: {exc}", file=sys.stderr)
            return exc.exit_code


def validate_schedules(settings: Settings, now: datetime) -> None:
    """Every schedule checked before any runs: ConfigError (exit 2) on the first problem.

    Names (safe, unique) and datasets are checked when the settings load (`config.py`); what
    needs a clock is checked here: each cron expression fires.
    """
    if not settings.schedules:
        raise ConfigError(
            "The config has no [[schedules]]; add one with a name and a cron expression."
        )
    for spec in settings.schedules:
        if not croniter.is_valid(spec.cron):
            raise ConfigError(
                f"Schedule {spec.name!r} has an invalid cron expression {spec.cron!r}."
            )
        try:
            croniter(spec.cron, now).get_next(datetime)
        except CroniterBadDateError:
            raise ConfigError(
                f"Schedule {spec.name!r} has a cron expression {spec.cron!r} that never fires."
            ) from None


def run_scheduler(settings: Settings, *, once: bool = False, clock: Clock | None = None) -> int:
    """Loop until SIGTERM/Ctrl-C (or one pass with `once`, returning the worst run's exit code:
    the highest, 0 when every run succeeded or none was due)."""
    scheduler = Scheduler(settings, clock=clock or SystemClock())
    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    print(
        f"gcexport schedule: {len(settings.schedules)} schedule(s); SIGTERM stops after the current run.",
        file=sys.stderr,
        flush=True,
    )
    worst = 0
    try:
        while not stop.is_set():
            for name, code in scheduler.tick(say=_say if once else None):
                _say(f"{name} finished with exit code {code}")
                worst = max(worst, code)
            if once:
                break
            name, upcoming = scheduler.next_runs(scheduler.clock.now())[0]
            _say(f"next run: {name} at {upcoming.isoformat()}")
            stop.wait(scheduler.seconds_until_next(scheduler.clock.now()))
    except KeyboardInterrupt:
        pass
    return worst


def _say(line: str) -> None:
    print(f"gcexport schedule: {line}", file=sys.stderr, flush=True)
