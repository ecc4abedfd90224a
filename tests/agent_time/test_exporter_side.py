"""Exporter side of agent time against the emulator in-process: api paging, transforms, parity with its timelines."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
from pydantic import SecretStr

from gcexport.api import users as users_api
from gcexport.client import GenesysClient, RequestRecord, RetryPolicy
from gcexport.clock import FakeClock
from gcexport.emulator import Emulator, EmulatorConfig
from gcexport.emulator.agents import Status
from gcexport.emulator.wire import to_ms
from gcexport.errors import QueryValidationError
from gcexport.models import Interval
from gcexport.transform.agent_lookups import flatten_agent_lookup, normalise_presence
from gcexport.transform.user_status import aggregate_table, open_start_days, status_tables

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=timezone.utc)
DAY1 = datetime(2026, 3, 2, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def org() -> Iterator[tuple[Emulator, GenesysClient, list[RequestRecord]]]:
    clock = FakeClock(NOW)
    config = EmulatorConfig(
        seed=3, conversations_per_day=300, now=NOW, job_queued_seconds=0, job_pending_seconds=0
    )
    emulator = Emulator(config, clock=clock)
    records: list[RequestRecord] = []
    client = GenesysClient(
        api_url="https://api.emulator.test", login_url="https://login.emulator.test",
        client_id=config.client_id, client_secret=SecretStr(config.client_secret),
        transport=emulator.transport(), clock=clock, retry=RetryPolicy(max_attempts=3),
        requests_per_minute=100_000, on_request=records.append, timeout=10.0,
    )  # fmt: skip
    yield emulator, client, records
    client.close()


def _truth(
    emu: Emulator, start: datetime, end: datetime, now: int
) -> tuple[set[tuple], set[tuple]]:
    """(presence, routing) records starting in [start, end) as the emulator serves them at `now`."""
    lo, hi = to_ms(start), to_ms(end)
    presence: set[tuple] = set()
    routing: set[tuple] = set()
    for user in emu.agents.user_ids():
        line = emu.agents.timeline(user, lo, hi, now)
        presence |= {_key(user, r) for r in line.presence if lo <= r.start < hi}
        routing |= {_key(user, r) for r in line.routing if lo <= r.start < hi}
    return presence, routing


def _key(user: str, r: Status) -> tuple:
    return (user, r.start, r.end, r.value)


def _rows(table, value: str) -> set[tuple]:  # type: ignore[no-untyped-def]
    def ms(t: datetime | None) -> int | None:
        return None if t is None else to_ms(t)

    return {
        (r["user_id"], ms(r["start_time"]), ms(r["end_time"]), r[value]) for r in table.to_pylist()
    }


def test_query_export_of_a_day_equals_the_emulator_row_for_row(org) -> None:  # type: ignore[no-untyped-def]
    emu, client, _ = org
    window = Interval.of(DAY1, DAY1 + timedelta(days=1))
    pages = list(users_api.iter_user_detail_pages(client, window.start, window.end))
    details = [d for p in pages for d in p.items]
    assert len({d["userId"] for d in details}) < len(details)  # users split across pages
    presence, routing = status_tables(details, window, source="query", extracted_at=NOW)
    want_presence, want_routing = _truth(emu, window.start, window.end, to_ms(NOW))
    assert _rows(presence, "system_presence") == want_presence
    assert _rows(routing, "routing_status") == want_routing
    assert presence.num_rows == len(want_presence) > 200
    assert set(presence.column("source").to_pylist()) == {"query"}


def test_open_records_are_provisional_and_found_again_on_their_start_day(org) -> None:  # type: ignore[no-untyped-def]
    emu, client, _ = org
    today = Interval.of(datetime(2026, 3, 4, tzinfo=timezone.utc), NOW)
    details = [
        d for p in users_api.iter_user_detail_pages(client, today.start, today.end) for d in p.items
    ]
    presence, routing = status_tables(details, today, source="query", extracted_at=NOW)
    assert presence.filter(presence["is_open"]).num_rows > 0
    assert open_start_days(presence, routing) == ["2026-03-04"]
    # the never-working users' OFFLINE since 2024 belongs to 2024-01-15, found by a query of that day
    origin = Interval.of(
        datetime(2024, 1, 15, tzinfo=timezone.utc), datetime(2024, 1, 16, tzinfo=timezone.utc)
    )
    old = [
        d
        for p in users_api.iter_user_detail_pages(client, origin.start, origin.end)
        for d in p.items
    ]
    old_presence, _ = status_tables(old, origin, source="query", extracted_at=NOW)
    idle = {u for u in emu.agents.user_ids() if u not in emu.agents.members}
    assert set(old_presence.column("user_id").to_pylist()) == set(emu.agents.user_ids())
    still_open = old_presence.filter(old_presence["is_open"]).column("user_id").to_pylist()
    assert set(still_open) == idle  # members logged in since; the others never did


def test_job_export_matches_the_emulator_as_of_its_watermark(org) -> None:  # type: ignore[no-untyped-def]
    emu, client, records = org
    window = Interval.of(DAY1, DAY1 + timedelta(days=1))
    pages = list(users_api.iter_user_job_pages(client, window.start, window.end, page_size=700))
    assert len(pages) > 2
    details = [d for p in pages for d in p.items]
    presence, routing = status_tables(details, window, source="job", extracted_at=NOW)
    mark = to_ms(datetime(2026, 3, 4, 6, tzinfo=timezone.utc))
    want_presence, want_routing = _truth(emu, window.start, window.end, mark)
    assert _rows(presence, "system_presence") == want_presence
    assert _rows(routing, "routing_status") == want_routing
    assert records[-1].method == "DELETE"
    with pytest.raises(QueryValidationError, match="availability date"):
        list(users_api.iter_user_job_pages(client, DAY1, NOW))


def test_aggregates_are_batched_by_100_users_and_match_the_details(org) -> None:  # type: ignore[no-untyped-def]
    emu, client, records = org
    users = emu.agents.user_ids()
    assert len(users) > 200
    window = Interval.of(DAY1, DAY1 + timedelta(days=1))
    before = len(records)
    pages = list(users_api.iter_user_aggregate_pages(client, window.start, window.end, users))
    posts = [r for r in records[before:] if r.endpoint == users_api.USER_AGGREGATES_PATH]
    assert len(pages) == len(posts) == -(-len(users) // 100)
    table = aggregate_table([p.json() for p in pages], window, granularity="PT30M",
                            time_zone="UTC", extracted_at=NOW)  # fmt: skip
    rows = table.to_pylist()
    assert {r["user_id"] for r in rows} == set(users)
    per_bucket: dict[tuple, int] = {}
    for r in rows:
        if r["metric"] == "tSystemPresence":
            key = (r["user_id"], r["interval_start"])
            per_bucket[key] = per_bucket.get(key, 0) + r["sum_ms"]
    assert set(per_bucket.values()) == {1_800_000}
    assert len(per_bucket) == 48 * len(users)
    org_rows = [r for r in rows if r["metric"] == "tOrganizationPresence"]
    assert org_rows and all(r["qualifier_system_presence"] for r in org_rows)


def test_dims_pack_tables(org) -> None:  # type: ignore[no-untyped-def]
    emu, client, records = org
    defs = [e for p in users_api.iter_presence_definitions(client) for e in p.items]
    table = flatten_agent_lookup("presence_definitions", defs)
    by_id = {r["id"]: r for r in table.to_pylist()}
    on_queue = by_id["e08eaf1b-ee47-4fa9-a231-1200e284798f"]
    assert (on_queue["definition_system_presence"], on_queue["system_presence"]) == (
        "OnQueue",
        "ON_QUEUE",
    )
    assert [normalise_presence(v) for v in ("On Queue", "Available", "ON_QUEUE")] == [
        "ON_QUEUE", "AVAILABLE", "ON_QUEUE"]  # fmt: skip
    before = len(records)
    teams = [e for p in users_api.iter_teams(client, page_size=3) for e in p.items]
    assert len(teams) == 7 and len(records) - before == 3
    queue = emu.backend.org.queues[0]
    members = [
        {**e, "queueId": queue.id}
        for p in users_api.iter_queue_members(client, queue.id)
        for e in p.items
    ]
    member_table = flatten_agent_lookup("queue_members", members)
    assert member_table.column("user_id").to_pylist() == list(queue.member_ids)
    for name, pages in (("skills", users_api.iter_skills(client)), ("divisions", users_api.iter_divisions(client)),
                        ("groups", users_api.iter_groups(client)), ("teams", iter([]))):  # fmt: skip
        table = flatten_agent_lookup(name, [e for p in pages for e in p.items])
        assert table.num_rows == {"skills": 12, "divisions": 3, "groups": 5, "teams": 0}[name]
