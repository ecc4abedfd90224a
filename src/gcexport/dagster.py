"""Run gcexport on Dagster: assets per org and table, one concurrency pool per org.

Needs the extra: `pip install 'gcexport[dagster]'`. Nothing else in gcexport imports this module.

Example (docs/DAGSTER.md has the `dagster.yaml` it needs)::

    from gcexport.dagster import build_definitions

    defs = build_definitions("gcexport.toml", orgs=["acme", "globex"], start_date="2024-01-01")

- One `multi_asset` per (org, dataset): asset keys `[org, table]`, daily partitions (UTC, today
  excluded), pool `gcexport_<org>`. With `concurrency: pools: default_limit: 1` one org runs one
  step at a time (one request budget per org) while different orgs run in parallel.
- Each committed day is an `AssetMaterialization` of its partition with the standard
  `dagster/partition_row_count`; a day whose counts differ is not materialized.
- `row_parity`, a blocking asset check per table, fails the step when any day's counts differ.
- Errors: bad input -> `Failure(allow_retries=False)`; retryable errors (`gcexport.engine.retryable`)
  -> `RetryRequested`; parity -> the failed check, then `Failure`.
- `gcexport_pending_sensor` requests the days gcexport says are pending (new, provisional, failed).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import dagster as dg
import httpx
from pydantic import Field

from gcexport.clock import Clock
from gcexport.config import Settings
from gcexport.engine import (
    DatasetSpec,
    Exporter,
    ExportResult,
    OrgPartition,
    Partition,
    retry_later,
    retryable,
)
from gcexport.errors import GcExportError, ParityError

__all__ = [
    "CHECK_NAME",
    "GcexportResource",
    "GcexportTranslator",
    "InProcessGcexport",
    "build_definitions",
    "build_gcexport_assets",
    "gcexport_pending_sensor",
]

CHECK_NAME = "row_parity"
RESOURCE_KEY = "gcexport"


class GcexportTranslator:
    """Names and describes the assets; subclass it to match your own keys (as dagster-dlt does)."""

    def asset_key(self, org: str, table: str) -> dg.AssetKey:
        return dg.AssetKey([org, table])

    def asset_spec(self, org: str, dataset: DatasetSpec, table: str) -> dg.AssetSpec:
        return dg.AssetSpec(
            self.asset_key(org, table),
            group_name=org,
            kinds={"gcexport"},
            skippable=True,
            description=f"Genesys Cloud `{table}` of org {org} (gcexport dataset {dataset.name}).",
            metadata={"gcexport/org": org, "gcexport/dataset": dataset.name},
        )


class GcexportResource(dg.ConfigurableResource):  # type: ignore[misc,type-arg]
    """Where each org's settings come from: one config file for every org (`[orgs.<slug>]`),
    and/or one file per org in `config_paths`. Secrets come from the environment or `.env`."""

    config_path: str | None = None
    config_paths: dict[str, str] = Field(default_factory=dict)
    skip_final: bool = True
    max_retries: int = 3
    retry_seconds: float = 30.0
    locked_retry_seconds: float = 300.0

    def exporter(self, org: str) -> Exporter:
        """The org's Exporter (bad config raises ConfigError, exit 2)."""
        return Exporter.from_config(self.config_paths.get(org, self.config_path), org=org)


@dataclass
class InProcessGcexport:
    """The resource for one Python process: Settings objects per org (else config files), and
    an injected clock or HTTP transport. Dagster passes a plain object through unchanged, so it
    serves `materialize()` and the in-process executor; a multiprocess run needs
    `GcexportResource`, which travels as config."""

    settings: Mapping[str, Settings] = field(default_factory=dict)
    config_path: str | None = None
    config_paths: Mapping[str, str] = field(default_factory=dict)
    clock: Clock | None = None
    transport: httpx.BaseTransport | None = None
    skip_final: bool = True
    max_retries: int = 3
    retry_seconds: float = 30.0
    locked_retry_seconds: float = 300.0

    def exporter(self, org: str) -> Exporter:
        options: dict[str, Any] = {"clock": self.clock, "transport": self.transport}
        if org in self.settings:
            return Exporter(self.settings[org], org=org, **options)
        path = self.config_paths.get(org, self.config_path)
        return Exporter.from_config(path, org=org, **options)


Resource = GcexportResource | InProcessGcexport


def build_gcexport_assets(
    org: str,
    *,
    settings: Settings | None = None,
    config_path: str | Path | None = None,
    start_date: str | date,
    datasets: Sequence[str] | None = None,
    pool: str | None = None,
    translator: GcexportTranslator | None = None,
    max_days_per_run: int | None = 31,
    retry_policy: dg.RetryPolicy | None = None,
) -> list[dg.AssetsDefinition]:
    """One multi_asset per configured dataset of `org`; reads the config only (no network).

    `max_days_per_run=None` puts a whole backfill range in one run (`BackfillPolicy.single_run`).
    `retry_policy` retries a failed step; bad input is never retried whatever it says.
    """
    exporter = _static_exporter(org, settings, config_path)
    translator = translator or GcexportTranslator()
    partitions = daily_partitions(start_date)
    policy = (
        dg.BackfillPolicy.single_run()
        if max_days_per_run is None
        else dg.BackfillPolicy.multi_run(max_partitions_per_run=max_days_per_run)
    )
    return [
        _dataset_asset(
            org, spec, translator, pool or f"gcexport_{org}", (partitions, policy), retry_policy
        )
        for spec in exporter.catalog()
        if datasets is None or spec.name in datasets
    ]


