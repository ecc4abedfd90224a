"""What a run is asked (`ExportRequest`) and what it reports (`RunSummary`), with the run's identity.

Example::

    summary = begin_summary(plan, now=clock.now())
    assert summary.status == "running"
"""

from __future__ import annotations

import hashlib
import platform
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypedDict

import httpx

from gcexport import __version__
from gcexport.config import Settings

__all__ = [
    "ExportRequest",
    "JsonObject",
    "RunSummary",
    "TableTotals",
    "config_hash",
    "new_run_id",
    "versions",
]

JsonObject = dict[str, object]  # one JSON object: a parity row, a drift finding, a manifest entry


class TableTotals(TypedDict):
    """One table's totals over the run's partitions (`warehouse_rows` None without a warehouse)."""

    partitions: int
    api_rows: int
    file_rows: int
    warehouse_rows: int | None


@dataclass(frozen=True)
class ExportRequest:
    """One run's window; both None means "continue incrementally from saved state"."""

    start: datetime | None = None
    end: datetime | None = None


@dataclass
class RunSummary:
    """What a run did, for the terminal, `--json`, the manifest, the audit log and the webhook."""

    run_id: str
    status: str = "running"
    started_at: str = ""
    finished_at: str = ""
    datasets: list[str] = field(default_factory=list)
    windows: dict[str, list[str]] = field(default_factory=dict)
    tables: dict[str, TableTotals] = field(default_factory=dict)
    files: int = 0
    bytes: int = 0
    parity_ok: bool = False
    parity: list[JsonObject] = field(default_factory=list)
    provisional: list[str] = field(default_factory=list)
    without_attributes: list[str] = field(default_factory=list)  # days due again for a job
    drift: list[JsonObject] = field(default_factory=list)  # one per new field
    # names of the divisions the client cannot see (their data is not exported); None: not known,
    # and then `divisions_unknown` says why (e.g. the listing was refused)
    divisions_not_visible: list[str] | None = None
    divisions_unknown: str | None = None
    requests: int = 0
    rate_limited: int = 0
    waited_s: float = 0.0
    out: str = ""
    warehouse: str | None = None
    manifest: str | None = None
    presigned: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    exit_code: int = 0
    config_sha256: str = ""
    versions: dict[str, str] = field(default_factory=dict)
    checksums: dict[str, str] = field(
        default_factory=dict
    )  # file uri -> SHA-256, for the audit log
    _manifest_files: list[JsonObject] | None = field(default=None, repr=False)

    def to_dict(self) -> JsonObject:
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_")}


def new_run_id(now: datetime) -> str:
    return f"{now.strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(3)}"


def config_hash(settings: Settings) -> str:
    """SHA-256 of the effective settings; secrets are masked by their types before hashing."""
    return hashlib.sha256(settings.model_dump_json().encode()).hexdigest()


def versions() -> dict[str, str]:
    import duckdb
    import pyarrow

    return {
        "gcexport": __version__,
        "python": platform.python_version(),
        "pyarrow": pyarrow.__version__,
        "duckdb": duckdb.__version__,
        "httpx": httpx.__version__,
    }
