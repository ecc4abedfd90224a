"""gcexport: Genesys Cloud analytics out of Genesys Cloud and into files, DuckDB and Snowflake.

The public Python API — everything the command line does, as calls that return values and raise
typed errors (never print, never exit)::

    import gcexport

    settings = gcexport.load_settings(config_file=Path("gcexport.toml"))
    summary = gcexport.export(settings, start=date(2026, 11, 1), end=date(2026, 11, 8))
    print(summary.status, summary.tables["conversations"]["api_rows"])
    gcexport.report(settings, out=Path("report.html"))

Engines (Dagster, Airflow, scripts) call `gcexport.Exporter` per org and date range: typed
results per committed partition, typed errors, `gcexport.retryable(exc)` (docs/DAGSTER.md).

Importing the package is cheap: the names below load their modules on first use.
"""

# No `from __future__ import annotations` and only underscored imports: every public name of this
# module is in __all__, and a test holds that.
import importlib as _importlib
import typing as _typing
from importlib.metadata import PackageNotFoundError as _PackageNotFoundError
from importlib.metadata import version as _version

try:
    __version__ = _version("gcexport")
except _PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

if _typing.TYPE_CHECKING:
    from gcexport.clock import Clock, FakeClock, SystemClock
    from gcexport.config import Settings
    from gcexport.datasets.settings import load_settings
    from gcexport.engine import (
        DatasetSpec,
        Exporter,
        ExportResult,
        OrgPartition,
        Partition,
        retryable,
    )
    from gcexport.errors import (
        AbortError,
        ConfigError,
        GcExportError,
        InputError,
        ParityError,
        TransientError,
    )
    from gcexport.kpi_report import ReportResult
    from gcexport.library import export, report
    from gcexport.run import CommittedPartition, RunSummary

# name -> the module that defines it (loaded lazily by __getattr__, PEP 562)
_EXPORTS = {
    "AbortError": "gcexport.errors",
    "Clock": "gcexport.clock",
    "CommittedPartition": "gcexport.run",
    "ConfigError": "gcexport.errors",
    "DatasetSpec": "gcexport.engine",
    "ExportResult": "gcexport.engine",
    "Exporter": "gcexport.engine",
    "FakeClock": "gcexport.clock",
    "GcExportError": "gcexport.errors",
    "InputError": "gcexport.errors",
    "OrgPartition": "gcexport.engine",
    "ParityError": "gcexport.errors",
    "Partition": "gcexport.engine",
    "ReportResult": "gcexport.kpi_report",
    "RunSummary": "gcexport.run",
    "Settings": "gcexport.config",
    "SystemClock": "gcexport.clock",
    "TransientError": "gcexport.errors",
    "export": "gcexport.library",
    "load_settings": "gcexport.datasets.settings",
    "report": "gcexport.library",
    "retryable": "gcexport.engine",
}

__all__ = [
    "AbortError",
    "Clock",
    "CommittedPartition",
    "ConfigError",
    "DatasetSpec",
    "ExportResult",
    "Exporter",
    "FakeClock",
    "GcExportError",
    "InputError",
    "OrgPartition",
    "ParityError",
    "Partition",
    "ReportResult",
    "RunSummary",
    "Settings",
    "SystemClock",
    "TransientError",
    "__version__",
    "export",
    "load_settings",
    "report",
    "retryable",
]


def __getattr__(name: str) -> _typing.Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'gcexport' has no attribute {name!r}")
    value = getattr(_importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
