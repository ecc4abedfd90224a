"""The house's layering holds: import-linter's contracts pass and cover every module, the package
never reaches for the repository's `bench/`, and the benchmark runner is a repository tool."""

from __future__ import annotations

import ast
import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "src" / "gcexport"


def _top_level_modules() -> set[str]:
    names = set()
    for path in PACKAGE.iterdir():
        if path.name.startswith(("_", ".")):
            continue
        if path.suffix == ".py" or (path.is_dir() and (path / "__init__.py").exists()):
            names.add(f"gcexport.{path.stem}")
    return names


def _contracts() -> configparser.ConfigParser:
    parser = configparser.ConfigParser()
    parser.read(REPO / ".importlinter", encoding="utf-8")
    return parser


def test_the_emulator_contract_forbids_every_other_module_of_the_package() -> None:
    listed = set(_contracts()["importlinter:contract:emulator-alone"]["forbidden_modules"].split())
    assert listed == _top_level_modules() - {"gcexport.emulator"}


def test_the_import_contracts_hold() -> None:
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if lint is None:
        pytest.fail("lint-imports is not installed: `pip install -e '.[dev]'` brings import-linter")
    result = subprocess.run(
        [lint, "--no-logo", "--no-cache"], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert "0 broken" in result.stdout


def test_the_package_never_imports_the_repository_bench_folder() -> None:
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] == "bench"]
        assert "bench.run" not in path.read_text(encoding="utf-8"), path
    assert offenders == []


def test_the_benchmark_runner_is_a_repository_tool_that_refuses_unknown_names() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench.run", "--only", "nope"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "invalid choice: 'nope'" in result.stderr
    assert "choose from" in result.stderr and "e2e" in result.stderr


def test_the_architecture_page_places_every_top_level_module() -> None:
    page = (REPO / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    layers = page.split("## Layers, bottom to top", 1)[1].split("\n## ", 1)[0]
    missing = [
        name
        for name in sorted(_top_level_modules())
        if f"`{name.removeprefix('gcexport.')}`" not in layers
        and f"`{name.removeprefix('gcexport.')}/`" not in layers
    ]
    assert missing == []
