"""`gcexport check`: one PASS/FAIL line per preflight check, then the tally.

Example::

    code = run_checks_command(settings)   # 0 when every check passed, else 1
"""

from __future__ import annotations

from pathlib import Path

from gcexport.config import Settings
from gcexport.preflight import DEEP_NOT_RUN, run_checks

__all__ = ["run_checks_command"]


def run_checks_command(settings: Settings, *, deep_report: Path | None = None) -> int:
    """Print one PASS/WARN/FAIL line per check; exit 0 when none failed (warnings pass), else 1."""
    results = run_checks(settings, deep_report=deep_report)
    for result in results:
        print(result.line())
    failed = [r for r in results if not r.ok]
    warned = sum(1 for r in results if r.ok and r.warn)
    tally = f"{len(results) - len(failed)} of {len(results)} checks passed"
    print(tally + (f" ({warned} with a warning)" if warned else ""))
    if deep_report is not None and DEEP_NOT_RUN not in results:
        print(f"deep-check report (shapes only, safe to share): {deep_report}")
    return 1 if failed else 0
