"""An ephemeral worker resumes from the destination's state; the org lease refuses a second run."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from gcexport.clock import FakeClock
from gcexport.sinks.storage import LocalStorage
from gcexport.state.destination import DestinationStateStore
from tests.conftest import TEST_NOW, run_cli
from tests.pipeline.conftest import Served

DATASET = "conversation_aggregates"
DESTINATION = ("--set", 'state.backend="destination"')
INCREMENTAL = ("--set", 'export.first_start="P3D"', "--set", 'export.lookback="PT0S"')


def _export(served: Served, out: Path, workdir: Path, *args: str):  # type: ignore[no-untyped-def]
    workdir.mkdir(parents=True, exist_ok=True)
    common = ["export", "--out", str(out), "--state-dir", str(workdir / "state"), "--quiet"]
    common += ["--requests-per-minute", "6000", "--dataset", DATASET, "--json"]
    return run_cli([*common, *args], cwd=workdir, env=served.env(), timeout=240)


def _aggregate_requests(served: Served) -> int:
    return sum(1 for r in served.emulator.requests if r.path.endswith("/aggregates/query"))


def test_a_fresh_worker_redoes_no_final_day(served: Served, tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = _export(served, out, tmp_path / "a", *DESTINATION, *INCREMENTAL)
    assert first.code == 0, first.stderr
    done = json.loads(first.stdout)
    first_days = {w.split("T")[0] for w in done["windows"][DATASET]}
    provisional = {p.split(":")[1] for p in done["provisional"]}
    assert len(first_days) == 4 and provisional and provisional < first_days
    assert not (tmp_path / "a" / "state" / "state.json").exists()  # the state is in `out`
    objects = list((out / "_gcexport_state" / "org=default").glob("state-*.json"))
    assert len(objects) >= 2
    requests_a = _aggregate_requests(served)

    # worker B: another working directory, no local state at all
    second = _export(served, out, tmp_path / "b", *DESTINATION, *INCREMENTAL)
    assert second.code == 0, second.stderr
    again = {w.split("T")[0] for w in json.loads(second.stdout)["windows"][DATASET]}
    assert again == provisional
    per_day = requests_a // len(first_days)
    assert _aggregate_requests(served) - requests_a == per_day * len(provisional)
    # the local backend in a fresh folder would have started over
    third = _export(served, out, tmp_path / "c", *INCREMENTAL)
    assert third.code == 0, third.stderr
    assert {w.split("T")[0] for w in json.loads(third.stdout)["windows"][DATASET]} == first_days


def test_the_org_lease_refuses_a_second_process_and_expires(served: Served, tmp_path: Path) -> None:
    out = tmp_path / "out"
    clock = FakeClock(TEST_NOW)
    holder = DestinationStateStore(
        tmp_path / "h", LocalStorage(out), org=None, clock=clock, ttl=timedelta(hours=6)
    )
    day = str((TEST_NOW - timedelta(days=3)).date())
    window = ("--start", day, "--end", str((TEST_NOW - timedelta(days=2)).date()))
    with holder.lock():
        refused = _export(served, out, tmp_path / "a", *DESTINATION, *window)
    assert refused.code == 1
    assert "is leased by another gcexport run" in refused.stderr and "retry later" in refused.stderr
    assert not list(out.rglob("date=*"))  # refused before any data was written
    # a holder killed 7 hours ago (its lease outlived it): the TTL of 6 hours has passed
    killed = DestinationStateStore(
        tmp_path / "k",
        LocalStorage(out),
        org=None,
        clock=FakeClock(TEST_NOW - timedelta(hours=7)),
        ttl=timedelta(hours=6),
    )
    left = killed.lock()
    left.__enter__()
    done = _export(served, out, tmp_path / "b", *DESTINATION, *window)
    assert done.code == 0, done.stderr
    assert not (out / "_gcexport_state" / "org=default" / "lease.json").exists()
