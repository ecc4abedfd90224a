"""Org identity: `[orgs.<slug>]` sections, their credentials and overrides, and the single-org default."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from gcexport.datasets.settings import load_settings
from gcexport.errors import ConfigError, CredentialsError
from gcexport.orgs import org_connection, require_org, with_org

ORGS = """
[export]
workers = 3
[orgs.acme]
region = "eu_west_1"
client_id_env = "ACME_CLIENT_ID"
client_secret_env = "ACME_CLIENT_SECRET"
[orgs.acme.export]
workers = 2
[orgs.globex_2]
client_id_env = "GLOBEX_ID"
client_secret_env = "GLOBEX_SECRET"
"""
ENV = {
    "ACME_CLIENT_ID": "acme-id",
    "ACME_CLIENT_SECRET": "acme-secret",
    "GLOBEX_ID": "globex-id",
    "GLOBEX_SECRET": "globex-secret",
    "GENESYS_CLIENT_ID": "global-id",
    "GENESYS_CLIENT_SECRET": "global-secret",
}


def _config(tmp_path: Path, text: str = ORGS) -> Path:
    path = tmp_path / "gcexport.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_an_org_gets_its_region_credentials_and_overrides(tmp_path: Path) -> None:
    settings = load_settings(_config(tmp_path), env=ENV, dotenv_path=None, org="acme")
    assert settings.org == "acme" and sorted(settings.orgs) == ["acme", "globex_2"]
    assert settings.genesys.region == "eu_west_1"
    assert settings.export.workers == 2
    conn = org_connection(settings)
    assert (conn.client_id, conn.client_secret.get_secret_value()) == ("acme-id", "acme-secret")
    assert conn.api_url == "https://api.mypurecloud.ie"
    other = load_settings(_config(tmp_path), env=ENV, dotenv_path=None, org="globex_2")
    assert (other.genesys.client_id, other.export.workers) == ("globex-id", 3)
    assert other.genesys.region == "us_east_1"


def test_flags_still_win_over_an_org(tmp_path: Path) -> None:
    settings = load_settings(
        _config(tmp_path),
        env=ENV,
        dotenv_path=None,
        org="acme",
        overrides={"export": {"workers": 7}},
    )
    assert settings.export.workers == 7


def test_single_org_setups_are_unchanged(tmp_path: Path) -> None:
    settings = load_settings(
        _config(tmp_path, "[export]\nworkers = 3\n"), env=ENV, dotenv_path=None
    )
    assert settings.org is None and settings.orgs == {}
    require_org(settings)  # nothing to choose
    assert settings.genesys.client_id == "global-id"


def test_orgs_configured_but_none_named(tmp_path: Path) -> None:
    settings = load_settings(_config(tmp_path), env=ENV, dotenv_path=None)
    assert settings.org is None and sorted(settings.orgs) == ["acme", "globex_2"]
    with pytest.raises(ConfigError) as info:
        require_org(settings)
    assert str(info.value) == "Orgs are configured: name one with --org; one of: acme, globex_2."
    assert info.value.exit_code == 2


@pytest.mark.parametrize(
    ("text", "org", "message"),
    [
        (ORGS, "nope", "Unknown org 'nope'; name one of: acme, globex_2."),
        (
            "[export]\nworkers = 2\n",
            "acme",
            "Unknown org 'acme': the configuration defines no [orgs.<slug>] sections, so leave "
            "out --org (or add the section).",
        ),
        ('[orgs.Acme]\nregion = "eu_west_1"\n', None, "Org name 'Acme' is not valid"),
        ('[orgs."a-b"]\nregion = "eu_west_1"\n', None, "Org name 'a-b' is not valid"),
        (f'[orgs.{"x" * 41}]\nregion = "eu_west_1"\n', None, "is not valid: use 1-40"),
        ("[orgs.acme]\nbudget = 3\n", None, "Unknown config key 'orgs.acme.budget'"),
        ('[orgs.acme]\nclient_id_env = "not a name"\n', None, "orgs.acme.client_id_env"),
        ('[orgs.acme]\nregion = "mars_1"\n', "acme", "region"),
        ("[orgs.acme.export]\nworkers = 0\n", "acme", "export.workers"),
        ('org = "acme"\n', None, "Unknown config key 'org'"),
    ],
)
def test_bad_org_config_is_one_sentence(
    tmp_path: Path, text: str, org: str | None, message: str
) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(_config(tmp_path, text), env=ENV, dotenv_path=None, org=org)
    assert message in str(info.value)
    assert info.value.exit_code == 2 and "\n" not in str(info.value)


def test_an_org_without_its_variables_says_which_to_set(tmp_path: Path) -> None:
    env = {k: v for k, v in ENV.items() if not k.startswith("ACME")}
    settings = load_settings(_config(tmp_path), env=env, dotenv_path=None, org="acme")
    assert settings.genesys.client_id is None  # never another org's (or the global) client
    with pytest.raises(CredentialsError) as info:
        org_connection(settings)
    assert str(info.value) == (
        "Org 'acme' has no Genesys credentials: set ACME_CLIENT_ID and ACME_CLIENT_SECRET."
    )


def test_the_org_column_comes_first() -> None:
    table = pa.table({"a": [1, 2, 3]})
    tagged = with_org(table, "acme")
    assert tagged.schema.names == ["org", "a"]
    assert tagged.column("org").to_pylist() == ["acme"] * 3
    assert with_org(tagged, "acme") is tagged
    assert with_org(table, None) is table
