"""The settings as users load them: `config.load_settings` checked against the registry's datasets.

`config` holds the core sections and the merge (flags > environment > `.env` > TOML > defaults);
this adds what only the registry knows — the dataset names, the default ones, and the sections
datasets contribute — so that config never imports `datasets`.

Example::

    settings = load_settings(config_file=Path("gcexport.toml"))
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gcexport import config
from gcexport.config import Settings
from gcexport.datasets.registry import catalog

__all__ = ["load_settings"]


def load_settings(
    config_file: Path | None = None,
    *,
    overrides: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    dotenv_path: Path | None = Path(".env"),
    org: str | None = None,
) -> Settings:
    """Merge every source into validated Settings; raise ConfigError with one clear sentence."""
    return config.load_settings(
        config_file=config_file,
        overrides=overrides,
        env=env,
        dotenv_path=dotenv_path,
        catalog=catalog(),
        org=org,
    )
