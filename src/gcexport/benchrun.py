"""`gcexport bench`: find the source checkout's `bench/` folder, import its runner and hand it the flags.

The benchmarks are not part of the installed package (they need the emulator at volume, pandas
and psutil), so this module only locates them: the folder holding `bench/run.py` beside the
installed `gcexport` package or above the current directory.

Example::

    code = run_bench_command(conversations=200_000, json_path=None, only=["e2e"])
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType

from gcexport.errors import ConfigError

__all__ = ["describe_command", "find_checkout", "run_bench_command"]


def find_checkout(starts: Iterable[Path]) -> Path | None:
    """The first folder at or above one of `starts` that holds `bench/run.py`, else None."""
    for start in starts:
        for folder in (start, *start.parents):
            if (folder / "bench" / "run.py").is_file():
                return folder
    return None


def _load_runner(checkout: Path) -> ModuleType:
    if str(checkout) not in sys.path:
        sys.path.insert(0, str(checkout))
    return importlib.import_module("bench.run")


def run_bench_command(conversations: int, json_path: Path | None, only: list[str]) -> int:
    """Run the benchmarks (all, or `only` these), print a table, write JSON; return the exit code.

    Raises ConfigError (exit 2) outside a source checkout or for an unknown benchmark name.
    """
    import gcexport

    checkout = find_checkout([Path(gcexport.__file__).resolve().parent, Path.cwd().resolve()])
    if checkout is None:
        raise ConfigError(
            "gcexport bench needs a source checkout: no bench/run.py found beside the installed "
            "package or above the current directory; run it from a clone of the repository."
        )
    runner = _load_runner(checkout)
    unknown = sorted(set(only) - set(runner.BENCHMARKS))
    if unknown:
        raise ConfigError(
            f"Unknown benchmark {unknown[0]!r}; choose from {', '.join(runner.BENCHMARKS)}."
        )
    code: int = runner.main(
        conversations=conversations,
        json_path=json_path or checkout / "bench" / "results" / "latest.json",
        only=only,
        command=describe_command(conversations, json_path, only),
    )
    return code


def describe_command(conversations: int, json_path: Path | None, only: list[str]) -> str:
    """The command line that reproduces this run."""
    parts = ["gcexport", "bench", "--conversations", str(conversations)]
    parts += ["--json", str(json_path)] if json_path else []
    for name in only:
        parts += ["--only", name]
    return " ".join(parts)
