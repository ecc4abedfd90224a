"""The README is true: every command and option it shows exists (as `--help` lists them), every
command exists in it, and its "look around" commands run as written after `make demo`."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer

from gcexport.cli import app
from gcexport.clock import FakeClock
from gcexport.commands.demo import run_demo
from tests.conftest import TEST_NOW, clean_env

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
GROUP = typer.main.get_command(app)  # a click command (typer may vendor its own click)


def _commands(group: Any, prefix: str = "gcexport") -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name, command in group.commands.items():
        path = f"{prefix} {name}"
        if hasattr(command, "commands"):
            found.update(_commands(command, path))
        else:
            found[path] = command
    return found


COMMANDS = _commands(GROUP)


def _options(command: Any) -> set[str]:
    names = {"--help", "-h"}
    for param in command.params:
        names.update(getattr(param, "opts", []))
        names.update(getattr(param, "secondary_opts", []))
    return names


def _shown_invocations() -> list[str]:
    """Every `gcexport …` the README shows, in code spans and code blocks (one line each)."""
    spans = re.findall(r"`(gcexport [^`]+)`", README)
    blocks = re.findall(r"```(?:sh|ini|cron)\n(.*?)```", README, re.S)
    found = (re.finditer(r"(?:^|\s|bin/)(gcexport -*[a-z][^#\n]*)", b, re.M) for b in blocks)
    lines = [m.group(1) for matches in found for m in matches]
    return spans + lines


def _command_of(text: str) -> str | None:
    words = text.split()
    for length in (3, 2):
        if " ".join(words[:length]) in COMMANDS:
            return " ".join(words[:length])
    return None


def test_every_command_and_option_the_readme_shows_exists() -> None:
    shown = _shown_invocations()
    assert len(shown) > 15
    for text in shown:
        command = _command_of(text)
        if text.split()[1:2] == ["--version"] or text.strip() in {"gcexport"}:
            continue
        assert command is not None, f"the README shows {text!r}: no such command"
        options = set(re.findall(r"(?<![\w-])(--?[a-z][\w-]*)", text))
        unknown = options - _options(COMMANDS[command])
        assert not unknown, f"the README shows {text!r}: {command} has no {sorted(unknown)}"


def test_every_command_is_in_the_readme_with_help() -> None:
    for path, command in COMMANDS.items():
        assert f"`{path}" in README, f"{path} is missing from the README's commands"
        assert command.help, f"{path} has no help text"


@pytest.fixture(scope="module")
def after_make_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder as `make demo` leaves it: `.venv` (this one) and `gcexport-demo/` (smaller)."""
    work = tmp_path_factory.mktemp("readme")
    (work / ".venv").symlink_to(Path(sys.executable).parent.parent, target_is_directory=True)
    code = run_demo(
        out=work / "gcexport-demo", days=2, conversations_per_day=120, quiet=True,
        clock=FakeClock(TEST_NOW),
    )  # fmt: skip
    assert code == 0
    return work


def test_the_demo_names_the_datasets_it_exports_as_the_readme_shows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from gcexport.datasets.registry import DATASETS

    code = run_demo(
        out=tmp_path / "demo", days=1, conversations_per_day=20, quiet=True,
        clock=FakeClock(TEST_NOW),
    )  # fmt: skip
    assert code == 0
    lines = capsys.readouterr().out.splitlines()
    default = ", ".join(d.name for d in DATASETS if d.default)
    opt_in = ", ".join(d.name for d in DATASETS if not d.default)
    expected = [
        f"Datasets exported (the default set): {default}",
        f"Opt-in, not exported: {opt_in} (`gcexport export --dataset NAME`)",
    ]
    assert lines[:2] == expected
    tour = README.split("## A tour of the demo", 1)[1].split("```\n", 2)[1]
    assert tour.splitlines()[:2] == expected


def _look_around_block() -> list[str]:
    block = re.search(r"Then look around:\n\n```sh\n(.*?)```", README, re.S)
    assert block is not None
    return [line.split("  #")[0].strip() for line in block.group(1).splitlines() if line.strip()]


def test_the_look_around_commands_run_as_written(after_make_demo: Path) -> None:
    lines = _look_around_block()
    assert any(line.startswith(".venv/bin/gcexport sql ") for line in lines)
    outputs = {}
    for line in lines:
        done = subprocess.run(
            ["bash", "-c", line], cwd=after_make_demo, env=clean_env(), capture_output=True,
            text=True, timeout=120,
        )  # fmt: skip
        assert (done.returncode, done.stderr) == (0, ""), line
        assert done.stdout.strip(), line
        outputs[line] = done.stdout
    sql = next(out for line, out in outputs.items() if " sql " in line)
    assert sql.splitlines()[1].startswith("---") and re.search(r"\(\d+ rows?\)", sql)


def test_the_report_command_runs_as_written(after_make_demo: Path) -> None:
    shown = re.search(r"`(\.venv/bin/gcexport report [^`]+)`", README)
    assert shown is not None
    done = subprocess.run(
        ["bash", "-c", shown.group(1)], cwd=after_make_demo, env=clean_env(), capture_output=True,
        text=True, timeout=300,
    )  # fmt: skip
    assert (done.returncode, done.stderr) == (0, "")
    written = Path(after_make_demo, done.stdout.strip())
    assert written.is_file() and 'data-kpi="offered"' in written.read_text(encoding="utf-8")


def test_make_demo_installs_only_the_product() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    demo = re.search(r"^demo: (.*)$", makefile, re.M)
    product = re.search(r"^\$\(PRODUCT\):.*\n((?:\t.*\n)+)", makefile, re.M)
    assert demo is not None and demo.group(1).strip() == "$(PRODUCT)"
    assert product is not None and "pip install --quiet -e .\n" in product.group(1)
