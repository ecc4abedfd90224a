"""`gcexport check` runs every check, reports each and writes nothing (issue #20: it stopped at the
first missing credential and created the DuckDB file); a held DuckDB file is named, not a crash."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import clean_env, run_cli
from tests.pipeline.conftest import Served
from tests.sinks.test_duckdb_sharing import holder


def _tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def test_check_without_credentials_reports_every_check_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "data"
    before = _tree(tmp_path)
    result = run_cli(
        ["check", "--set", f'export.out="{out}"', "--set", 'export.datasets=["lookups"]'],
        cwd=tmp_path,
        env=clean_env(),
    )
    assert result.code == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("FAIL  credentials ") and "credentials are missing" in lines[0]
    assert lines[1].startswith("FAIL  credentials (token)") and "not checked" in lines[1]
    assert lines[2].startswith("FAIL  lookups (") and "not checked" in lines[2]
    assert lines[3].startswith(f"PASS  output {out}")
    assert lines[4].startswith(f"PASS  warehouse duckdb://{out}/gcexport.duckdb")
    assert "does not exist yet" in lines[4]
    assert lines[5] == "2 of 5 checks passed"
    assert _tree(tmp_path) == before  # no output folder, no DuckDB file, no state


def test_check_and_export_name_the_process_holding_the_duckdb_file(
    served: Served, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    first = run_cli(
        [
            "export",
            "--out",
            str(out),
            "--state-dir",
            str(tmp_path / "s"),
            "--quiet",
            "--dataset",
            "lookups",
        ],
        cwd=tmp_path,
        env=served.env(),
    )
    assert first.code == 0, first.stderr
    database = out / "gcexport.duckdb"
    ok = run_cli(["check", "--set", f'export.out="{out}"'], cwd=tmp_path, env=served.env())
    assert "(opened read-only)" in ok.stdout, ok.stdout
    with holder(database, 60.0) as proc:
        check = run_cli(["check", "--set", f'export.out="{out}"'], cwd=tmp_path, env=served.env())
        export = run_cli(
            [
                "export",
                "--out",
                str(out),
                "--state-dir",
                str(tmp_path / "s"),
                "--quiet",
                "--dataset",
                "lookups",
                "--set",
                'export.warehouse_lock_wait="PT1S"',
            ],
            cwd=tmp_path,
            env=served.env(),
        )
    assert check.code == 1
    assert f"is in use by PID {proc.pid}" in check.stdout
    assert export.code == 1, export.stderr
    assert f"DuckDB database {database} is in use by PID {proc.pid}" in export.stderr
    assert "Traceback" not in export.stderr


def test_check_deep_without_credentials_is_one_sentence_exit_2_and_writes_nothing(
    tmp_path: Path,
) -> None:
    before = _tree(tmp_path)
    result = run_cli(
        ["check", "--deep", "--set", f'export.out="{tmp_path / "data"}"'],
        cwd=tmp_path,
        env=clean_env(),
    )
    assert (result.code, result.stdout) == (2, "")
    assert result.stderr == (
        "gcexport: error: Genesys credentials are missing: set GENESYS_CLIENT_ID and "
        "GENESYS_CLIENT_SECRET (environment, .env, or [genesys] in the config file).\n"
    )
    assert _tree(tmp_path) == before  # above all, no deep-check report


def test_check_deep_whose_token_fails_says_the_probes_did_not_run_and_claims_no_report(
    served: Served, tmp_path: Path
) -> None:
    before = _tree(tmp_path)
    result = run_cli(
        ["check", "--deep", "--set", f'export.out="{tmp_path / "data"}"',
         "--set", 'export.datasets=["lookups"]'],
        cwd=tmp_path,
        env=served.env(GENESYS_CLIENT_SECRET="not-the-secret"),
    )  # fmt: skip
    assert result.code == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines[1].startswith("FAIL  credentials (token)"), lines
    assert lines[2].startswith("FAIL  lookups (") and "not checked: no token" in lines[2]
    assert lines[3] == f"FAIL  {'deep probes':<34} not run: no token, so no report written"
    assert lines[-1] == "3 of 6 checks passed"
    assert not any("deep-check report" in line for line in lines)
    assert _tree(tmp_path) == before
