"""Incremental state is right by construction: random sequences of runs against a model of Genesys.

Each step is a run (or a clock advance): a random subset of datasets, the days the real state
plans (`DatasetState.due`), finished in a random order, cut short by a failure or a kill, each day
judged by the real finality rule (`datasets.finality`) and recorded by the real
`DatasetState.record_day`, the state saved and reloaded through JSON between runs. The model knows
the truth — when each day's data stops changing (late-arriving conversations land until the
availability watermark passes the day, open conversations change their day until they end,
aggregates settle a few hours after the day) — and after every step checks:

- every day of a dataset's history is either final, and was last exported after it stopped
  changing, or not final and due in the next run (nothing is skipped);
- a final day is exported again only inside the look-back before the mark;
- the provisional and out-of-order sets stay within the days a run could have exported.

Seeded and bounded: a failure prints the falsifying steps and reproduces with the same seed.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from gcexport.datasets.conversation_aggregates import AGGREGATES
from gcexport.datasets.conversation_details import DETAILS, LIVE_GRACE
from gcexport.datasets.registry import finality
from gcexport.datasets.reporting_exports import REPORTS
from gcexport.state import DatasetState, State
from gcexport.timespan import Window, plan_days

UTC = timezone.utc
DATASETS = (DETAILS, AGGREGATES, REPORTS)
LOOKBACK = timedelta(hours=6)
SETTLE = timedelta(hours=6)
FIRST_START = timedelta(days=3)
START = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


@dataclass
class World:
    """Genesys as the exporter cannot see it: when each day's data stops changing."""

    rng: random.Random
    now: datetime = START
    lag: timedelta = timedelta(hours=6)
    watermark: datetime = START - timedelta(hours=6)
    live_until: dict[date, datetime] = field(default_factory=dict)  # open conversations end

    def advance(self, hours: int) -> None:
        self.now += timedelta(hours=hours)
        self.lag = timedelta(hours=self.rng.randint(1, 12))
        self.watermark = max(self.watermark, self.now - self.lag)  # it never goes back

    def open_conversations(self, day: date) -> datetime:
        """Some days have conversations that stay open for up to three days after the day."""
        if day not in self.live_until:
            end = Window.for_day(day).end
            hours = self.rng.choice([0, 0, 0, 5, 30, 72])
            self.live_until[day] = end + timedelta(hours=hours)
        return self.live_until[day]

    def stable_at(self, dataset: str, day: date) -> datetime:
        """From this instant on, the day's data no longer changes."""
        end = Window.for_day(day).end
        if dataset == DETAILS:
            # late conversations land until the data lake holds the day; open ones change it
            # until they end (the model keeps them shorter than LIVE_GRACE)
            return max(end + timedelta(hours=12), self.open_conversations(day))
        return end + SETTLE  # aggregates and reports: near real time, settled after SETTLE

    def live(self, day: date) -> bool:
        return self.open_conversations(day) > self.now


@dataclass
class Ledger:
    exports: dict[tuple[str, date], list[datetime]] = field(default_factory=dict)
    begin: dict[str, date] = field(default_factory=dict)  # where each dataset's history starts


def _reload(state: State) -> State:
    payload = json.loads(json.dumps({k: v.to_json() for k, v in state.datasets.items()}))
    return State({k: DatasetState.from_json(v) for k, v in payload.items()})


def _watermark_for_details(world: World) -> datetime:
    # The model's watermark only passes a day once its late conversations have landed: the
    # data lake holds a day 12 hours after it ends at the earliest.
    return min(world.watermark, world.now - timedelta(hours=12))


