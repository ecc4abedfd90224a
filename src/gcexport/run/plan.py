"""Stage 1, plan: every input checked before the first request and anything written; the days.

Bad credentials format, dates, metric and dimension names, KPI expressions, view types, cron
expressions, output locations and warehouse URLs all fail here with one sentence (exit code 2).

Example::

    plan = prepare(settings, request_start=None, request_end=None, clock=SystemClock())
    windows = plan_windows(settings, ExportRequest(), plan.state.load(now=now), now)
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlparse

import httpx
from pydantic import BaseModel

from gcexport.client.records import RequestRecord
from gcexport.clock import Clock
from gcexport.config import Connection, Settings, parse_duration
from gcexport.datasets import registry
from gcexport.errors import ConfigError, DestinationError
from gcexport.extras import import_extra
from gcexport.locations import check_locations
from gcexport.orgs import org_connection, require_org
from gcexport.run.summary import ExportRequest
from gcexport.state import State, StateStore
from gcexport.state.destination import open_state_store
from gcexport.timespan import Window, plan_days

if TYPE_CHECKING:
    from gcexport.client import GenesysClient
    from gcexport.sinks import FileSink, Warehouse

__all__ = [
    "Plan",
    "Windows",
    "plan_windows",
    "prepare",
    "start_histories",
    "validate_warehouse_url",
]

Windows = dict[str, list[Window]]  # dataset -> the days it exports in this run, in order

MAX_PRESIGN = timedelta(days=7)  # S3's limit for SigV4 presigned URLs


@dataclass(frozen=True)
class Plan:
    """A validated run: connection, destinations, request models and where state lives."""

    settings: Settings
    connection: Connection
    sink: FileSink
    warehouse_url: str | None
    state: StateStore
    audit_path: Path
    requests: Mapping[str, Sequence[BaseModel]] = field(default_factory=dict)
    presign: timedelta | None = None

    @property
    def secrets(self) -> list[str]:
        values = [self.connection.client_secret.get_secret_value()]
        return values + [v for v in (os.environ.get("SNOWFLAKE_PASSWORD"),) if v]

    def make_client(
        self,
        *,
        transport: httpx.BaseTransport | None,
        clock: Clock,
        on_request: Callable[[RequestRecord], None] | None,
    ) -> GenesysClient:
        from gcexport.client import GenesysClient

        g = self.settings.genesys
        return GenesysClient(
            api_url=self.connection.api_url,
            login_url=self.connection.login_url,
            client_id=self.connection.client_id,
            client_secret=self.connection.client_secret,
            transport=transport,
            clock=clock,
            requests_per_minute=g.requests_per_minute,
            on_request=on_request,
            timeout=g.timeout_seconds,
            max_connections=max(4, self.settings.export.workers * 2),
        )

    def open_warehouse(self) -> Warehouse | None:
        if self.warehouse_url is None:
            return None
        from gcexport.sinks import open_warehouse

        wait = parse_duration(self.settings.export.warehouse_lock_wait).total_seconds()
        warehouse = open_warehouse(self.warehouse_url, lock_wait=wait, org=self.settings.org)
        warehouse.check()
        return warehouse


def prepare(
    settings: Settings,
    *,
    request_start: datetime | None,
    request_end: datetime | None,
    clock: Clock,
) -> Plan:
    """Validate everything a run needs; raise an InputError subclass on the first problem."""
    require_org(settings)
    connection = org_connection(settings)
    _check_window(request_start, request_end, clock.now())
    requests = _request_models(settings)
    _check_kpis_and_schedules(settings)
    presign = _presign(settings)
    warehouse_url = settings.export.warehouse_url()
    check_locations(
        out=settings.export.out, state_dir=settings.export.state_dir, warehouse_url=warehouse_url
    )
    state = open_state_store(settings, clock=clock)
    _check_writable_dir(state.directory, "State directory")
    if warehouse_url:
        validate_warehouse_url(warehouse_url)
    from gcexport.sinks import open_file_sink

    e = settings.export
    sink = open_file_sink(
        e.out,
        fmt=e.format,
        compression=e.compression,
        sse=e.sse,
        kms_key_id=e.kms_key_id,
        csv_escape_formulas=e.csv_escape_formulas,
        org=settings.org,
    )
    sink.check_writable()
    return Plan(
        settings,
        connection,
        sink,
        warehouse_url,
        state,
        state.directory / "audit.jsonl",
        requests,
        presign,
    )


def plan_windows(
    settings: Settings, request: ExportRequest, state: State, now: datetime
) -> Windows:
    """The days each day-partitioned dataset exports in this run."""
    datasets = [d for d in settings.export.datasets if registry.get(d).day_partitioned]
    if request.start or request.end:
        if not (request.start and request.end):
            raise ConfigError(
                "Give both --start and --end, or neither (to continue incrementally)."
            )
        days = plan_days(request.start, request.end)
        return {d: _own_windows(d, days) for d in datasets}
    first = settings.export.first_start_at(now)
    lookback = parse_duration(settings.export.lookback)
    return {
        d: _own_windows(d, state.dataset(d).due(now=now, lookback=lookback, first_start=first))
        for d in datasets
    }


def _own_windows(dataset: str, days: list[Window]) -> list[Window]:
    """The dataset's own windows from the daily plan, when it plans its own (Dataset.plan_windows)."""
    planner = registry.get(dataset).plan_windows
    return planner(days) if planner is not None else days


