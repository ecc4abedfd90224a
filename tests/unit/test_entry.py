"""The process entry point tunes the allocator before pyarrow or DuckDB load (peak RSS: entry.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

_PROBE = """
import sys
import gcexport.entry as entry
loaded = []
tune = entry.tune_allocator
entry.tune_allocator = lambda: (loaded.append(sorted(sys.modules)), tune())[1]
sys.argv = ["gcexport", "--version"]
try:
    code = entry.main()
except SystemExit as stop:
    code = stop.code
heavy = [m for m in ("pyarrow", "duckdb", "httpx", "gcexport.cli", "gcexport.datasets") if m in loaded[0]]
print(code, len(loaded), heavy, "pyarrow" in sys.modules)
"""


def test_the_allocator_is_tuned_before_anything_heavy_loads() -> None:
    run = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=120, check=False
    )
    assert run.returncode == 0, run.stderr
    # exit 0, tuned once, before the CLI imported anything, and the CLI did import pyarrow after
    assert run.stdout.split("\n")[-2] == "0 1 [] True"


def test_both_ways_of_starting_gcexport_go_through_the_entry_point() -> None:
    project = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    scripts = project.split("[project.scripts]\n", 1)[1].split("\n\n", 1)[0]
    assert scripts == 'gcexport = "gcexport.entry:main"'
    main_module = (ROOT / "src" / "gcexport" / "__main__.py").read_text(encoding="utf-8")
    assert "from gcexport.entry import main" in main_module
