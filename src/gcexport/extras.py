"""Optional drivers (boto3, the Snowflake connector): imported on demand, or named as bad input.

A missing extra is the user's to fix, so it is a ConfigError (exit 2) naming what to install,
raised before anything is written.

Example::

    boto3 = import_extra("boto3", extra="s3", purpose="an s3:// destination")
"""

from __future__ import annotations

import importlib
from types import ModuleType

from gcexport.errors import ConfigError

__all__ = ["import_extra"]


def import_extra(module: str, *, extra: str, purpose: str) -> ModuleType:
    """Import `module`, or raise ConfigError saying `pip install 'gcexport[extra]'`."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        missing = exc.name or module
        raise ConfigError(
            f"{purpose} needs the Python package {missing}, which is not installed: "
            f"pip install 'gcexport[{extra}]'"
        ) from exc
