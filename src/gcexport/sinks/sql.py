"""SQL names shared by every warehouse: the partition column and identifier quoting.

A module of its own so that the warehouse implementations and `open_warehouse` (which imports them
lazily) never import each other.

Example::

    quote_ident('my "odd" name')   # '"my ""odd"" name"'
"""

from __future__ import annotations

from gcexport.orgs import ORG_COLUMN

__all__ = ["ORG_COLUMN", "PARTITION_COLUMN", "quote_ident"]

PARTITION_COLUMN = "partition_date"


def quote_ident(name: str) -> str:
    """A double-quoted SQL identifier (quotes inside doubled)."""
    return '"' + name.replace('"', '""') + '"'