def _run(world: World, state: State, ledger: Ledger, step: dict[str, object]) -> None:
    datasets = [d for d in DATASETS if d in step["datasets"]]  # type: ignore[operator]
    backfill = step.get("backfill")
    tasks: list[tuple[str, Window]] = []
    planned_final: dict[tuple[str, date], datetime | None] = {}
    for dataset in datasets:
        ds = state.dataset(dataset)
        if backfill is not None:
            first, days = backfill  # type: ignore[misc]
            start = datetime.combine(
                world.now.date() - timedelta(days=first), datetime.min.time(), UTC
            )
            windows = plan_days(start, min(start + timedelta(days=days), world.now))
        else:
            windows = ds.due(now=world.now, lookback=LOOKBACK, first_start=world.now - FIRST_START)
            if windows and ds.final_through is None:
                ds.start_at(windows[0].day)
                ledger.begin[dataset] = windows[0].day
        for window in windows:
            if backfill is None and ds.is_final(window.day):
                planned_final[(dataset, window.day)] = ds.final_through
            tasks.append((dataset, window))
    order = list(range(len(tasks)))
    random.Random(step["order_seed"]).shuffle(order)  # type: ignore[arg-type]
    stop_after = step.get("stop_after")  # a failure or a kill: later days never finish
    for position, index in enumerate(order):
        if stop_after is not None and position >= stop_after:  # type: ignore[operator]
            break
        dataset, window = tasks[index]
        key = (dataset, window.day)
        if key in planned_final:  # a final day again: only inside the look-back before the mark
            mark = planned_final[key]
            assert mark is not None and window.start >= mark - LOOKBACK - timedelta(days=1), (
                f"{dataset} {window.day} was final and re-exported outside the look-back"
            )
        ledger.exports.setdefault(key, []).append(world.now)
        final = finality(
            dataset,
            window,
            now=world.now,
            watermark=_watermark_for_details(world),
            settle=SETTLE,
            live=dataset == DETAILS and world.live(window.day),
        )
        state.dataset(dataset).record_day(window, final=final)


def _check(world: World, state: State, ledger: Ledger) -> None:
    today = world.now.date()
    for dataset, ds in state.datasets.items():
        if ds.final_through is None:
            continue
        due = {
            w.day
            for w in ds.due(now=world.now, lookback=LOOKBACK, first_start=world.now - FIRST_START)
        }
        day = ledger.begin[dataset]
        while day <= today:
            key = (dataset, day)
            if ds.is_final(day):
                assert key in ledger.exports, f"{dataset} {day} is final but was never exported"
                last = ledger.exports[key][-1]
                assert last >= world.stable_at(dataset, day), (
                    f"{dataset} {day} is final but its last export ({last}) came before its "
                    f"data stopped changing ({world.stable_at(dataset, day)})"
                )
            else:
                assert day in due, f"{dataset} {day} is neither final nor due (skipped)"
                settled = world.stable_at(dataset, day) + timedelta(hours=12)  # watermark lag
                exported = ledger.exports.get(key, [])
                assert not exported or exported[-1] < settled, (
                    f"{dataset} {day} was exported at {exported[-1]}, long after it settled, "
                    "yet is still provisional (it would be re-exported for ever)"
                )
            day += timedelta(days=1)
        horizon = (world.now - FIRST_START - timedelta(days=40)).date()
        assert all(horizon <= d <= today for d in ds.provisional | ds.final_days)
        assert all(d > ds.final_through.date() for d in ds.final_days)
        assert len(ds.provisional) <= (today - ds.final_through.date()).days + 1 + LIVE_GRACE.days


steps = st.lists(
    st.one_of(
        st.fixed_dictionaries(
            {
                "datasets": st.sets(st.sampled_from(DATASETS), min_size=1),
                "order_seed": st.integers(0, 2**16),
                "stop_after": st.none() | st.integers(0, 8),
                "advance": st.integers(0, 30),
            },
            optional={"backfill": st.tuples(st.integers(1, 12), st.integers(1, 4))},
        ),
        st.fixed_dictionaries({"advance": st.integers(1, 72)}),
    ),
    min_size=1,
    max_size=25,
)


@seed(20261201)
@settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(steps, st.integers(0, 2**16))
def test_random_runs_keep_every_day_final_or_due(
    run_steps: list[dict[str, object]], world_seed: int
) -> None:
    world = World(random.Random(world_seed))
    state, ledger = State(), Ledger()
    for step in run_steps:
        if "datasets" in step:
            _run(world, state, ledger, step)
            state = _reload(state)  # every run reads what the last one saved
            _check(world, state, ledger)
        world.advance(int(step["advance"]))  # type: ignore[call-overload]
        _check(world, state, ledger)
