"""`gcexport check`: credentials, region, permissions per dataset and destinations, one line each.

Example::

    results = run_checks(settings)
    assert all(r.ok for r in results)
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from gcexport.clock import Clock, SystemClock
from gcexport.config import Settings
from gcexport.datasets.registry import DATASETS
from gcexport.errors import DestinationError, GcExportError
from gcexport.orgs import org_connection
from gcexport.timespan import Window, day_floor

__all__ = ["DEEP_NOT_RUN", "CheckResult", "run_checks"]


@dataclass(frozen=True)
class CheckResult:
    """One check; a warning (`warn`) is not a failure: it passes, and says what to know."""

    name: str
    ok: bool
    detail: str
    warn: bool = False

    def line(self) -> str:
        status = "WARN" if self.ok and self.warn else "PASS" if self.ok else "FAIL"
        return f"{status}  {self.name:<34} {self.detail}"


# `check --deep` when no token was issued: the probes did not run and no report was written.
DEEP_NOT_RUN = CheckResult("deep probes", False, "not run: no token, so no report written")


def _probe(name: str, action: Callable[[], str]) -> CheckResult:
    try:
        return CheckResult(name, True, action())
    except GcExportError as exc:
        return CheckResult(name, False, str(exc))


def run_checks(
    settings: Settings,
    *,
    transport: httpx.BaseTransport | None = None,
    clock: Clock | None = None,
    deep_report: Path | None = None,
) -> list[CheckResult]:
    """Every check, each reported, nothing written: missing credentials are a failed check (the
    API checks then report why they did not run), not a stop; the warehouse is opened read-only.

    With `deep_report`, also the `check --deep` probes (`gcexport.probe`), reported there. They
    exist only to probe the API, so there missing credentials are bad input (CredentialsError,
    raised before any check), and a token that fails leaves them not run and no report written.
    """
    clock = clock or SystemClock()
    _validate_inputs(settings)  # queries, KPIs, schedules, URLs: bad input, exit 2
    results: list[CheckResult] = []
    try:
        connection = org_connection(settings)
    except GcExportError as exc:
        if deep_report is not None:
            raise
        results.append(CheckResult("credentials", False, str(exc)))
        results.append(CheckResult("credentials (token)", False, "not checked: no credentials"))
        results.extend(_permission_checks(settings, None, clock))
    else:
        results.append(
            CheckResult("region", True, f"{connection.api_url} (login {connection.login_url})")
        )
        results.extend(_api_checks(settings, connection, transport, clock, deep_report))
    results.append(_probe("output " + settings.export.out, lambda: _writable(settings)))
    warehouse_url = settings.export.warehouse_url()
    if warehouse_url:
        name = "warehouse " + warehouse_url.split("?")[0]
        results.append(_probe(name, lambda: _warehouse(settings, warehouse_url)))
    return results


def _validate_inputs(settings: Settings) -> None:
    from gcexport.run.plan import (
        _check_kpis_and_schedules,
        _presign,
        _request_models,
        validate_warehouse_url,
    )

    _request_models(settings)
    _check_kpis_and_schedules(settings)
    _presign(settings)
    url = settings.export.warehouse_url()
    if url:
        validate_warehouse_url(url)


def _api_checks(
    settings: Settings,
    connection: Any,
    transport: httpx.BaseTransport | None,
    clock: Clock,
    deep_report: Path | None,
) -> list[CheckResult]:
    from gcexport.client import GenesysClient

    client = GenesysClient(
        api_url=connection.api_url,
        login_url=connection.login_url,
        client_id=connection.client_id,
        client_secret=connection.client_secret,
        transport=transport,
        clock=clock,
        requests_per_minute=settings.genesys.requests_per_minute,
        timeout=settings.genesys.timeout_seconds,
    )
    try:
        token = _probe("credentials (token)", lambda: _token(client))
        if token.ok:
            deep = _deep_checks(client, clock, deep_report) if deep_report is not None else []
            permissions = _permission_checks(settings, client, clock)
            return [token, _divisions(client), *permissions, *deep]
        not_run = [] if deep_report is None else [DEEP_NOT_RUN]
        return [token, *_permission_checks(settings, None, clock), *not_run]
    finally:
        client.close()


def _token(client: Any) -> str:
    client.request(
        "GET", "/api/v2/routing/wrapupcodes", params={"pageSize": 1}, items_key="entities"
    )
    return "token issued and accepted"


def _divisions(client: Any) -> CheckResult:
    """Which divisions the client cannot see, by name: a warning, not a failure — a client scoped
    to some divisions on purpose is a valid set-up, and the run says it again in its summary."""
    from gcexport.api.divisions import division_visibility

    seen = division_visibility(client)
    return CheckResult(
        "divisions", True, seen.line(), warn=bool(seen.not_visible) or seen.unknown is not None
    )


def _permission_checks(settings: Settings, client: Any, clock: Clock) -> list[CheckResult]:
    """One check per dataset (its registered probe); with no client (no token), each says it was not checked."""
    yesterday = Window.for_day((day_floor(clock.now()) - timedelta(days=1)).date())
    interval = f"{yesterday.start.isoformat().replace('+00:00', 'Z')}/{yesterday.end.isoformat().replace('+00:00', 'Z')}"
    return [
        _probe(f"{d.name} ({d.permission})", functools.partial(d.check, client, interval))
        if client is not None
        else CheckResult(f"{d.name} ({d.permission})", False, "not checked: no token")
        for d in DATASETS
        if d.name in settings.export.datasets
    ]


def _deep_checks(client: Any, clock: Clock, report: Path) -> list[CheckResult]:
    from gcexport.probe import run_probes, write_report

    findings = run_probes(client, clock)
    write_report(findings, report)
    return [
        CheckResult(
            f"deep: {f.name}", f.ok is not False, ("" if f.ok is not None else "SKIP ") + f.detail
        )
        for f in findings
    ]


def _post(client: Any, path: str, body: dict[str, Any], key: str) -> str:
    page = client.request("POST", path, json=body, items_key=key)
    return f"HTTP {page.context.status}"


def _get(client: Any, path: str) -> str:
    page = client.request("GET", path, params={"pageSize": 1}, items_key="entities")
    return f"{path.rsplit('/', 1)[-1]} HTTP {page.context.status}"


def _writable(settings: Settings) -> str:
    """The output location can be written (a probe file, removed at once) and holds this format."""
    from gcexport.sinks import open_file_sink

    e = settings.export
    sink = open_file_sink(
        e.out, fmt=e.format, compression=e.compression, sse=e.sse, kms_key_id=e.kms_key_id
    )
    sink.check_writable()
    return "writable"


def _warehouse(settings: Settings, url: str) -> str:
    """DuckDB: opened read-only and briefly (a file that does not exist yet is not created);
    other warehouses: connected and checked."""
    if url.split("://", 1)[0].lower() != "duckdb":
        from gcexport.sinks import open_warehouse

        warehouse = open_warehouse(url)
        try:
            warehouse.check()
        finally:
            warehouse.close()
        return "connected; can create and write tables"
    return _duckdb_read_only(Path(url.split("://", 1)[1].split("?", 1)[0]).expanduser())


def _duckdb_read_only(path: Path) -> str:
    import duckdb

    from gcexport.sinks.duckdb_warehouse import lock_holder

    if not path.exists():
        folder = next((p for p in path.parents if p.exists()), Path("."))
        if not os.access(folder, os.W_OK | os.X_OK):
            raise DestinationError(
                f"DuckDB database {path} cannot be created: {folder} is read-only"
            )
        return "does not exist yet; the first export creates it"
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            tables = con.execute("select count(*) from duckdb_tables()").fetchone()
    except duckdb.Error as exc:
        holder = lock_holder(exc)
        if holder is not None:
            raise DestinationError(f"DuckDB database {path} is in use by {holder}") from None
        raise DestinationError(f"cannot read DuckDB database {path}: {exc}") from None
    return f"readable; {tables[0] if tables else 0} tables (opened read-only)"
