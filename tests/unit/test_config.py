"""Settings merge TOML < .env < environment < flags, and reject bad input with one sentence."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from gcexport.config import parse_date_or_instant, parse_duration
from gcexport.datasets.settings import load_settings
from gcexport.errors import ConfigError, CredentialsError


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_sources_merge_with_flags_winning(tmp_path: Path) -> None:
    toml = _write(
        tmp_path / "c.toml",
        '[genesys]\nregion = "eu_west_1"\nclient_id = "from-toml"\n[export]\nformat = "csv"\nworkers = 2\n',
    )
    dotenv = _write(
        tmp_path / ".env", "GENESYS_CLIENT_ID=from-dotenv\nGENESYS_CLIENT_SECRET=s3cr3t\n"
    )
    settings = load_settings(
        config_file=toml,
        env={"GENESYS_CLIENT_ID": "from-env"},
        dotenv_path=dotenv,
        overrides={"export": {"format": "jsonl"}},
    )
    assert settings.genesys.region == "eu_west_1"
    assert settings.genesys.client_id == "from-env"
    assert settings.export.format == "jsonl"
    assert settings.export.workers == 2
    conn = settings.genesys.connection()
    assert (conn.api_url, conn.login_url) == (
        "https://api.mypurecloud.ie",
        "https://login.mypurecloud.ie",
    )
    assert conn.client_secret.get_secret_value() == "s3cr3t"


def test_api_and_login_url_override_the_region() -> None:
    env = {
        "GENESYS_CLIENT_ID": "abc",
        "GENESYS_CLIENT_SECRET": "xyz",
        "GENESYS_API_URL": "http://127.0.0.1:8089/",
        "GENESYS_LOGIN_URL": "http://127.0.0.1:8090",
    }
    conn = load_settings(env=env, dotenv_path=None).genesys.connection()
    assert (conn.api_url, conn.login_url) == ("http://127.0.0.1:8089", "http://127.0.0.1:8090")


def test_secret_never_prints() -> None:
    env = {"GENESYS_CLIENT_ID": "abc", "GENESYS_CLIENT_SECRET": "TOPSECRET-123"}
    settings = load_settings(env=env, dotenv_path=None)
    for text in (
        repr(settings),
        str(settings),
        settings.model_dump_json(),
        repr(settings.genesys.connection()),
    ):
        assert "TOPSECRET-123" not in text


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "Genesys credentials are missing"),
        ({"GENESYS_CLIENT_ID": "abc"}, "Genesys credentials are missing"),
        (
            {"GENESYS_CLIENT_ID": "has space", "GENESYS_CLIENT_SECRET": "x"},
            "GENESYS_CLIENT_ID is malformed",
        ),
        (
            {"GENESYS_CLIENT_ID": "abc", "GENESYS_CLIENT_SECRET": "a b"},
            "GENESYS_CLIENT_SECRET is malformed",
        ),
    ],
)
def test_bad_credentials_are_input_errors(env: dict[str, str], message: str) -> None:
    settings = load_settings(env=env, dotenv_path=None)
    with pytest.raises(CredentialsError, match=message) as info:
        settings.genesys.connection()
    assert info.value.exit_code == 2


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[export\n", "is not valid TOML"),
        ("[export]\nbogus = 1\n", "Unknown config key 'export.bogus'"),
        ("[nonsense]\nx = 1\n", "Unknown config key 'nonsense'"),
        ('[export]\nformat = "xml"\n', "Invalid config value for 'export.format'"),
        ('[export]\ndatasets = ["calls"]\n', "unknown dataset 'calls'"),
        ("[export]\nworkers = 0\n", "Invalid config value for 'export.workers'"),
        ('[genesys]\nregion = "mars"\n', "Unknown Genesys region 'mars'"),
        ('[export]\nlookback = "soon"\n', "is not a duration"),
    ],
)
def test_bad_config_files(tmp_path: Path, toml: str, message: str) -> None:
    path = _write(tmp_path / "bad.toml", toml)
    with pytest.raises(ConfigError, match=message):
        load_settings(config_file=path, env={}, dotenv_path=None)


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(config_file=tmp_path / "nope.toml", env={}, dotenv_path=None)


def test_dates_and_durations() -> None:
    assert parse_date_or_instant("2026-11-20") == datetime(2026, 11, 20, tzinfo=timezone.utc)
    assert parse_date_or_instant("2026-11-20T06:00:00Z") == datetime(
        2026, 11, 20, 6, tzinfo=timezone.utc
    )
    assert parse_date_or_instant("2026-11-20T08:00:00+02:00") == datetime(
        2026, 11, 20, 6, tzinfo=timezone.utc
    )
    assert parse_date_or_instant("2026-11-20T06:00") == datetime(
        2026, 11, 20, 6, tzinfo=timezone.utc
    )
    assert parse_duration("PT6H") == timedelta(hours=6)
    assert parse_duration("P1DT30M") == timedelta(days=1, minutes=30)
    assert parse_duration("2d") == timedelta(days=2)
    for bad in ("2026-13-01", "yesterday", "20261120x"):
        with pytest.raises(ConfigError, match="is not a date or timestamp"):
            parse_date_or_instant(bad)
    for bad in ("P", "PT", "six hours", ""):
        with pytest.raises(ConfigError, match="is not a duration"):
            parse_duration(bad)


def test_the_example_config_is_valid_end_to_end(tmp_path: Path) -> None:
    """gcexport.example.toml loads, and every query, KPI and cron in it passes run validation."""
    from gcexport.clock import FakeClock
    from gcexport.run.plan import prepare
    from tests.conftest import TEST_NOW

    example = Path(__file__).resolve().parents[2] / "gcexport.example.toml"
    settings = load_settings(
        config_file=example,
        env={"GENESYS_CLIENT_ID": "abc", "GENESYS_CLIENT_SECRET": "xyz"},
        dotenv_path=None,
        overrides={"export": {"out": str(tmp_path / "out"), "state_dir": str(tmp_path / "state")}},
    )
    plan = prepare(settings, request_start=None, request_end=None, clock=FakeClock(TEST_NOW))
    queries = plan.requests["conversation_aggregates"]
    assert [q.metrics[0] for q in queries] == ["nOffered", "tAnswered", "tHandle"]  # type: ignore[attr-defined]
    assert len(plan.requests["reporting_exports"]) == 2 and len(settings.schedules) == 2
    assert not (tmp_path / "out").exists() and not (tmp_path / "state").exists()
