"""Fault soak: 20 seeds of the emulator's fault plan; every export ends in exact parity or fails loudly, leaving whole partitions.

Each seed runs in-process on one FakeClock shared by emulator and exporter, so retry waits, slow
responses, job polling and job expiry cost no real time. Faults: 429 bursts, 5xx, dropped
connections, slow responses, token revocation, failed jobs, and jobs that expire while read.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from reliability_support import (
    FIRST_DAY,
    assert_exact,
    assert_whole,
    days_of,
    export_settings,
    published_ids,
    truth_ids,
    warehouse_ids,
)

from gcexport.clock import FakeClock
from gcexport.emulator import Emulator, EmulatorConfig
from gcexport.errors import GcExportError
from gcexport.run import ExportRequest, run_export

FAULTS = "429=0.08,5xx=0.05,drop=0.04,slow=0.03,revoke=0.02,job_fail=0.15"
DAYS = 3
SEEDS = range(101, 121)


def _emulator(seed: int, clock: FakeClock, *, faults: str = FAULTS, expiry: float = 0) -> Emulator:
    config = EmulatorConfig(
        seed=seed,
        conversations_per_day=120,
        now=clock.now(),
        rate_limit=300,
        faults=faults,
        job_queued_seconds=1,
        job_pending_seconds=2,
        # Short: with seed % 5 == 0 a job expires while its pages are read.
        job_expiry_seconds=expiry or 2.5 + seed % 5 * 10,
        slow_seconds=3,
    )
    return Emulator(config, clock=clock)


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_faulty_export_ends_in_parity_or_fails_loudly_with_whole_partitions(
    seed: int, tmp_path: Path
) -> None:
    """Odd seeds start from nothing; even seeds overwrite a complete earlier export of the same days."""
    clock = FakeClock(FIRST_DAY + timedelta(days=DAYS + 1, hours=12))
    emu = _emulator(seed, clock)
    prior = seed % 2 == 0
    out = tmp_path / "out"
    settings = export_settings(
        out,
        api_url="https://api.emulator.invalid",
        details={"job_page_size": 40},
        export={"workers": 1},  # one thread: the fault draws follow the request order exactly
    )
    days = days_of(FIRST_DAY, DAYS)
    truth = truth_ids(emu, days)
    request = ExportRequest(start=days[0], end=days[-1] + timedelta(days=1))
    if prior:
        calm = _emulator(seed, clock, faults="", expiry=3600)
        run_export(settings, request, transport=calm.transport(), clock=clock)
        assert_exact(published_ids(out), truth, f"seed {seed} prior run")
    try:
        summary = run_export(settings, request, transport=emu.transport(), clock=clock)
    except GcExportError as exc:
        assert exc.exit_code == 1, f"seed {seed}: a fault became exit {exc.exit_code}: {exc}"
        assert str(exc), f"seed {seed}: failed without a message"
        check = assert_exact if prior else assert_whole  # old version or new, never torn
        check(published_ids(out), truth, f"seed {seed} files after failure")
        check(warehouse_ids(out / "gcexport.duckdb"), truth, f"seed {seed} warehouse after failure")
    else:
        assert summary.parity_ok and summary.status == "success", f"seed {seed}: {summary.status}"
        assert_exact(published_ids(out), truth, f"seed {seed} files")
        assert_exact(warehouse_ids(out / "gcexport.duckdb"), truth, f"seed {seed} warehouse")
    faults = [r for r in emu.requests if r.dropped or r.status in (429, 500, 502, 503, 504, 401)]
    assert faults, f"seed {seed}: the fault plan injected nothing; the soak proved nothing"
