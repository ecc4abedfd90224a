"""A job over every org's assets, rebuilt in each step's process (`dagster.reconstructable`).

The orgs and their config files come from `GCX_TEST_DAGSTER_ORGS` (JSON: org -> path), which
the test sets before it starts the run; step processes inherit it.
"""

from __future__ import annotations

import json
import os
from typing import Any

import dagster as dg

from gcexport.dagster import GcexportResource, build_gcexport_assets
from tests.dagster.conftest import START_DATE

ORGS_VARIABLE = "GCX_TEST_DAGSTER_ORGS"


def multiorg_job() -> Any:
    paths: dict[str, str] = json.loads(os.environ[ORGS_VARIABLE])
    assets = [
        a
        for org in sorted(paths)
        for a in build_gcexport_assets(
            org, config_path=paths[org], start_date=START_DATE, max_days_per_run=None
        )
    ]
    defs = dg.Definitions(
        assets=assets,
        resources={"gcexport": GcexportResource(config_paths=paths, retry_seconds=0)},
        jobs=[dg.define_asset_job("every_org", selection=dg.AssetSelection.all())],
    )
    return defs.resolve_job_def("every_org")


def main() -> None:
    """Run `every_org` over DAYS with the multiprocess executor on `$DAGSTER_HOME`'s instance;
    print the run id. A process of its own: Dagster's step processes are spawned from here."""
    from tests.dagster.conftest import DAYS

    with dg.DagsterInstance.get() as instance:
        result = dg.execute_job(
            dg.reconstructable(multiorg_job),
            instance=instance,
            tags={
                "dagster/asset_partition_range_start": DAYS[0].isoformat(),
                "dagster/asset_partition_range_end": DAYS[-1].isoformat(),
            },
            run_config={"execution": {"config": {"multiprocess": {"max_concurrent": 6}}}},
        )
        print(result.run_id)


if __name__ == "__main__":
    main()
