"""Each `[[aggregates]]` query keeps its own name, even when two differ only in their name."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb

from gcexport.clock import FakeClock
from gcexport.datasets.settings import load_settings
from gcexport.emulator import Emulator, EmulatorConfig
from gcexport.run import ExportRequest, run_export

UTC = timezone.utc
NOW = datetime(2026, 3, 12, 12, tzinfo=UTC)
DAY = datetime(2026, 3, 10, tzinfo=UTC)
TWINS = {"metrics": ["nOffered"], "group_by": ["queueId"], "granularity": "P1D"}


def test_two_queries_that_differ_only_in_name_keep_their_names(tmp_path: Path) -> None:
    clock = FakeClock(NOW)
    emulator = Emulator(EmulatorConfig(seed=3, conversations_per_day=40, rate_limit=0), clock=clock)
    settings = load_settings(
        env={
            "GENESYS_CLIENT_ID": "emulator-client",
            "GENESYS_CLIENT_SECRET": "emulator-secret",
            "GENESYS_API_URL": "https://api.test",
            "GENESYS_LOGIN_URL": "https://login.test",
        },
        dotenv_path=None,
        overrides={
            "export": {
                "out": str(tmp_path / "out"),
                "state_dir": str(tmp_path / "state"),
                "datasets": ["conversation_aggregates"],
                "workers": 1,
            },
            "aggregates": [{"name": "first", **TWINS}, {"name": "second", **TWINS}],
        },
    )
    summary = run_export(
        settings,
        ExportRequest(DAY, DAY + timedelta(days=1)),
        transport=emulator.transport(),
        clock=clock,
    )
    assert summary.parity_ok
    with duckdb.connect(str(tmp_path / "out" / "gcexport.duckdb"), read_only=True) as con:
        counts = dict(
            con.execute(
                "select query_name, count(*) from conversation_aggregates group by 1"
            ).fetchall()
        )
    assert set(counts) == {"first", "second"}
    assert counts["first"] == counts["second"] > 0
