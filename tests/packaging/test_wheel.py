"""The package as a stranger gets it: every import declared; sdist and wheel build and pass
`twine check`; the wheel, installed without extras into a new venv on the oldest and newest
supported Python, runs `gcexport --version` and a one-day demo, names the extra a missing driver
needs, and passes the unit tests there.

The interpreters come from pyenv (CI's machine has 3.10 and 3.13); `GCEXPORT_TEST_PYTHONS`
(paths, separated by `:`) overrides where to look for them.
"""

from __future__ import annotations

import ast
import glob
import importlib.metadata as md
import os
import re
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from gcexport import __version__
from tests.conftest import TEST_NOW, clean_env

ROOT = Path(__file__).resolve().parents[2]
VERSIONS = ["3.10", "3.13"]  # the oldest and newest that pyproject.toml declares and CI has
# The import contracts are a property of the source tree, checked with the dev tools (make lint).
UNIT_TESTS = [
    "tests/unit",
    "tests/transform",
    "tests/report/test_scope.py",
    "--ignore=tests/unit/test_layering.py",
]
TEST_TOOLS = ["pytest>=8,<10", "pytest-timeout>=2.3,<3", "hypothesis>=6.100,<7"]
CREDS = {"GENESYS_CLIENT_ID": "abc", "GENESYS_CLIENT_SECRET": "xyz"}


def _run(args: list[str], *, timeout: float = 900, **kwargs: object) -> str:
    done = subprocess.run(args, capture_output=True, text=True, timeout=timeout, **kwargs)  # type: ignore[call-overload]
    assert done.returncode == 0, f"{args[:4]} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return str(done.stdout)


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared() -> set[str]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:
        import tomli as tomllib
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    reqs = list(project["dependencies"])
    for extra, deps in project["optional-dependencies"].items():
        if extra not in ("dev", "all"):
            reqs += deps
    return {_norm(re.split(r"[ <>=!~;\[]", r, maxsplit=1)[0]) for r in reqs}


def _lazy_import(node: ast.AST) -> bool:
    """A call of `gcexport.extras.import_extra` with the module's name as a literal."""
    return (
        isinstance(node, ast.Call)
        and getattr(node.func, "id", getattr(node.func, "attr", None)) == "import_extra"
        and bool(node.args)
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    )


def _imported_top_levels() -> dict[str, str]:
    found: dict[str, str] = {}
    for path in sorted((ROOT / "src").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            elif _lazy_import(node):  # import_extra("snowflake.connector", extra=...)
                names = [node.args[0].value]  # type: ignore[attr-defined]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top != "gcexport":
                    found.setdefault(top, str(path.relative_to(ROOT)))
    return found


def test_every_third_party_import_is_declared() -> None:
    declared, dists = _declared(), md.packages_distributions()
    imported = _imported_top_levels()
    undeclared = {
        top: where
        for top, where in imported.items()
        if not {_norm(d) for d in dists.get(top, [top])} & declared
    }
    assert undeclared == {}
    assert {"click", "numpy", "typer", "pyarrow", "boto3", "snowflake"} <= set(imported)


def _python(version: str) -> str:
    paths = os.environ.get("GCEXPORT_TEST_PYTHONS", "")
    candidates = paths.split(":") if paths else []
    candidates += sorted(glob.glob(os.path.expanduser(f"~/.pyenv/versions/{version}*/bin/python")))
    for candidate in candidates:
        if candidate and _version_of(candidate) == version:
            return candidate
    message = f"no Python {version} found (pyenv, or GCEXPORT_TEST_PYTHONS)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def _version_of(python: str) -> str:
    try:
        out = _run([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"], timeout=30)
    except (OSError, AssertionError):
        return ""
    return out.strip()


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """sdist and wheel, built the way a release is (`python -m build`: wheel from the sdist)."""
    out = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)])
    (sdist,) = out.glob("*.tar.gz")
    (wheel,) = out.glob("*.whl")
    return {"sdist": sdist, "wheel": wheel}


