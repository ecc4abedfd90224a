"""With an org, a warehouse replaces and counts `(org, partition_date)` only; its state and lease
work on S3 as on local disk."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pyarrow as pa
import pytest

from gcexport.clock import FakeClock
from gcexport.errors import LockedError
from gcexport.orgs import with_org
from gcexport.sinks import Warehouse, open_file_sink
from gcexport.state import DayOutcome
from gcexport.state.destination import DestinationStateStore
from gcexport.timespan import Window

DAY = date(2026, 6, 9)
SCHEMA = pa.schema([("id", pa.string()), ("partition_date", pa.date32())])


def _rows(org: str | None, n: int, day: date = DAY) -> pa.Table:
    table = pa.table(
        {"id": [f"{org}-{i}" for i in range(n)], "partition_date": [day] * n}, schema=SCHEMA
    )
    return with_org(table, org)


def test_orgs_replace_and_count_only_their_own_rows(warehouse: Warehouse) -> None:
    def load(org: str, n: int, day: date = DAY) -> int:
        warehouse.org = org
        rows = _rows(org, n, day)
        return warehouse.replace_partition("facts", day, [rows], rows.schema)

    assert load("acme", 3) == 3 and load("globex", 5) == 5
    assert load("acme", 2) == 2  # acme again: globex's rows stay
    assert load("acme", 4, DAY + timedelta(days=1)) == 4
    warehouse.org = "globex"
    assert warehouse.count_rows("facts", DAY) == 5
    warehouse.org = "acme"
    assert (warehouse.count_rows("facts", DAY), warehouse.count_rows("facts")) == (2, 6)
    snapshot = with_org(pa.table({"id": ["q1"]}), "acme")
    warehouse.replace_table("queues", [snapshot], snapshot.schema)
    warehouse.org = "globex"
    other = with_org(pa.table({"id": ["q2", "q3"]}), "globex")
    warehouse.replace_table("queues", [other], other.schema)
    warehouse.org = None
    assert warehouse.count_rows("facts", DAY) == 7 and warehouse.count_rows("queues") == 3
    got = warehouse.query("select org, count(*) from facts group by org order by org")
    assert [tuple(r) for r in got] == [("acme", 6), ("globex", 5)]


def test_destination_state_and_lease_on_s3(s3_bucket: str, tmp_path: Path) -> None:
    storage = open_file_sink(f"s3://{s3_bucket}/exports").storage
    clock = FakeClock(datetime(2026, 6, 10, 9, tzinfo=timezone.utc))
    ttl = timedelta(hours=1)
    one = DestinationStateStore(tmp_path / "a", storage, org="acme", clock=clock, ttl=ttl)
    two = DestinationStateStore(tmp_path / "b", storage, org="acme", clock=clock, ttl=ttl)
    with one.lock():
        with pytest.raises(LockedError, match="Org 'acme' is leased"), two.lock():
            pass
        one.record(DayOutcome("acme", "lookups", Window.for_day(DAY), False))
        one.record(DayOutcome("acme", "lookups", Window.for_day(DAY), True))
    names = storage.list_files("_gcexport_state/org=acme")
    assert len([n for n in names if n.startswith("state-")]) == 2 and "lease.json" not in names
    assert two.load().dataset("lookups").final_days == {DAY}
    with two.lock():
        assert "lease.json" in storage.list_files("_gcexport_state/org=acme")
