"""The CLI frame: help lists every command, --version works, and bad input exits 2 with one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import clean_env

COMMANDS = ["export", "demo", "schedule", "check", "report", "emulator"]
CREDS = {"GENESYS_CLIENT_ID": "abc", "GENESYS_CLIENT_SECRET": "xyz"}


def test_help_lists_every_command(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("--help")
    assert result.code == 0
    for command in COMMANDS:
        assert command in result.stdout
    for command in COMMANDS:
        sub = cli(command, "--help")
        assert sub.code == 0, command
        assert "Usage:" in sub.stdout
    assert "serve" in cli("emulator", "--help").stdout


def test_version(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("--version")
    assert result.code == 0
    assert result.stdout.startswith("gcexport ")


def _assert_bad_input(result, expected: str, workdir: Path) -> None:  # type: ignore[no-untyped-def]
    assert result.code == 2, (result.code, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert expected in lines[0]
    assert "Traceback" not in result.stderr + result.stdout
    assert not (workdir / "gcexport-data").exists()
    assert not (workdir / ".gcexport").exists()


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        (["export"], {}, "Genesys credentials are missing"),
        (["export"], {**CREDS, "GENESYS_REGION": "mars"}, "Unknown Genesys region 'mars'"),
        (
            ["export", "--start", "yesterday", "--end", "2026-01-02"],
            CREDS,
            "is not a date or timestamp",
        ),
        (
            ["export", "--start", "2026-01-05", "--end", "2026-01-02"],
            CREDS,
            "must be after --start",
        ),
        (["export", "--start", "2026-01-05"], CREDS, "Give both --start and --end"),
        (["export", "--start", "2999-01-01", "--end", "2999-01-02"], CREDS, "is in the future"),
        (["export", "--format", "xml"], CREDS, "Invalid config value for 'export.format'"),
        (["export", "--dataset", "calls"], CREDS, "unknown dataset 'calls'"),
        (["export", "--set", "export.bogus=1"], CREDS, "Unknown config key 'export.bogus'"),
        (["export", "--set", "nonsense"], CREDS, "must look like section.key=value"),
        (["export", "--warehouse", "postgres://x/y"], CREDS, "Unsupported warehouse URL"),
        (["export", "--set", 'aggregates=[{metrics=["nOfferd"]}]'], CREDS, "nOffered"),
        (["report", "--start", "2026-13-01"], {}, "is not a date or timestamp"),
        *(
            (
                [*command, "--org", "acme"],
                CREDS,
                "Unknown org 'acme': the configuration defines no [orgs.<slug>] sections",
            )
            for command in (["export"], ["check"], ["state", "show"], ["state", "reset"])
        ),
    ],
)
def test_bad_input_exits_2_with_one_line(cli, tmp_path: Path, args, env, expected) -> None:  # type: ignore[no-untyped-def]
    _assert_bad_input(cli(*args, env=clean_env(**env)), expected, tmp_path)


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ("[export\n", "is not valid TOML"),
        ("[export]\nbogus = 1\n", "Unknown config key 'export.bogus'"),
        ('[genesys]\nregion = "atlantis"\n', "Unknown Genesys region 'atlantis'"),
        ('[[schedules]]\nname = "x"\ncron = "61 * * * *"\n', "invalid cron expression"),
    ],
)
def test_bad_config_file(cli, tmp_path: Path, toml: str, expected: str) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "bad.toml").write_text(toml, encoding="utf-8")
    _assert_bad_input(
        cli("export", "--config", "bad.toml", env=clean_env(**CREDS)), expected, tmp_path
    )


def test_missing_config_file(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _assert_bad_input(
        cli("export", "--config", "nope.toml", env=clean_env(**CREDS)), "does not exist", tmp_path
    )


def test_unknown_option_is_a_usage_error(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("export", "--frobnicate")
    assert result.code == 2
    assert "No such option" in result.stderr
    assert "Traceback" not in result.stderr