def daily_partitions(start_date: str | date) -> dg.DailyPartitionsDefinition:
    """UTC days from `start_date`; today is excluded (`end_offset=0`): it is not over yet."""
    return dg.DailyPartitionsDefinition(start_date=str(start_date), end_offset=0)


def _static_exporter(
    org: str, settings: Settings | None, config_path: str | Path | None
) -> Exporter:
    if settings is not None:
        return Exporter(settings, org=org)
    return Exporter.from_config(config_path, org=org)


def _dataset_asset(
    org: str,
    spec: DatasetSpec,
    translator: GcexportTranslator,
    pool: str,
    days: tuple[dg.DailyPartitionsDefinition, dg.BackfillPolicy],
    retry_policy: dg.RetryPolicy | None,
) -> dg.AssetsDefinition:
    specs = [translator.asset_spec(org, spec, table) for table in spec.tables]
    checks = [dg.AssetCheckSpec(CHECK_NAME, asset=s.key, blocking=True) for s in specs]
    keys = {s.key: table for s, table in zip(specs, spec.tables, strict=True)}

    @dg.multi_asset(
        name=f"gcexport_{org}_{spec.name}",
        specs=specs,
        check_specs=checks,
        can_subset=True,
        partitions_def=days[0] if spec.partitioned else None,
        backfill_policy=days[1] if spec.partitioned else None,
        pool=pool,
        retry_policy=retry_policy,
        required_resource_keys={RESOURCE_KEY},
    )
    # `context` unannotated: Dagster rejects the string annotation `from __future__` makes
    def _export(context):  # type: ignore[no-untyped-def]
        resource: Resource = getattr(context.resources, RESOURCE_KEY)
        yield from _run(context, resource, org, spec, keys)

    return _export


def _run(
    context: dg.AssetExecutionContext,
    resource: Resource,
    org: str,
    spec: DatasetSpec,
    keys: dict[dg.AssetKey, str],
) -> Iterator[Any]:
    """Export the step's days, yielding materializations as days commit, then the checks."""
    selected = {k: t for k, t in keys.items() if k in context.selected_asset_keys}
    by_table = {t: k for k, t in selected.items()}
    exporter = resource.exporter(org)
    start, end = _window(context, spec, exporter)
    commits: queue.Queue[OrgPartition | None] = queue.Queue()
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["result"] = exporter.export(
                start, end, [spec.name], skip_final=resource.skip_final, on_commit=commits.put
            )
        except BaseException as exc:  # handed to the step's thread, raised there
            box["error"] = exc
        finally:
            commits.put(None)

    # on_commit may run on gcexport's worker threads; events must be yielded on this one
    worker = threading.Thread(target=work, name=f"gcexport-{org}", daemon=True)
    worker.start()
    seen: list[OrgPartition] = []
    while (outcome := commits.get()) is not None:
        seen.append(outcome)
        if outcome.parity_ok and outcome.table in by_table:
            yield _materialization(by_table[outcome.table], outcome, spec)
    worker.join()
    error: BaseException | None = box.get("error")
    if error is not None and not isinstance(error, ParityError):
        raise to_dagster_error(error, resource)
    result: ExportResult | None = box.get("result")
    if result is not None:
        yield from _already_final(result.skipped, by_table, spec)
    yield from _checks(selected, seen)
    if error is not None:
        raise to_dagster_error(error, resource)


def _window(
    context: dg.AssetExecutionContext, spec: DatasetSpec, exporter: Exporter
) -> tuple[datetime, datetime]:
    if spec.partitioned:
        window = context.partition_time_window
        return window.start, window.end
    today = _midnight(exporter.now().date())
    return today - timedelta(days=1), today  # snapshots: the day is only the run's label


def _materialization(
    key: dg.AssetKey, outcome: OrgPartition, spec: DatasetSpec
) -> dg.AssetMaterialization:
    return dg.AssetMaterialization(
        asset_key=key,
        partition=outcome.day.isoformat() if spec.partitioned and outcome.day else None,
        metadata={
            "dagster/partition_row_count" if spec.partitioned else "dagster/row_count": (
                outcome.api_rows
            ),
            "api_rows": outcome.api_rows,
            "file_rows": outcome.file_rows,
            "warehouse_rows": outcome.warehouse_rows,
            "provisional": outcome.provisional,
            "files": outcome.files,
            "bytes": outcome.bytes,
        },
    )


def _already_final(
    skipped: Sequence[Partition], by_table: dict[str, dg.AssetKey], spec: DatasetSpec
) -> Iterator[dg.AssetMaterialization]:
    """Days gcexport already has final were not exported again: Dagster still sees them done."""
    for partition in skipped:
        for key in by_table.values():
            yield dg.AssetMaterialization(
                asset_key=key,
                partition=partition.day.isoformat(),
                metadata={"already_final": True},
            )


