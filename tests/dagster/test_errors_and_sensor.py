"""D6: gcexport's typed errors as Dagster's retry semantics; D7: the pending sensor requests
exactly the new and provisional days gcexport's state names."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from gcexport.engine import Exporter
from gcexport.errors import ConfigError, LockedError, ParityError, ServerError
from gcexport.state import StateStore
from tests.dagster.conftest import DAYS, NOON, START_DATE, RunningClock, serve_orgs, write_config

dg = pytest.importorskip("dagster")

from gcexport.dagster import (  # noqa: E402
    GcexportResource,
    InProcessGcexport,
    build_definitions,
    build_gcexport_assets,
    to_dagster_error,
)

RESOURCE = GcexportResource(retry_seconds=7, locked_retry_seconds=120, max_retries=4)


def test_bad_input_is_a_failure_dagster_never_retries() -> None:
    failure = to_dagster_error(ConfigError("export.format must be parquet"), RESOURCE)
    assert isinstance(failure, dg.Failure) and failure.allow_retries is False
    assert failure.description == "export.format must be parquet"
    assert failure.metadata["gcexport/error"].value == "ConfigError"
    assert failure.metadata["gcexport/exit_code"].value == 2


def test_retryable_errors_request_a_retry_and_a_held_org_waits_longer() -> None:
    server = to_dagster_error(ServerError("503"), RESOURCE)
    locked = to_dagster_error(LockedError("held"), RESOURCE)
    assert isinstance(server, dg.RetryRequested) and isinstance(locked, dg.RetryRequested)
    assert (server.max_retries, server.seconds_to_wait) == (4, 7)
    assert (locked.max_retries, locked.seconds_to_wait) == (4, 120)
    parity = to_dagster_error(ParityError("lost"), RESOURCE)
    assert isinstance(parity, dg.Failure) and parity.allow_retries is True
    bug = ValueError("a bug")
    assert to_dagster_error(bug, RESOURCE) is bug


def _events(result: Any, kind: str) -> list[Any]:
    return [e for e in result.all_events if e.event_type_value == kind]


def test_a_held_org_is_retried_and_bad_credentials_never_are(
    tmp_path: Path, clock: RunningClock, no_genesys_env: None
) -> None:
    day = DAYS[-1].isoformat()
    with serve_orgs(tmp_path, ["acme"], clock) as orgs:
        acme = orgs["acme"]
        policy = dg.RetryPolicy(max_retries=2)
        assets = build_gcexport_assets(
            "acme", config_path=acme.config, start_date=START_DATE,
            datasets=["conversation_aggregates"], retry_policy=policy,
        )  # fmt: skip
        resource = InProcessGcexport(
            config_path=str(acme.config), clock=clock, max_retries=1, locked_retry_seconds=0
        )
        with StateStore(acme.root / "state").lock():  # another run holds this org's state
            held = dg.materialize(
                assets, partition_key=day, resources={"gcexport": resource}, raise_on_error=False
            )
        # the same org with a malformed client id: bad input, whatever the retry policy says
        bad = write_config("acme", tmp_path / "bad", acme.base_url)
        bad.write_text(bad.read_text().replace('"acme-client"', '"acme client"'))
        broken = InProcessGcexport(config_path=str(bad), clock=clock)
        refused = dg.materialize(
            assets, partition_key=day, resources={"gcexport": broken}, raise_on_error=False
        )
        assert acme.emulator.requests == []  # neither run reached the API
    assert not held.success and len(_events(held, "STEP_UP_FOR_RETRY")) == 1
    assert not _events(held, "ASSET_MATERIALIZATION")
    assert not refused.success and _events(refused, "STEP_UP_FOR_RETRY") == []
    failure = _events(refused, "STEP_FAILURE")[0].event_specific_data
    assert "GENESYS_CLIENT_ID is malformed" in str(failure)
    assert failure.error_source is None or "CredentialsError" in str(failure)


def test_the_sensor_requests_new_and_provisional_days_only(
    tmp_path: Path, clock: RunningClock, no_genesys_env: None
) -> None:
    with serve_orgs(tmp_path, ["acme", "globex"], clock) as orgs:
        acme = orgs["acme"]
        exporter = Exporter.from_config(acme.config, org="acme", clock=clock)
        # acme has two days: the day before yesterday final, yesterday still provisional
        # (its watermark, now minus 13 h, is before yesterday's end)
        acme.emulator.config.__dict__["availability_lag"] = timedelta(hours=13)
        exporter.export(DAYS[1], NOON.date())
        defs = build_definitions(
            orgs=["acme", "globex"],
            config_paths={o: str(org.config) for o, org in orgs.items()},
            start_date=START_DATE,
        )
    resource = InProcessGcexport(
        config_paths={o: str(org.config) for o, org in orgs.items()}, clock=clock
    )
    sensor = defs.resolve_sensor_def("gcexport_pending_sensor")
    with dg.instance_for_test() as instance:
        context = dg.build_sensor_context(instance=instance, resources={"gcexport": resource})
        requests = list(sensor(context))
    today = NOON.date()
    wanted = {
        "acme": [DAYS[0], DAYS[2]],  # new, provisional; DAYS[1] is final; today is not over
        "globex": DAYS,  # nothing exported yet: from three days back (first_start P3D)
    }
    assert [(r.tags["gcexport/org"], r.partition_key) for r in requests] == [
        (org, d.isoformat()) for org, days in wanted.items() for d in days
    ]
    first = requests[0]
    assert first.run_key == f"gcexport:acme:{DAYS[0]}:{today}"
    assert {k.path[0] for k in first.asset_selection} == {"acme"}
    assert {k.path[1] for k in first.asset_selection} >= {"conversations", "queue_kpis"}
