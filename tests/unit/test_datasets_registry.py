"""Datasets are plug-ins: the registry is the one list, and the CLI, `check`, the config, the plan
and the README all read it; a dataset may contribute its own config section."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pyarrow as pa
import pytest
import typer
from pydantic import BaseModel, ConfigDict

from gcexport.cli import app
from gcexport.config import DatasetCatalog, load_settings
from gcexport.datasets.registry import DATASETS, catalog, dataset_table, names, run_steps
from gcexport.datasets.settings import load_settings as load_registered_settings
from gcexport.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "gcexport"
# The run and command layer: no dataset name may be spelled here (the registry names them).
COMMAND_LAYER = (
    "cli",
    "config",
    "preflight",
    "probe",
    "run/__init__",
    "run/plan",
    "run/execute",
    "run/load",
    "run/verify",
    "run/commit",
    "commands/export",
    "commands/check",
    "commands/state",
    "commands/schedule",
)


def _readme_dataset_table() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("| dataset (`--dataset`) | Genesys endpoints |")
    end = text.index("\n\n", start)
    return text[start:end]


# Every dataset there is. A new one is added here on purpose, with its docs and tests
# (docs/ADDING-A-DATASET.md), so a change to the registry is never silent.
EXPECTED_DATASETS = {
    "conversation_details",
    "conversation_aggregates",
    "reporting_exports",
    "lookups",
    "user_status_details",
    "user_status_aggregates",
}


def test_the_registry_holds_the_expected_datasets() -> None:
    registered = [d.name for d in DATASETS]
    assert len(registered) == len(set(registered)), f"a dataset is registered twice: {registered}"
    added, removed = set(registered) - EXPECTED_DATASETS, EXPECTED_DATASETS - set(registered)
    assert not added and not removed, (
        f"the registry changed (added {sorted(added)}, removed {sorted(removed)}): "
        "update EXPECTED_DATASETS and follow docs/ADDING-A-DATASET.md"
    )


def test_the_readme_dataset_table_is_the_registry_rendered() -> None:
    assert _readme_dataset_table() == dataset_table()
    rows = re.findall(r"^\| `([a-z_]+)` ", dataset_table(), re.M)
    assert rows == [d.name for d in DATASETS]


def test_dataset_help_lists_every_registered_name() -> None:
    export = typer.main.get_command(app).commands["export"]  # type: ignore[attr-defined]
    (option,) = [p for p in export.params if "--dataset" in p.opts]
    listed = re.findall(r"[a-z_]+", option.help.removesuffix(" (repeatable)."))
    assert [n for n in listed if n != "or"] == list(names())


def test_every_dataset_declares_what_the_run_and_docs_need() -> None:
    assert len(set(names())) == len(DATASETS)
    for dataset in DATASETS:
        assert re.fullmatch(r"[a-z][a-z_]+", dataset.name), dataset
        assert dataset.summary and dataset.permission and dataset.doc_tables, dataset.name
        assert all(isinstance(s, pa.Schema) for s in dataset.tables.values()), dataset.name
    assert names(day_partitioned=False) == ("lookups",)
    assert catalog().defaults == (
        "conversation_details",
        "conversation_aggregates",
        "reporting_exports",
        "lookups",
    )


def test_config_checks_dataset_names_against_the_registry() -> None:
    with pytest.raises(ConfigError) as caught:
        load_registered_settings(
            overrides={"export": {"datasets": ["calls"]}}, env={}, dotenv_path=None
        )
    assert str(caught.value) == (
        "Invalid config value for 'export.datasets': unknown dataset 'calls'; valid: "
        + ", ".join(names())
        + "."
    )
    settings = load_registered_settings(env={}, dotenv_path=None)
    assert tuple(settings.export.datasets) == catalog().defaults


def test_run_steps_run_once_snapshots_first() -> None:
    agent = run_steps(["user_status_aggregates", "user_status_details"])
    assert len(agent) == 1 and agent[0].__name__ == "publish_agent_lookups"
    steps = run_steps(["conversation_aggregates", "lookups"])
    assert [s.__name__ for s in steps] == ["publish_lookups", "_load_queues"]
    assert run_steps(["conversation_details", "reporting_exports"]) == []


class _ToySection(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    limit: int = 10


TOY = DatasetCatalog(names=("toy",), defaults=("toy",), sections={"toy": _ToySection})


def test_a_dataset_contributes_its_own_section(tmp_path: Path) -> None:
    config = tmp_path / "gcexport.toml"
    config.write_text("[toy]\nlimit = 5\n", encoding="utf-8")
    from_file = load_settings(config_file=config, env={}, dotenv_path=None, catalog=TOY)
    assert from_file.section("toy", _ToySection).limit == 5
    from_env = load_settings(
        config_file=config, env={"GCEXPORT_TOY__LIMIT": "7"}, dotenv_path=None, catalog=TOY
    )
    assert from_env.section("toy", _ToySection).limit == 7
    assert from_env.model_dump()["toy"] == {"limit": 7}  # so the run's config hash covers it
    assert '"toy":{"limit":7}' in from_env.model_dump_json()
    default = load_settings(env={}, dotenv_path=None, catalog=TOY)
    assert default.section("toy", _ToySection).limit == 10 and default.export.datasets == ["toy"]


@pytest.mark.parametrize(
    ("toml", "env", "message"),
    [
        ("[toy]\nlimits = 5\n", {}, "Unknown config key 'toy.limits'"),
        ('[toy]\nlimit = "many"\n', {}, "Invalid config value for 'toy.limit'"),
        (
            "",
            {"GCEXPORT_TOY__NOPE": "1"},
            "Environment variable GCEXPORT_TOY__NOPE names no config key 'toy.nope'",
        ),
        ("[toy]\nlimit = 5\n", {}, None),
    ],
)
def test_a_contributed_section_is_checked_like_the_core(
    tmp_path: Path, toml: str, env: dict[str, str], message: str | None
) -> None:
    config = tmp_path / "gcexport.toml"
    config.write_text(toml, encoding="utf-8")
    if message is None:
        load_settings(config_file=config, env=env, dotenv_path=None, catalog=TOY)
        with pytest.raises(ConfigError, match="Unknown config key 'toy'"):
            load_registered_settings(config_file=config, env=env, dotenv_path=None)
        return
    with pytest.raises(ConfigError) as caught:
        load_settings(config_file=config, env=env, dotenv_path=None, catalog=TOY)
    assert str(caught.value).startswith(message)


def _string_literals(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }
    return {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    }


def test_the_command_and_run_layer_names_no_dataset() -> None:
    spelled = {
        module: sorted(_string_literals(PACKAGE / f"{module}.py") & set(names()))
        for module in COMMAND_LAYER
    }
    assert spelled == {module: [] for module in COMMAND_LAYER}


def test_adding_a_dataset_lists_every_hook_of_the_protocol() -> None:
    """docs/ADDING-A-DATASET.md's "who reads what" table names each member of `Dataset` (as
    `Dataset.<hook>…` or `<hook>` in code), so a new hook cannot go undocumented."""
    from gcexport.datasets.base import Dataset

    text = (ROOT / "docs" / "ADDING-A-DATASET.md").read_text(encoding="utf-8")
    table = re.search(r"^\| who \| reads \|\n((?:\|.*\n)+)", text, re.M)
    assert table is not None, "ADDING-A-DATASET.md has no '| who | reads |' table"
    spans = re.findall(r"`([^`]+)`", table.group(1))
    hooks = sorted(name for name in vars(Dataset) if not name.startswith("_"))
    assert len(hooks) >= 16, hooks  # the protocol was read
    missing = [
        hook
        for hook in hooks
        if not any(re.fullmatch(rf"(Dataset\.)?{hook}(\(.*\))?", span) for span in spans)
    ]
    assert not missing, f"docs/ADDING-A-DATASET.md's table does not list {missing}"
