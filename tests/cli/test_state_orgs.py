"""`gcexport state` per org: its own state folder, or the destination's append-only objects."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from tests.conftest import TEST_NOW, clean_env, run_cli

CONFIG = """
[export]
out = "{out}"
state_dir = "{state}"
lookback = "PT0S"
[orgs.acme]
region = "eu_west_1"
[orgs.globex]
region = "us_east_1"
"""


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "gcexport.toml"
    path.write_text(CONFIG.format(out=tmp_path / "out", state=tmp_path / "state"), encoding="utf-8")
    return path


def test_state_of_one_org_lives_in_its_folder(tmp_path: Path) -> None:
    config = _config(tmp_path)
    folder = tmp_path / "state" / "org=acme"
    folder.mkdir(parents=True)
    mark = TEST_NOW.date() - timedelta(days=1)
    state = {"conversation_details": {"final_through": f"{mark}T00:00:00+00:00"}}
    (folder / "state.json").write_text(json.dumps({"version": 1, "datasets": state}))
    acme = run_cli(
        ["state", "show", "-c", str(config), "--org", "acme"], cwd=tmp_path, env=clean_env()
    )
    assert acme.code == 0, acme.stderr
    assert acme.stdout.startswith(f"state {folder / 'state.json'} at ")
    assert f"every day before {mark}" in acme.stdout
    globex = run_cli(
        ["state", "show", "-c", str(config), "--org", "globex"], cwd=tmp_path, env=clean_env()
    )
    assert globex.code == 0 and "nothing yet (no run so far)" in globex.stdout
    bare = run_cli(["state", "show", "-c", str(config)], cwd=tmp_path, env=clean_env())
    assert bare.code == 2
    assert bare.stderr.endswith("Orgs are configured: name one with --org; one of: acme, globex.\n")


def test_reset_in_the_destination_appends_an_empty_state(tmp_path: Path) -> None:
    config = _config(tmp_path)
    args = ["-c", str(config), "--org", "globex", "--set", 'state.backend="destination"']
    (tmp_path / "out").mkdir()
    folder = tmp_path / "out" / "_gcexport_state" / "org=globex"
    folder.mkdir(parents=True)
    mark = TEST_NOW.date() - timedelta(days=1)
    old = {"version": 1, "datasets": {"lookups": {"final_through": f"{mark}T00:00:00+00:00"}}}
    (folder / "state-0000000001-aaaa.json").write_text(json.dumps(old))
    (tmp_path / "out" / "_gcexport.json").write_text("{}")
    shown = run_cli(["state", "show", *args], cwd=tmp_path, env=clean_env())
    assert shown.code == 0, shown.stderr
    assert shown.stdout.startswith(f"state {folder.as_uri()} at ")
    reset = run_cli(["state", "reset", *args], cwd=tmp_path, env=clean_env())
    assert reset.code == 0, reset.stderr
    assert (
        reset.stdout
        == f"state cleared in {folder.as_uri()}; the next run starts from export.first_start.\n"
    )
    names = sorted(p.name for p in folder.iterdir())
    assert names[0] == "state-0000000001-aaaa.json" and len(names) == 2  # nothing rewritten
    assert json.loads((folder / names[1]).read_text())["datasets"] == {}
