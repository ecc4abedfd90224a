"""The emulator benchmark runs end to end on a small volume and reports consistent numbers (no timing asserts)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench_emulator.py"


def test_bench_streams_every_conversation_twice() -> None:
    spec = importlib.util.spec_from_file_location("bench_emulator", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = module.run(conversations=300)
    assert result["benchmark"] == "emulator_job_results_http" and result["page_size"] == 1000
    assert (
        300 <= result["conversations"] <= 330
    )  # the day itself plus those from the day before still running
    assert result["megabytes"] > 0.5 and result["warm_conversations_per_second"] > 0
