"""`gcexport check`: credentials, region, permissions per dataset and destinations, one line each.

Example::

    results = run_checks(settings)
    assert all(r.ok for r in results)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from gcexport.clock import Clock, SystemClock
from gcexport.config import Settings
from gcexport.errors import GcExportError
from gcexport.windows import Window, day_floor

__all__ = ["CheckResult", "run_checks", "run_checks_command"]


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'PASS' if self.ok else 'FAIL'}  {self.name:<34} {self.detail}"


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
    """Every check, in order; API checks are skipped when the token cannot be had.

    With `deep_report`, also the `check --deep` probes (`gcexport.probe`), reported there.
    """
    from gcexport.plan import prepare

    clock = clock or SystemClock()
    plan = prepare(
        settings, request_start=None, request_end=None, clock=clock
    )  # input errors: exit 2
    results = [
        CheckResult(
            "region", True, f"{plan.connection.api_url} (login {plan.connection.login_url})"
        )
    ]
    client = plan.make_client(transport=transport, clock=clock, on_request=None)
    try:
        token = _probe("credentials (token)", lambda: _token(client))
        results.append(token)
        if token.ok:
            results.extend(_permission_checks(settings, client, clock))
        if token.ok and deep_report is not None:
            results.extend(_deep_checks(client, clock, deep_report))
    finally:
        client.close()
    results.append(_probe("output " + settings.export.out, lambda: _writable(plan.sink)))
    if plan.warehouse_url:
        results.append(
            _probe("warehouse " + plan.warehouse_url.split("?")[0], lambda: _warehouse(plan))
        )
    return results


def _token(client: Any) -> str:
    client.request(
        "GET", "/api/v2/routing/wrapupcodes", params={"pageSize": 1}, items_key="entities"
    )
    return "token issued and accepted"


def _permission_checks(settings: Settings, client: Any, clock: Clock) -> list[CheckResult]:
    from gcexport.api import jobs

    yesterday = Window.for_day((day_floor(clock.now()) - timedelta(days=1)).date())
    interval = f"{yesterday.start.isoformat().replace('+00:00', 'Z')}/{yesterday.end.isoformat().replace('+00:00', 'Z')}"
    probes: dict[str, tuple[str, Callable[[], str]]] = {
        "conversation_details": (
            "analytics:conversationDetail:view",
            lambda: (
                _post(
                    client,
                    "/api/v2/analytics/conversations/details/query",
                    {"interval": interval, "paging": {"pageSize": 1, "pageNumber": 1}},
                    "conversations",
                )
                + f"; jobs watermark {jobs.get_availability(client).isoformat()}"
            ),
        ),
        "conversation_aggregates": (
            "analytics:conversationAggregate:view",
            lambda: _post(
                client,
                "/api/v2/analytics/conversations/aggregates/query",
                {"interval": interval, "metrics": ["nOffered"]},
                "results",
            ),
        ),
        "reporting_exports": (
            "analytics:dataExport:view",
            lambda: _get(client, "/api/v2/analytics/reporting/exports/metadata"),
        ),
        "lookups": (
            "routing:queue:view, users",
            lambda: _get(client, "/api/v2/routing/queues") + "; " + _get(client, "/api/v2/users"),
        ),
    }
    from gcexport.agent_datasets import agent_probes  # agent time brings its own probes

    probes.update(agent_probes(client, interval))
    return [
        _probe(f"{name} ({permission})", action)
        for name, (permission, action) in probes.items()
        if name in settings.export.datasets
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


def _writable(sink: Any) -> str:
    sink.check_writable()
    return "writable"


def _warehouse(plan: Any) -> str:
    warehouse = plan.open_warehouse()
    warehouse.close()
    return "connected; can create and write tables"


def run_checks_command(settings: Settings, *, deep_report: Path | None = None) -> int:
    """Print one PASS/FAIL line per check; exit 0 when all pass, else 1."""
    results = run_checks(settings, deep_report=deep_report)
    for result in results:
        print(result.line())
    failed = [r for r in results if not r.ok]
    print(f"{len(results) - len(failed)} of {len(results)} checks passed")
    if deep_report is not None:
        print(f"deep-check report (shapes only, safe to share): {deep_report}")
    return 1 if failed else 0
