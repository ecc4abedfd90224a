"""State in the destination: append-only objects (latest wins), the org lease and its TTL."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from gcexport.clock import FakeClock
from gcexport.datasets.settings import load_settings
from gcexport.errors import LockedError, StateError
from gcexport.sinks.storage import LocalStorage
from gcexport.state import DayOutcome, StateStore, pending_days
from gcexport.state.destination import DestinationStateStore, open_state_store
from gcexport.timespan import Window

NOW = datetime(2026, 6, 10, 9, 0, tzinfo=timezone.utc)
TTL = timedelta(hours=1)


def _store(
    tmp_path: Path, clock: FakeClock, org: str | None = "acme", cache: str = "a"
) -> DestinationStateStore:
    return DestinationStateStore(
        tmp_path / cache, LocalStorage(tmp_path / "out"), org=org, clock=clock, ttl=TTL
    )


def test_every_save_is_a_new_object_and_the_latest_wins(tmp_path: Path) -> None:
    clock = FakeClock(NOW)
    store = _store(tmp_path, clock)
    days = [date(2026, 6, 7), date(2026, 6, 8), date(2026, 6, 9)]
    store.update(lambda s: s.dataset("conversation_details").start_at(days[0]))
    for day, final in zip(days, (True, True, False), strict=True):
        store.record(DayOutcome("acme", "conversation_details", Window.for_day(day), final))
    folder = tmp_path / "out" / "_gcexport_state" / "org=acme"
    names = sorted(p.name for p in folder.iterdir())
    assert len(names) == 4 and all(n.startswith("state-") for n in names)
    assert [n.split("-")[1] for n in names] == [
        "0000000001",
        "0000000002",
        "0000000003",
        "0000000004",
    ]
    first = json.loads((folder / names[0]).read_text())
    assert first["org"] == "acme" and first["datasets"]["conversation_details"]["provisional"] == []
    # a fresh worker (another cache folder, nothing local) reads the same state back
    again = _store(tmp_path, clock, cache="b").load(now=NOW)
    ds = again.dataset("conversation_details")
    assert ds.final_through == datetime(2026, 6, 9, tzinfo=timezone.utc)
    assert ds.provisional == {date(2026, 6, 9)}
    pending = _store(tmp_path, clock, cache="c").pending(
        "acme",
        "conversation_details",
        now=NOW,
        lookback=timedelta(0),
        first=NOW - timedelta(days=3),
    )
    assert pending == [date(2026, 6, 9), date(2026, 6, 10)]
    assert not (tmp_path / "b" / "state.json").exists()


def test_orgs_keep_apart_and_a_store_refuses_another_orgs_record(tmp_path: Path) -> None:
    clock = FakeClock(NOW)
    acme, globex = _store(tmp_path, clock), _store(tmp_path, clock, org="globex")
    acme.record(DayOutcome("acme", "lookups", Window.for_day(date(2026, 6, 9)), False))
    assert globex.load().datasets == {}
    with pytest.raises(StateError, match="org 'acme'"):
        acme.record(DayOutcome("globex", "lookups", Window.for_day(date(2026, 6, 9)), False))


def test_the_lease_refuses_a_second_holder_until_released_or_expired(tmp_path: Path) -> None:
    clock = FakeClock(NOW)
    first, second = _store(tmp_path, clock), _store(tmp_path, clock, cache="b")
    lease = tmp_path / "out" / "_gcexport_state" / "org=acme" / "lease.json"
    with first.lease("acme", TTL):
        assert lease.is_file()
        with pytest.raises(
            LockedError, match=r"Org 'acme' is leased by another gcexport run .* retry later\."
        ):
            second.lock().__enter__()
        other_org = _store(tmp_path, clock, org="globex", cache="g")
        with other_org.lock():  # another org is never blocked
            pass
    assert not lease.exists()
    with second.lock():
        pass
    # a holder killed while holding it: the lease stays until its TTL has passed
    killed = first.lock()  # entered and never left, like a process killed while holding it
    killed.__enter__()
    clock.advance(TTL.total_seconds() - 1)
    with pytest.raises(LockedError):
        second.lock().__enter__()
    clock.advance(1)
    with second.lock():
        assert json.loads(lease.read_text())["expires_at"] == (NOW + 2 * TTL).isoformat()
        # each save renews the lease: a long run keeps it past its first TTL
        clock.advance(TTL.total_seconds() - 1)
        second.update(lambda s: s.dataset("lookups"))
        clock.advance(2)
        with pytest.raises(LockedError):
            first.lock().__enter__()
    assert not lease.exists()


def test_a_corrupt_state_object_is_a_state_error(tmp_path: Path) -> None:
    folder = tmp_path / "out" / "_gcexport_state" / "org=acme"
    folder.mkdir(parents=True)
    (folder / "state-0000000001-abcd.json").write_text("{not json")
    with pytest.raises(StateError, match="is corrupt"):
        _store(tmp_path, FakeClock(NOW)).load()


def test_settings_pick_the_backend_and_the_org_folder(tmp_path: Path) -> None:
    toml = tmp_path / "gcexport.toml"
    toml.write_text(
        f'[export]\nout = "{tmp_path / "out"}"\nstate_dir = "{tmp_path / "st"}"\n'
        '[orgs.acme]\nregion = "eu_west_1"\n',
        encoding="utf-8",
    )
    local = open_state_store(load_settings(toml, env={}, dotenv_path=None, org="acme"))
    assert type(local) is StateStore and local.path == tmp_path / "st" / "org=acme" / "state.json"
    settings = load_settings(
        toml, env={}, dotenv_path=None, org="acme", overrides={"state": {"backend": "destination"}}
    )
    store = open_state_store(settings, clock=FakeClock(NOW))
    assert isinstance(store, DestinationStateStore) and store.prefix == "_gcexport_state/org=acme"
    store.update(lambda s: s.dataset("conversation_aggregates").start_at(date(2026, 6, 8)))
    days = pending_days(
        settings.model_copy(
            update={"export": settings.export.model_copy(update={"lookback": "PT0S"})}
        ),
        "conversation_aggregates",
        clock=FakeClock(NOW),
    )
    assert days == [date(2026, 6, 8), date(2026, 6, 9), date(2026, 6, 10)]
