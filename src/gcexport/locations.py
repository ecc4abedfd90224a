"""Where a run writes — output, state directory, DuckDB file — checked for overlaps before any write.

Publishing a partition replaces its folder whole, and the output folder belongs to gcexport: a
state directory (state.json, the run lock, the audit log) or a warehouse file inside a partition
would be deleted by the run's own publication, and an output nested in another would be swept
as foreign. The one overlap allowed is the usual one: a hidden folder (`.gcexport`, `.state`) or
the DuckDB file directly inside the output root, which gcexport never publishes over.

Example::

    check_locations(out="./data", state_dir="./data/.gcexport", warehouse_url=None)  # fine
    check_locations(out="./data", state_dir="./data", warehouse_url=None)  # DestinationError
"""

from __future__ import annotations

import re
from pathlib import Path

from gcexport.errors import DestinationError

__all__ = ["check_locations", "local_path"]

_PARTITION = re.compile(r"date=\d{4}-\d{2}-\d{2}")
_MARKER = "_gcexport.json"  # gcexport.sinks.storage.MARKER; not imported to keep this module light
_STAGING = ".staging"


def local_path(url: str) -> Path | None:
    """The local folder of an output location, or None for S3 (or any other remote scheme)."""
    if url.startswith("file://"):
        return Path(url.removeprefix("file://"))
    if "://" in url:
        return None
    return Path(url)


def _resolved(path: Path) -> Path:
    return path.expanduser().absolute().resolve(strict=False)


def check_locations(*, out: str, state_dir: str, warehouse_url: str | None) -> None:
    """DestinationError (exit 2) when the output, state directory and DuckDB file overlap."""
    state = _resolved(Path(state_dir))
    _check_not_in_partition(state, "State directory")
    out_path = local_path(out)
    if out_path is None:
        return
    root = _resolved(out_path)
    if root.exists() and not root.is_dir():
        raise DestinationError(f"Output {str(out_path)!r} is a file, not a folder.")
    _check_not_in_partition(root, "Output")
    _check_not_inside_other_output(root)
    _check_state(root, state)
    warehouse = _duckdb_file(warehouse_url)
    if warehouse is not None:
        _check_warehouse(root, _resolved(warehouse))


def _check_state(root: Path, state: Path) -> None:
    if state == root:
        raise DestinationError(f"State directory {str(state)!r} is the output folder itself.")
    if root.is_relative_to(state):
        raise DestinationError(
            f"Output {str(root)!r} is inside the state directory {str(state)!r}."
        )
    if state.is_relative_to(root) and not _own_hidden(state.relative_to(root)):
        raise DestinationError(
            f"State directory {str(state)!r} is inside the output {str(root)!r}, where a "
            "publication can replace it; use a hidden folder directly in the output "
            "(like .gcexport) or a folder outside it."
        )


def _own_hidden(rel: Path) -> bool:
    first = rel.parts[0]
    return first.startswith(".") and first != _STAGING


def _check_warehouse(root: Path, warehouse: Path) -> None:
    if not warehouse.is_relative_to(root):
        return
    rel = warehouse.relative_to(root)
    if len(rel.parts) > 1 and not _own_hidden(rel):
        raise DestinationError(
            f"Warehouse file {str(warehouse)!r} is inside the output {str(root)!r}, where a "
            "publication can replace it; put it directly in the output folder or outside it."
        )


def _check_not_in_partition(path: Path, what: str) -> None:
    if any(_PARTITION.fullmatch(part) for part in path.parts):
        raise DestinationError(
            f"{what} {str(path)!r} is inside a partition folder (date=…), which gcexport "
            "replaces whole when it publishes."
        )


def _check_not_inside_other_output(root: Path) -> None:
    for parent in root.parents:
        if (parent / _MARKER).is_file():
            raise DestinationError(
                f"Output {str(root)!r} is inside another gcexport output {str(parent)!r}."
            )


def _duckdb_file(url: str | None) -> Path | None:
    if not url or not url.startswith("duckdb://"):
        return None
    raw = url.split("://", 1)[1].split("?", 1)[0]
    return Path(raw) if raw and raw != "/" else None
