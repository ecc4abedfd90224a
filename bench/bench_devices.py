"""Each concurrency device switched off in turn, interleaved on one served emulator (same data).

The export of `bench_e2e` runs once per variant and round, the variants in turn, so that a slow
minute of the machine falls on every variant alike. A variant switches one device off in the export
process (through a `sitecustomize` module on its `PYTHONPATH`, written to a temporary folder; the
package itself has no switch):

- `main`: the tree as it is;
- `fifo-gate`: `TurnGate` places go first come, first served (no earliest-day priority);
- `one-lane`: a day's tables load into DuckDB one at a time (no `lanes`);
- `no-prefetch`: pages are fetched when the transform asks (no `api.paging.iter_ahead` thread);
- `no-slot-release`: a day keeps its worker slot while it waits for the warehouse;
- `tree=PATH`: the exporter of another checkout (e.g. the previous main) against the same data.

Example::

    python -m bench.bench_devices --conversations 500000 --rounds 2 \\
        main tree=../previous-main fifo-gate one-lane no-prefetch no-slot-release
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.bench_e2e import FIRST_DAY, _export_args, _warehouse_conversations, plan_volume
from bench.harness import EmulatorHost, run_measured
from gcexport.emulator import EmulatorConfig

SRC = Path(__file__).resolve().parents[1] / "src"
VARIANTS = ("main", "fifo-gate", "one-lane", "no-prefetch", "no-slot-release")

SITECUSTOMIZE = '''
"""Switches one gcexport concurrency device off (bench/bench_devices.py); GCEXPORT_BENCH_OFF."""
import contextlib
import os

_OFF = os.environ.get("GCEXPORT_BENCH_OFF", "")
if _OFF:
    from gcexport.entry import tune_allocator

    tune_allocator()  # as the entry point would, before pyarrow loads
    import gcexport.api.paging as paging
    import gcexport.datasets.conversation_details as details
    import gcexport.loading as loading
    import gcexport.sinks.duckdb_warehouse as duckdb_warehouse

    if _OFF == "fifo-gate":
        _turn = loading.TurnGate.turn
        loading.TurnGate.turn = lambda self, priority, *, places=1: _turn(self, 0, places=places)
    elif _OFF == "one-lane":
        del duckdb_warehouse.DuckDBWarehouse.lanes
    elif _OFF == "no-prefetch":
        def _inline(pages, *, depth=1, enter=contextlib.nullcontext):
            with enter(), contextlib.closing(pages):
                yield from pages
        paging.iter_ahead = details.iter_ahead = _inline
    elif _OFF == "no-slot-release":
        @contextlib.contextmanager
        def _hold(self):
            with self._free:
                yield
        loading.WorkSlots.hold = _hold
        loading.WorkSlots.release = lambda self: None
    else:
        raise SystemExit(f"unknown device switch {_OFF!r}")
'''


def run(conversations: int, variants: list[str], rounds: int) -> list[dict[str, Any]]:
    """Every variant's export, `rounds` times in turn; one record per export."""
    days, per_day = plan_volume(conversations)
    start, end = FIRST_DAY, FIRST_DAY + timedelta(days=days)
    config = EmulatorConfig(
        seed=11, conversations_per_day=per_day, rate_limit=0, now=end + timedelta(days=1),
        weekly_curve=False, cached_days=days + 1, job_queued_seconds=0.2, job_pending_seconds=0.2,
    )  # fmt: skip
    prewarm = [start + timedelta(days=i) for i in range(-1, days)]
    records: list[dict[str, Any]] = []
    with (
        tempfile.TemporaryDirectory(prefix="gcexport-bench-devices-") as tmp,
        EmulatorHost(config, prewarm=prewarm) as host,
    ):
        site = Path(tmp) / "site"
        site.mkdir()
        (site / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
        for round_ in range(rounds):
            for variant in variants:
                out = Path(tmp) / "out"
                shutil.rmtree(out, ignore_errors=True)
                if variant.startswith("tree="):
                    env = {"PYTHONPATH": str(Path(variant[5:]).resolve() / "src")}
                else:
                    off = "" if variant == "main" else variant
                    env = {"PYTHONPATH": f"{site}:{SRC}", "GCEXPORT_BENCH_OFF": off}
                measured = run_measured(_export_args(start, end, out), env=host.env(**env))
                if measured.code != 0:
                    raise RuntimeError(f"{variant}: exit {measured.code}: {measured.stderr[-600:]}")
                summary = json.loads(measured.stdout)
                rows = _warehouse_conversations(out / "gcexport.duckdb")
                record = {
                    "round": round_, "variant": variant, "conversations": rows,
                    "parity_ok": summary["parity_ok"], "wall_s": round(measured.wall_s, 2),
                    "export_cpu_s": round(measured.cpu_s, 2),
                    "conversations_per_s": round(rows / measured.wall_s),
                    "peak_rss_mb": round(measured.peak_rss_mb, 1),
                }  # fmt: skip
                print(json.dumps(record), flush=True)
                records.append(record)
    return records


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("variants", nargs="*", default=list(VARIANTS))
    parser.add_argument("--conversations", type=int, default=500_000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    run(args.conversations, args.variants, args.rounds)
