"""D2, D3: one partition materialized in-process against the org's emulator: row counts equal
the emulator's, `row_parity` passes; a parity fault fails the check and leaves the day
unmaterialized."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from gcexport.engine import Exporter, ExportResult, OrgPartition
from gcexport.errors import ParityError
from tests.dagster.conftest import DAYS, DETAIL_TABLES, START_DATE, RunningClock, serve_orgs

dg = pytest.importorskip("dagster")

from gcexport.dagster import CHECK_NAME, InProcessGcexport, build_gcexport_assets  # noqa: E402


def _materialize(assets: list[Any], resource: InProcessGcexport, day: date) -> Any:
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize(
        assets,
        instance=instance,
        partition_key=day.isoformat(),
        resources={"gcexport": resource},
        raise_on_error=False,
    )
    return result, instance


def test_one_partition_lands_the_emulators_rows_with_parity(
    tmp_path: Path, clock: RunningClock, no_genesys_env: None
) -> None:
    day = DAYS[-1]
    with serve_orgs(tmp_path, ["acme"], clock) as orgs:
        acme = orgs["acme"]
        assets = build_gcexport_assets(
            "acme",
            config_path=acme.config,
            start_date=START_DATE,
            datasets=["conversation_details"],
        )
        resource = InProcessGcexport(config_path=str(acme.config), clock=clock)
        result, instance = _materialize(assets, resource, day)
        truth = acme.truth(day)
    assert result.success
    events = result.get_asset_materialization_events()
    counts = {
        e.asset_key.path[1]: e.materialization.metadata["dagster/partition_row_count"].value
        for e in events
    }
    assert {t: counts[t] for t in DETAIL_TABLES} == truth and truth["conversations"] > 0
    assert {e.materialization.partition for e in events} == {day.isoformat()}
    checks = result.get_asset_check_evaluations()
    assert len(checks) == len(counts) and all(c.passed for c in checks)
    assert {c.check_name for c in checks} == {CHECK_NAME}
    key = dg.AssetKey(["acme", "conversations"])
    assert instance.get_materialized_partitions(key) == {day.isoformat()}


class LossyExporter(Exporter):
    """The real exporter, with the warehouse losing one `participants` row of the day: what a
    parity failure looks like from the engine's side (the outcome, then ParityError)."""

    def export(self, *args: Any, on_commit: Callable[[OrgPartition], None] | None = None, **kwargs: Any) -> ExportResult:  # fmt: skip
        def lossy(outcome: OrgPartition) -> None:
            if outcome.table == "participants":
                lost = (outcome.warehouse_rows or 0) - 1
                outcome = OrgPartition(**{**outcome.__dict__, "warehouse_rows": lost, "parity_ok": False})  # fmt: skip
            assert on_commit is not None
            on_commit(outcome)

        super().export(*args, on_commit=lossy, **kwargs)
        raise ParityError("participants: api 60, files 60, warehouse 59")


class LossyResource(InProcessGcexport):
    def exporter(self, org: str) -> Exporter:
        real = super().exporter(org)
        return LossyExporter(real.settings, org=org, clock=real.clock)


def test_a_parity_fault_fails_the_check_and_the_day_is_not_materialized(
    tmp_path: Path, clock: RunningClock, no_genesys_env: None
) -> None:
    day = DAYS[-1]
    with serve_orgs(tmp_path, ["acme"], clock) as orgs:
        acme = orgs["acme"]
        assets = build_gcexport_assets(
            "acme",
            config_path=acme.config,
            start_date=START_DATE,
            datasets=["conversation_details"],
        )
        resource = LossyResource(config_path=str(acme.config), clock=clock)
        result, instance = _materialize(assets, resource, day)
    assert not result.success
    checks = {c.asset_key.path[1]: c for c in result.get_asset_check_evaluations()}
    assert not checks["participants"].passed
    assert checks["participants"].metadata["failed_days"].value == day.isoformat()
    assert checks["conversations"].passed
    assert instance.get_materialized_partitions(dg.AssetKey(["acme", "participants"])) == set()
    # the other tables of the day did commit with parity: Dagster mirrors exactly that
    assert instance.get_materialized_partitions(dg.AssetKey(["acme", "conversations"])) == {
        day.isoformat()
    }
    failure = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert failure and "ParityError" in str(failure[0].event_specific_data)
