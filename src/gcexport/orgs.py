"""Org identity: the `[orgs.<slug>]` config sections and how one org's settings are resolved.

A config with no `[orgs.*]` section is a single-org setup and nothing changes (`settings.org is
None`: same paths, tables and state file as before). With orgs, every run names one (`--org
acme`, `load_settings(..., org="acme")`) and the slug goes into the file paths
(`<table>/org=acme/date=…`), an `org` column, the warehouse's replace predicate, the state key
and the lease. Each org names the environment variables holding its own OAuth client, so one
config file serves every org without a secret in it::

    [orgs.acme]
    region = "eu_west_1"
    client_id_env = "ACME_CLIENT_ID"
    client_secret_env = "ACME_CLIENT_SECRET"
    [orgs.acme.export]
    workers = 2
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from gcexport.errors import ConfigError, CredentialsError

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = [
    "ORG_COLUMN",
    "ORG_SLUG",
    "OrgSettings",
    "apply_org",
    "org_connection",
    "parse_orgs",
    "require_org",
    "with_org",
]

ORG_COLUMN = "org"  # the first column of every table written for an org
ORG_SLUG = re.compile(r"[a-z0-9_]{1,40}")
_OWN_KEYS = ("region", "client_id_env", "client_secret_env")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")


class OrgSettings(BaseModel):
    """One org: its region, the names of the variables holding its client, and its overrides."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    region: str | None = None
    client_id_env: str | None = None
    client_secret_env: str | None = None
    overrides: dict[str, Any] = Field(default_factory=dict)  # other sections, e.g. {"export": …}


def parse_orgs(raw: Any, sections: Mapping[str, Any]) -> dict[str, OrgSettings]:
    """The `[orgs.*]` table as OrgSettings; ConfigError (one sentence) on a bad slug or key.

    `sections` are the top-level settings an org may override (`export`, `genesys`, …).
    """
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise ConfigError("Config key 'orgs' must be a table of [orgs.<slug>] sections.")
    return {slug: _one_org(slug, body, sections) for slug, body in raw.items()}


def _one_org(slug: str, body: Any, sections: Mapping[str, Any]) -> OrgSettings:
    if not ORG_SLUG.fullmatch(slug):
        raise ConfigError(
            f"Org name {slug!r} is not valid: use 1-40 lowercase letters, digits or '_'."
        )
    if not isinstance(body, Mapping):
        raise ConfigError(f"Config key 'orgs.{slug}' must be a table.")
    own = {k: v for k, v in body.items() if k in _OWN_KEYS}
    for key, value in own.items():
        if not isinstance(value, str) or (key != "region" and not _ENV_NAME.fullmatch(value)):
            raise ConfigError(f"Invalid config value for 'orgs.{slug}.{key}': {value!r}.")
    rest = {k: v for k, v in body.items() if k not in _OWN_KEYS}
    for key in rest:
        if key not in sections or key == "orgs":
            raise ConfigError(
                f"Unknown config key 'orgs.{slug}.{key}'; an org sets region, client_id_env, "
                "client_secret_env or overrides a section such as [orgs.{slug}.export]."
            )
    return OrgSettings(**own, overrides=dict(rest))


def apply_org(
    data: dict[str, Any],
    orgs: Mapping[str, OrgSettings],
    org: str,
    *,
    env: Mapping[str, str],
    merge: Callable[[dict[str, Any], Mapping[str, Any]], dict[str, Any]],
) -> dict[str, Any]:
    """`data` with org `org`'s overrides, region and credentials (read from its variables)."""
    if not orgs:
        raise ConfigError(
            f"Unknown org {org!r}: the configuration defines no [orgs.<slug>] sections, "
            "so leave out --org (or add the section)."
        )
    if org not in orgs:
        raise ConfigError(f"Unknown org {org!r}; name one of: {', '.join(sorted(orgs))}.")
    chosen = orgs[org]
    data = merge(data, chosen.overrides)
    genesys: dict[str, Any] = {}
    if chosen.region:
        genesys["region"] = chosen.region
    for key, var in (
        ("client_id", chosen.client_id_env),
        ("client_secret", chosen.client_secret_env),
    ):
        if var is not None:
            genesys[key] = env.get(var) or None  # unset: the run says which variable to set
    return merge(data, {"genesys": genesys} if genesys else {})


def require_org(settings: Any) -> None:
    """ConfigError unless a single-org setup, or one of the configured orgs is chosen."""
    if settings.orgs and settings.org is None:
        names = ", ".join(sorted(settings.orgs))
        raise ConfigError(f"Orgs are configured: name one with --org; one of: {names}.")


def org_connection(settings: Any) -> Any:
    """`settings.genesys.connection()`, naming an org's own variables when its client is unset."""
    chosen = settings.orgs.get(settings.org) if settings.org else None
    g = settings.genesys
    if chosen is not None and (not g.client_id or not g.client_secret):
        names = [n for n in (chosen.client_id_env, chosen.client_secret_env) if n]
        where = " and ".join(names) or f"[orgs.{settings.org}.genesys]"
        raise CredentialsError(f"Org {settings.org!r} has no Genesys credentials: set {where}.")
    return g.connection()


def with_org(table: pa.Table, org: str | None) -> pa.Table:
    """`table` with the org's slug as its first column `org` (unchanged without an org)."""
    if org is None or (table.num_columns and table.schema.names[0] == ORG_COLUMN):
        return table
    import pyarrow as pa

    column = pa.array([org] * table.num_rows, type=pa.string())
    return table.add_column(0, pa.field(ORG_COLUMN, pa.string()), column)