@pytest.mark.timeout(900)  # builds the sdist and the wheel (the fixture) first
def test_sdist_and_wheel_pass_twine_check_and_hold_the_license(dist: dict[str, Path]) -> None:
    report = _run([sys.executable, "-m", "twine", "check", "--strict", *map(str, dist.values())])
    assert report.count("PASSED") == 2, report
    assert dist["wheel"].name == f"gcexport-{__version__}-py3-none-any.whl"
    with zipfile.ZipFile(dist["wheel"]) as wheel:
        names = wheel.namelist()
        metadata = wheel.read(f"gcexport-{__version__}.dist-info/METADATA").decode()
    assert f"gcexport-{__version__}.dist-info/licenses/LICENSE" in names
    sources = {str(p.relative_to(ROOT / "src")) for p in (ROOT / "src").rglob("*.py")}
    assert sources | {"gcexport/py.typed"} <= set(names)
    assert "License-Expression: Apache-2.0" in metadata
    assert "Classifier: Programming Language :: Python :: 3.10" in metadata
    assert "Requires-Dist: click" in metadata and "Requires-Dist: numpy" in metadata
    with tarfile.open(dist["sdist"]) as sdist:
        members = {m.split("/", 1)[1] for m in sdist.getnames() if "/" in m}
    assert {"LICENSE", "README.md", "pyproject.toml", "src/gcexport/cli.py"} <= members


@pytest.mark.slow
@pytest.mark.timeout(1800)  # two venvs' installs, a demo and the unit tests, on a busy machine
@pytest.mark.parametrize("version", VERSIONS)
def test_the_wheel_without_extras_runs_on_the_oldest_and_newest_python(
    dist: dict[str, Path], version: str, tmp_path: Path
) -> None:
    python = _python(version)
    venv = tmp_path / "venv"
    _run([python, "-m", "venv", str(venv)])
    bin_ = venv / "bin"
    _run([str(bin_ / "python"), "-m", "pip", "install", "--quiet", str(dist["wheel"])])
    installed = _run([str(bin_ / "python"), "-m", "pip", "list", "--format=freeze"]).lower()
    assert "boto3" not in installed and "snowflake" not in installed and "pytest" not in installed

    work = tmp_path / "work"
    work.mkdir()
    env = clean_env()
    assert _run([str(bin_ / "gcexport"), "--version"], env=env, cwd=work).strip() == (
        f"gcexport {__version__}"
    )
    demo = _run(
        [str(bin_ / "gcexport"), "demo", "--out", "demo", "--days", "1",
         "--conversations-per-day", "40"],
        env=env, cwd=work, timeout=600,
    )  # fmt: skip
    assert "KPI report:" in demo and (work / "demo" / "gcexport.duckdb").is_file()
    day = (TEST_NOW.date()).isoformat()
    assert any((work / "demo" / "conversations").glob("date=*")), demo
    assert not (work / "demo" / "conversations" / f"date={day}").exists()  # today is not done

    _assert_missing_extras(bin_ / "gcexport", tmp_path / "extras")
    _assert_unit_tests_pass(bin_ / "python")


def _assert_missing_extras(gcexport: Path, work: Path) -> None:
    cases = [
        (["--out", "s3://bucket/exports"], {}, "pip install 'gcexport[s3]'"),
        (["--warehouse", "snowflake://u@acct/DB/SCH?warehouse=W"], {"SNOWFLAKE_PASSWORD": "pw"},
         "pip install 'gcexport[snowflake]'"),
    ]  # fmt: skip
    for args, extra_env, advice in cases:
        work.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            [str(gcexport), "export", "--start", "2026-01-01", "--end", "2026-01-02", *args],
            env=clean_env(**CREDS, **extra_env), cwd=work, capture_output=True, text=True,
            timeout=120,
        )  # fmt: skip
        assert (done.returncode, done.stdout) == (2, ""), done.stderr
        assert done.stderr.count("\n") == 1 and done.stderr.startswith("gcexport: error: ")
        assert done.stderr.rstrip().endswith(advice), done.stderr
        assert list(work.iterdir()) == [], "nothing may be written"


def _assert_unit_tests_pass(python: Path) -> None:
    _run([str(python), "-m", "pip", "install", "--quiet", *TEST_TOOLS])
    out = _run(
        [str(python), "-m", "pytest", "-p", "no:cacheprovider", "-q", "-x", *UNIT_TESTS],
        cwd=ROOT, env=clean_env(), timeout=900,
    )  # fmt: skip
    assert re.search(r"\d+ passed", out) and " failed" not in out, out[-2000:]
