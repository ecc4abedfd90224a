"""The agent-time tables through every sink of the contract suite (local, S3, DuckDB, Snowflake)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from gcexport.clock import FakeClock
from gcexport.emulator import Emulator, EmulatorConfig
from gcexport.emulator.facts import buckets, parse_zone
from gcexport.emulator.useraggregates import USER_METRICS, UserAggregateQuery, compute, render
from gcexport.emulator.userstatus import PRESENCE_KIND, ROUTING_KIND, user_details
from gcexport.emulator.wire import to_ms
from gcexport.models import Interval
from gcexport.transform.agent_kpis import agent_daily_status
from gcexport.transform.user_status import aggregate_table, status_tables
from tests.sinks.sink_targets import FileTarget, WarehouseTarget

NOW = datetime(2026, 3, 4, 12, tzinfo=timezone.utc)
DAY = date(2026, 3, 3)


@pytest.fixture(scope="module")
def agent_tables() -> dict[str, pa.Table]:
    emu = Emulator(EmulatorConfig(seed=5, conversations_per_day=100, now=NOW), clock=FakeClock(NOW))
    start = datetime(2026, 3, 3, tzinfo=timezone.utc)
    lo, hi, now = to_ms(start), to_ms(start + timedelta(days=1)), to_ms(NOW)
    entries = []
    for user in emu.agents.user_ids()[:60]:
        line = emu.agents.timeline(user, lo, hi, now)
        entries += [(user, PRESENCE_KIND, r) for r in line.presence]
        entries += [(user, ROUTING_KIND, r) for r in line.routing]
    window = Interval.of(start, start + timedelta(days=1))
    presence, routing = status_tables(
        user_details(entries), window, source="query", extracted_at=NOW
    )
    intervals = buckets(lo, hi, "PT30M", parse_zone("UTC"))
    query = UserAggregateQuery(lo, hi, intervals, ("userId",), USER_METRICS, None)
    response = render(query, *compute(emu.agents, query, now))
    aggregates = aggregate_table(
        [response], window, granularity="PT30M", time_zone="UTC", extracted_at=NOW
    )
    everything = Interval.of(datetime(2000, 1, 1, tzinfo=timezone.utc), start + timedelta(days=1))
    all_p, all_r = status_tables(
        user_details(entries), everything, source="query", extracted_at=NOW
    )
    kpis = agent_daily_status(all_p.to_pylist(), all_r.to_pylist(), day=DAY, now=NOW)
    return {"user_presence": presence, "user_routing_status": routing,
            "user_status_aggregates": aggregates, "agent_daily_status": kpis}  # fmt: skip


@pytest.mark.parametrize(
    "name", ["user_presence", "user_routing_status", "user_status_aggregates", "agent_daily_status"]
)
def test_agent_tables_load_and_reload_with_parity(
    target: FileTarget | WarehouseTarget, agent_tables: dict[str, pa.Table], name: str
) -> None:
    table = agent_tables[name]
    assert table.num_rows > 50
    half = table.num_rows // 2
    assert (
        target.load(name, DAY, [table.slice(0, half), table.slice(half)], table.schema)
        == table.num_rows
    )
    assert target.load(name, DAY, [table], table.schema) == table.num_rows  # replaced, not appended
    assert target.count(name, DAY) == table.num_rows
    if isinstance(target, WarehouseTarget) and name == "user_status_aggregates":
        ((total,),) = target.wh.query(f'SELECT SUM("sum_ms") FROM "{name}"')
        assert int(total) == pc.sum(table["sum_ms"]).as_py()