def _checks(
    selected: dict[dg.AssetKey, str], seen: Sequence[OrgPartition]
) -> Iterator[dg.AssetCheckResult]:
    for key, table in selected.items():
        rows = [o for o in seen if o.table == table]
        failed = sorted(str(o.day) for o in rows if not o.parity_ok)
        yield dg.AssetCheckResult(
            asset_key=key,
            check_name=CHECK_NAME,
            passed=not failed,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={
                "days": len(rows),
                "failed_days": ", ".join(failed),
                "api_rows": sum(o.api_rows for o in rows),
                "file_rows": sum(o.file_rows for o in rows),
                "warehouse_rows": sum(o.warehouse_rows or 0 for o in rows),
            },
        )


def to_dagster_error(exc: BaseException, resource: Resource) -> BaseException:
    """gcexport's typed error as Dagster's: no retry for bad input, a retry for retryable ones."""
    if not isinstance(exc, GcExportError):
        return exc  # a bug: Dagster reports it as it is
    metadata: dict[str, Any] = {
        "gcexport/error": type(exc).__name__,
        "gcexport/exit_code": exc.exit_code,
    }
    if retryable(exc):
        wait = resource.locked_retry_seconds if retry_later(exc) else resource.retry_seconds
        return dg.RetryRequested(max_retries=resource.max_retries, seconds_to_wait=wait)
    return dg.Failure(
        description=str(exc),
        metadata=metadata,
        allow_retries=isinstance(exc, ParityError),  # a policy may retry parity once; input never
    )


def gcexport_pending_sensor(
    orgs: Sequence[str],
    assets: Sequence[dg.AssetsDefinition],
    *,
    start_date: str | date,
    name: str = "gcexport_pending_sensor",
    minimum_interval_seconds: int = 3600,
) -> dg.SensorDefinition:
    """A sensor that asks each org's Exporter which days are pending and requests one run per
    (org, day), for that org's day-partitioned assets. A day is requested at most once per UTC
    day of the exporter's clock (the run key), so a provisional day is retried daily."""
    partitions = daily_partitions(start_date)
    keys = {org: _org_keys(org, assets) for org in orgs}

    @dg.sensor(
        name=name,
        minimum_interval_seconds=minimum_interval_seconds,
        asset_selection=[k for ks in keys.values() for k in ks],
        required_resource_keys={RESOURCE_KEY},
    )
    # Dagster hands the required resource over as the argument of that name
    def _sensor(context, gcexport):  # type: ignore[no-untyped-def]
        for org in orgs:
            yield from _pending_requests(gcexport.exporter(org), keys[org], partitions)

    return _sensor


def _org_keys(org: str, assets: Sequence[dg.AssetsDefinition]) -> list[dg.AssetKey]:
    return [
        key
        for a in assets
        if a.partitions_def is not None
        for key, spec in ((s.key, s) for s in a.specs)
        if (spec.metadata or {}).get("gcexport/org") == org
    ]


def _pending_requests(
    exporter: Exporter, keys: list[dg.AssetKey], partitions: dg.DailyPartitionsDefinition
) -> Iterator[dg.RunRequest]:
    today = exporter.now().date()
    for day in sorted({p.day for p in exporter.pending()}):
        key = day.isoformat()
        if keys and day < today and partitions.has_partition_key(key):
            yield dg.RunRequest(
                run_key=f"gcexport:{exporter.org}:{key}:{today}",
                partition_key=key,
                asset_selection=keys,
                tags={"gcexport/org": exporter.org},
            )


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=timezone.utc)


def build_definitions(
    config_path: str | Path | None = None,
    *,
    orgs: Sequence[str],
    start_date: str | date,
    settings: Mapping[str, Settings] | None = None,
    config_paths: Mapping[str, str] | None = None,
    datasets: Sequence[str] | None = None,
    max_days_per_run: int | None = 31,
    retry_policy: dg.RetryPolicy | None = None,
    sensor_interval_seconds: int = 3600,
) -> dg.Definitions:
    """Assets, checks, resource and pending sensor for `orgs`; builds with no network."""
    path = str(config_path) if config_path is not None else None
    resource: Resource = (
        GcexportResource(config_path=path, config_paths=dict(config_paths or {}))
        if settings is None
        else InProcessGcexport(settings, config_path=path, config_paths=dict(config_paths or {}))
    )
    assets = [
        a
        for org in orgs
        for a in build_gcexport_assets(
            org,
            settings=(settings or {}).get(org),
            config_path=(config_paths or {}).get(org, config_path),
            start_date=start_date,
            datasets=datasets,
            max_days_per_run=max_days_per_run,
            retry_policy=retry_policy,
        )
    ]
    sensor = gcexport_pending_sensor(
        orgs, assets, start_date=start_date, minimum_interval_seconds=sensor_interval_seconds
    )
    return dg.Definitions(assets=assets, resources={RESOURCE_KEY: resource}, sensors=[sensor])
