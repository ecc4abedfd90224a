"""Agent KPIs: a worked example, and the daily KPIs from the details equal those from P1D aggregates."""

from __future__ import annotations

from datetime import date, datetime, timezone

from hypothesis import HealthCheck, given, settings

from gcexport.emulator.facts import buckets, parse_zone
from gcexport.emulator.useraggregates import USER_METRICS, UserAggregateQuery, bucket_sums, render
from gcexport.emulator.userstatus import PRESENCE_KIND, ROUTING_KIND, user_details
from gcexport.emulator.wire import DAY_MS, from_ms
from gcexport.models import Interval
from gcexport.transform.agent_kpis import agent_daily_status, agent_interval_status
from gcexport.transform.user_status import aggregate_table, status_tables
from tests.agent_time.test_identities import BASE, USER, Schedule, _timeline, schedules

UTC = timezone.utc


def _at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, 3, hour, minute, tzinfo=UTC)


def test_a_worked_day() -> None:
    presence = [
        {"user_id": "a", "start_time": datetime(2026, 3, 1, 18, tzinfo=UTC), "end_time": _at(8), "system_presence": "OFFLINE"},
        {"user_id": "a", "start_time": _at(8), "end_time": _at(8, 2), "system_presence": "AVAILABLE"},
        {"user_id": "a", "start_time": _at(8, 2), "end_time": _at(12), "system_presence": "ON_QUEUE"},
        {"user_id": "a", "start_time": _at(12), "end_time": _at(12, 30), "system_presence": "MEAL"},
        {"user_id": "a", "start_time": _at(12, 30), "end_time": _at(16, 2), "system_presence": "ON_QUEUE"},
        {"user_id": "a", "start_time": _at(16, 2), "end_time": None, "system_presence": "OFFLINE"},
    ]  # fmt: skip
    routing = [
        {"user_id": "a", "start_time": _at(8, 2), "end_time": _at(9), "routing_status": "IDLE"},
        {"user_id": "a", "start_time": _at(9), "end_time": _at(12), "routing_status": "INTERACTING"},
        {"user_id": "a", "start_time": _at(12, 30), "end_time": _at(16, 2), "routing_status": "IDLE"},
    ]  # fmt: skip
    row = agent_daily_status(presence, routing, day=date(2026, 3, 3), now=_at(20)).to_pylist()[0]
    assert (row["login_at"], row["logout_at"]) == (_at(8), _at(16, 2))
    assert row["logged_in_ms"] == 8 * 3_600_000 + 2 * 60_000
    assert row["on_queue_ms"] == (3 * 60 + 58 + 3 * 60 + 32) * 60_000  # 7 h 30 min
    assert row["interacting_ms"] == 3 * 3_600_000 and row["idle_ms"] == (58 + 3 * 60 + 32) * 60_000
    assert row["occupancy"] == 3 / 7.5
    assert row["utilisation"] == 450 / 482


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schedules())
def test_daily_kpis_from_details_equal_those_from_daily_aggregates(
    schedule: Schedule,
) -> None:
    before, _, _, now, _, _ = schedule
    line = _timeline(schedule)
    entries = [(USER, PRESENCE_KIND, r) for r in line.presence] + [
        (USER, ROUTING_KIND, r) for r in line.routing
    ]
    presence, routing = status_tables(user_details(entries), Interval.of(from_ms(before), from_ms(now + 1)),
                                      source="query", extracted_at=from_ms(now))  # fmt: skip
    day = from_ms(BASE).date()
    daily = agent_daily_status(presence.to_pylist(), routing.to_pylist(), day=day, now=from_ms(now))
    lo, hi = BASE, BASE + DAY_MS
    intervals = buckets(lo, hi, "P1D", parse_zone("UTC"))
    records = [("presence", r) for r in line.presence] + [("routing", r) for r in line.routing]
    response = render(
        UserAggregateQuery(lo, hi, intervals, ("userId",), USER_METRICS, None),
        {(USER,): bucket_sums(records, intervals, USER_METRICS, now)},  # type: ignore[dict-item]
        {},
    )
    table = aggregate_table([response], Interval.of(from_ms(lo), from_ms(hi)), granularity="P1D",
                            time_zone="UTC", extracted_at=from_ms(now))  # fmt: skip
    per_interval = agent_interval_status(table.to_pylist()).to_pylist()
    drop = {
        "user_id",
        "day",
        "login_at",
        "logout_at",
        "interval_start",
        "interval_end",
        "partition_date",
    }
    from_details = [{k: v for k, v in r.items() if k not in drop} for r in daily.to_pylist()]
    from_aggregates = [{k: v for k, v in r.items() if k not in drop} for r in per_interval]
    if now <= lo:
        assert from_aggregates == []
    else:
        assert from_details == from_aggregates
