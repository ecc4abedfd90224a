"""`gcexport state show` and `gcexport state reset`: what is final, provisional and due, per dataset.

Example::

    show_state(settings)                                   # prints one block per dataset
    reset_state(settings, dataset="conversation_details", start=date(2026, 11, 20))
"""

from __future__ import annotations

from datetime import date

from gcexport.clock import Clock, SystemClock
from gcexport.config import Settings, parse_duration
from gcexport.datasets.registry import names
from gcexport.errors import ConfigError
from gcexport.state import DatasetState, State, StateStore
from gcexport.state.destination import DestinationStateStore, open_state_store
from gcexport.timespan import DAY

__all__ = ["reset_state", "show_state"]

DAY_DATASETS = names(day_partitioned=True)


def show_state(settings: Settings, *, clock: Clock | None = None) -> list[str]:
    """The lines `gcexport state show` prints: one block per day-partitioned dataset."""
    now = (clock or SystemClock()).now()
    store = open_state_store(settings, clock=clock)
    state = store.load(now=now)
    lookback = parse_duration(settings.export.lookback)
    first = settings.export.first_start_at(now)
    names = [d for d in DAY_DATASETS if d in settings.export.datasets or d in state.datasets]
    lines = [f"state {store.where} at {now.isoformat(timespec='seconds')}"]
    for name in names:
        ds = state.datasets.get(name, DatasetState())
        due = [w.day for w in ds.due(now=now, lookback=lookback, first_start=first)]
        mark = ds.final_through
        lines += [
            name,
            "  final        "
            + (f"every day before {mark.date()}" if mark else "nothing yet (no run so far)")
            + (f"; also {_days(ds.final_days)}" if ds.final_days else ""),
            f"  provisional  {_days(ds.provisional) or 'none'}",
            f"  due          {_days(due) or 'none'}",
        ]
    return lines


def _days(days: object) -> str:
    """Days as compact ranges: 2026-11-20..2026-11-23, 2026-11-25."""
    ordered = sorted(days)  # type: ignore[call-overload]
    ranges: list[tuple[date, date]] = []
    for day in ordered:
        if ranges and ranges[-1][1] + DAY == day:
            ranges[-1] = (ranges[-1][0], day)
        else:
            ranges.append((day, day))
    return ", ".join(str(a) if a == b else f"{a}..{b}" for a, b in ranges)


def reset_state(
    settings: Settings, *, dataset: str | None, start: date | None, clock: Clock | None = None
) -> str:
    """Forget a dataset's state (from `start` on, or all of it), or with no dataset every
    dataset's (the old file is kept as state.json.bak); returns what was done."""
    if dataset is None:
        if start is not None:
            raise ConfigError("--from needs --dataset (which dataset to rewind).")
        return _reset_all(open_state_store(settings, clock=clock))
    if dataset not in DAY_DATASETS:
        raise ConfigError(
            f"--dataset {dataset!r} is not a day-partitioned dataset; use one of "
            f"{', '.join(DAY_DATASETS)}."
        )
    now = (clock or SystemClock()).now()
    store = open_state_store(settings, clock=clock)
    with store.lock():
        store.load()  # an invalid file is what `reset` repairs: do not refuse it here

        def change(state: State) -> None:
            if start is None:
                state.datasets.pop(dataset, None)
            else:
                state.dataset(dataset).reset_from(start)

        store.update(change)
    if start is None:
        return f"{dataset}: state cleared; the next run starts again from export.first_start."
    if start > now.date():
        return f"{dataset}: nothing from {start} on was recorded; state unchanged."
    return f"{dataset}: days from {start} on are due again on the next run."


def _reset_all(store: StateStore) -> str:
    if isinstance(store, DestinationStateStore):
        with store.lock():
            store.reset_all()  # one more (empty) object: the destination's state is append-only
        return f"state cleared in {store.where}; the next run starts from export.first_start."
    with store.lock():
        if not store.path.exists():
            return "no state file; nothing to reset."
        backup = store.path.with_name(store.path.name + ".bak")
        store.path.replace(backup)
    return f"state cleared (the old file is {backup}); the next run starts from export.first_start."
