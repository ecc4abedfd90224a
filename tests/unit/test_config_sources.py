"""Every key is an environment variable (`GCEXPORT_<SECTION>__<KEY>`), `./gcexport.toml` is found
without `--config`, and the precedence stays defaults < TOML < .env < environment < flags."""

from __future__ import annotations

from pathlib import Path

import pytest

from gcexport.config import find_config_file
from gcexport.datasets.settings import load_settings
from gcexport.errors import ConfigError
from tests.conftest import clean_env


def test_keyed_variables_reach_nested_keys_lists_and_user_kpis() -> None:
    settings = load_settings(
        env={
            "GCEXPORT_EXPORT__WORKERS": "7",
            "GCEXPORT_EXPORT__DATASETS": '["lookups", "conversation_details"]',
            "GCEXPORT_GENESYS__REQUESTS_PER_MINUTE": "120",
            "GCEXPORT_WEBHOOK__URL": "https://hooks.example.com/x",
            "GCEXPORT_KPIS__HOLD_SHARE": "hold_ms_sum / handle_ms_sum",
            "GCEXPORT_DEBUG": "1",  # not a config key: passes by
        },
        dotenv_path=None,
    )
    assert settings.export.workers == 7
    assert settings.export.datasets == ["lookups", "conversation_details"]
    assert settings.genesys.requests_per_minute == 120
    assert settings.webhook.url == "https://hooks.example.com/x"
    assert settings.kpis == {"hold_share": "hold_ms_sum / handle_ms_sum"}


def test_precedence_toml_then_dotenv_then_environment_then_flags(tmp_path: Path) -> None:
    toml = tmp_path / "c.toml"
    toml.write_text("[export]\nworkers = 2\nformat = 'csv'\nlookback = 'P2D'\n", encoding="utf-8")
    dotenv = tmp_path / ".env"
    dotenv.write_text(
        "GCEXPORT_EXPORT__WORKERS=3\nGCEXPORT_EXPORT__FORMAT=jsonl\n", encoding="utf-8"
    )
    settings = load_settings(
        config_file=toml,
        env={"GCEXPORT_EXPORT__WORKERS": "5"},
        dotenv_path=dotenv,
        overrides={"export": {"workers": 6}},
    )
    assert (settings.export.workers, settings.export.format) == (6, "jsonl")
    assert settings.export.lookback == "P2D"
    without_flag = load_settings(
        config_file=toml, env={"GCEXPORT_EXPORT__WORKERS": "5"}, dotenv_path=dotenv
    )
    assert without_flag.export.workers == 5


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("GCEXPORT_EXPROT__WORKERS", "2", "GCEXPORT_EXPROT__WORKERS names no config key 'exprot'"),
        ("GCEXPORT_EXPORT__WROKERS", "2", "names no config key 'export.wrokers'"),
        ("GCEXPORT_EXPORT__DATASETS", "[oops", "GCEXPORT_EXPORT__DATASETS is not valid JSON"),
        ("GCEXPORT_EXPORT__WORKERS", "many", "Invalid config value for 'export.workers'"),
    ],
)
def test_a_bad_variable_is_one_sentence(name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(".", r"\.")):
        load_settings(env={name: value}, dotenv_path=None)


def test_gcexport_toml_in_the_working_folder_is_found(tmp_path: Path) -> None:
    assert find_config_file(tmp_path) is None
    (tmp_path / "gcexport.toml").write_text("[export]\nworkers = 3\n", encoding="utf-8")
    assert find_config_file(tmp_path) == tmp_path / "gcexport.toml"


def test_the_cli_reads_gcexport_toml_without_config_and_names_it_in_errors(
    cli, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "gcexport.toml").write_text("[export]\nworkres = 3\n", encoding="utf-8")
    result = cli("check", env=clean_env())
    assert result.code == 2
    assert result.stderr.strip() == (
        "gcexport: error: Unknown config key 'export.workres'; see gcexport.example.toml for the "
        "valid keys."
    )
    result = cli("check", env=clean_env(GCEXPORT_EXPORT__BOGUS="1"))
    assert result.code == 2
    assert "GCEXPORT_EXPORT__BOGUS names no config key 'export.bogus'" in result.stderr


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "GENESYS_CLIENT_ID=abc\n# a comment\n\n  \nGENESYS_CLIENT_SECRET\n",
            "line 5 has no '=': write it as NAME=value.",
        ),
        (
            "GENESYS_CLIENT_ID=abc\njust some words\n",
            "line 2 cannot be read: write each line as NAME=value, a quoted value between "
            "matching quotes.",
        ),
        (
            'GENESYS_CLIENT_ID="abc\nGENESYS_CLIENT_SECRET=xyz\n',
            "line 1 cannot be read: write each line as NAME=value, a quoted value between "
            "matching quotes.",
        ),
        (
            "\nGENESYS_CLIENT_ID='abc\n",
            "line 2 cannot be read: write each line as NAME=value, a quoted value between "
            "matching quotes.",
        ),
    ],
)
def test_an_unreadable_dotenv_line_is_one_sentence_naming_file_and_line(
    tmp_path: Path, text: str, message: str
) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_settings(env={}, dotenv_path=dotenv)
    assert str(info.value) == f"The .env file {dotenv} {message}"
    assert info.value.exit_code == 2


def test_a_dotenv_with_comments_export_and_quotes_still_reads(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text(
        "# credentials\n\nexport GENESYS_CLIENT_ID=abc\n"
        "GENESYS_CLIENT_SECRET='x y' # trailing comment\nGCEXPORT_EXPORT__WORKERS=3\n",
        encoding="utf-8",
    )
    settings = load_settings(env={}, dotenv_path=dotenv)
    assert (settings.genesys.client_id, settings.export.workers) == ("abc", 3)
    assert settings.genesys.client_secret.get_secret_value() == "x y"


def test_the_cli_stops_at_an_unreadable_dotenv_line_before_writing(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / ".env").write_text(
        "GENESYS_CLIENT_ID=abc\nGENESYS_CLIENT_SECRET\n", encoding="utf-8"
    )
    result = cli("export", env=clean_env())
    assert (result.code, result.stdout) == (2, "")
    assert result.stderr == (
        "gcexport: error: The .env file .env line 2 has no '=': write it as NAME=value.\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == [".env"]


def test_a_dotenv_that_is_not_utf8_is_one_sentence(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_bytes(b"GENESYS_CLIENT_ID=caf\xe9\n")
    with pytest.raises(ConfigError) as info:
        load_settings(env={}, dotenv_path=dotenv)
    assert str(info.value) == f"The .env file {dotenv} is not UTF-8 text."
