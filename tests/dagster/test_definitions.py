"""D1: definitions for three orgs build from their config files alone, with no network."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.dagster.conftest import DATASETS, START_DATE, write_config

dg = pytest.importorskip("dagster")

ORGS = ["acme", "globex", "initech"]
DETAILS = ["conversations", "participants", "participant_attributes", "sessions", "segments"]


def test_three_orgs_build_assets_checks_pools_and_partitions_without_network(
    tmp_path: Path, no_genesys_env: None
) -> None:
    from gcexport.dagster import CHECK_NAME, build_definitions

    # port 9 (discard): nothing listens, so any request at build time would fail the test
    paths = {org: str(write_config(org, tmp_path / org, "http://127.0.0.1:9")) for org in ORGS}
    defs = build_definitions(orgs=ORGS, config_paths=paths, start_date=START_DATE)
    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    for org in ORGS:
        assert {f"{org}/{t}" for t in [*DETAILS, "conversation_aggregates", "queue_kpis"]} <= keys
    assert not any(k.endswith(("/queues", "/users")) for k in keys)  # lookups not configured
    assets = {a.node_def.name: a for a in defs.assets or []}  # type: ignore[union-attr]
    assert sorted(assets) == sorted(f"gcexport_{o}_{d}" for o in ORGS for d in DATASETS)
    for name, asset in assets.items():
        org = name.split("_")[1]
        assert asset.op.pool == f"gcexport_{org}"
        assert asset.partitions_def == dg.DailyPartitionsDefinition(start_date=START_DATE)
        assert asset.backfill_policy == dg.BackfillPolicy.multi_run(max_partitions_per_run=31)
        assert asset.can_subset
        checks = {(c.asset_key.to_user_string(), c.name) for c in asset.check_specs}
        assert checks == {(k.to_user_string(), CHECK_NAME) for k in asset.keys}
        assert all(c.blocking for c in asset.check_specs)
    sensor = defs.resolve_sensor_def("gcexport_pending_sensor")
    assert sensor.minimum_interval_seconds == 3600


def test_bad_config_is_a_config_error_at_build_time(tmp_path: Path, no_genesys_env: None) -> None:
    from gcexport.dagster import build_definitions
    from gcexport.errors import ConfigError

    path = write_config("acme", tmp_path, "http://127.0.0.1:9", format="xlsx")
    with pytest.raises(ConfigError, match="format"):
        build_definitions(orgs=["acme"], config_paths={"acme": str(path)}, start_date=START_DATE)