def start_histories(store: StateStore, windows: Windows) -> None:
    """An incremental run's first day starts each dataset's history (once): the mark then only
    moves over contiguous final days, so a first day that fails is retried, never skipped."""

    def start(state: State) -> None:
        for dataset, days in windows.items():
            if days and state.dataset(dataset).final_through is None:
                state.dataset(dataset).start_at(days[0].day)

    store.update(start)


def _check_window(start: datetime | None, end: datetime | None, now: datetime) -> None:
    if (start is None) != (end is None):
        raise ConfigError("Give both --start and --end, or neither (to continue incrementally).")
    if start is None or end is None:
        return
    if end <= start:
        raise ConfigError(f"--end {end.isoformat()} must be after --start {start.isoformat()}.")
    if start > now:
        raise ConfigError(
            f"--start {start.isoformat()} is in the future; there is nothing to export yet."
        )


def _request_models(settings: Settings) -> dict[str, Sequence[BaseModel]]:
    """Every dataset's request models (datasets.registry), validated from the settings."""
    from gcexport.datasets.registry import DATASETS

    return {dataset.name: dataset.requests(settings) for dataset in DATASETS}


def _check_kpis_and_schedules(settings: Settings) -> None:
    from croniter import croniter

    from gcexport.transform import validate_kpi_expressions

    validate_kpi_expressions(settings.kpis)
    for spec in settings.schedules:
        if not croniter.is_valid(spec.cron):
            raise ConfigError(
                f"Schedule {spec.name!r} has an invalid cron expression {spec.cron!r}."
            )


def _presign(settings: Settings) -> timedelta | None:
    text = settings.export.presign
    if not text:
        return None
    duration = parse_duration(text)
    if duration > MAX_PRESIGN or duration <= timedelta(0):
        raise ConfigError(f"--presign {text!r} must be between 1 second and 7 days (S3's limit).")
    if not settings.export.out.startswith("s3://"):
        raise ConfigError("--presign needs an s3:// output; local files have no links to share.")
    return duration


def _check_writable_dir(path: Path, what: str) -> None:
    probe = path
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir() or not os.access(probe, os.W_OK | os.X_OK):
        raise DestinationError(f"{what} {str(path)!r} is not writable.")


def validate_warehouse_url(url: str) -> None:
    """Check a warehouse URL's shape without connecting (and without creating any file)."""
    parsed = urlparse(url)
    if parsed.scheme == "duckdb":
        raw = url.split("://", 1)[1].split("?", 1)[
            0
        ]  # duckdb:///abs/f.duckdb or duckdb://rel/f.duckdb
        path = Path(raw)
        if not raw or raw == "/":
            raise ConfigError(
                f"Warehouse URL {url!r} names no DuckDB file; use duckdb:///path/file.duckdb."
            )
        _check_writable_dir(path.parent, "Warehouse folder")
        _check_duckdb_file(path)
        return
    if parsed.scheme == "snowflake":
        parts = [p for p in parsed.path.split("/") if p]
        if not parsed.username or not parsed.hostname or len(parts) != 2:
            raise ConfigError(
                "Snowflake URL must look like snowflake://USER@ACCOUNT/DATABASE/SCHEMA?warehouse=W&role=R."
            )
        if not os.environ.get("SNOWFLAKE_PASSWORD"):
            raise ConfigError(
                "Snowflake needs its password in the SNOWFLAKE_PASSWORD environment variable."
            )
        unknown = set(parse_qs(parsed.query)) - {
            "warehouse",
            "role",
            "host",
            "port",
            "protocol",
            "stage",
        }
        if unknown:
            raise ConfigError(f"Unknown Snowflake URL parameter {sorted(unknown)[0]!r}.")
        _check_snowflake_options(parse_qs(parsed.query))
        import_extra("snowflake.connector", extra="snowflake", purpose="a snowflake:// warehouse")
        return
    raise ConfigError(
        f"Unsupported warehouse URL {url.split('?', 1)[0]!r}; use duckdb:///path/file.duckdb "
        "or snowflake://USER@ACCOUNT/DATABASE/SCHEMA."
    )


def _check_duckdb_file(path: Path) -> None:
    """An existing warehouse file must be a DuckDB database (its header says `DUCK` at byte 8)."""
    if path.is_dir():
        raise DestinationError(f"Warehouse file {str(path)!r} is a folder, not a DuckDB file.")
    if not path.exists():
        return
    try:
        with path.open("rb") as handle:
            header = handle.read(12)
    except OSError as exc:
        raise DestinationError(
            f"Warehouse file {str(path)!r} cannot be read: {exc.strerror}."
        ) from None
    if header[8:12] != b"DUCK":
        raise DestinationError(f"Warehouse file {str(path)!r} exists and is not a DuckDB file.")


def _check_snowflake_options(options: dict[str, list[str]]) -> None:
    port = options.get("port", ["443"])[-1]
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"Snowflake URL port {port!r} is not a port number.")
    protocol = options.get("protocol", ["https"])[-1]
    if protocol not in ("http", "https"):
        raise ConfigError(f"Snowflake URL protocol {protocol!r} must be http or https.")
