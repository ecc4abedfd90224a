"""The library API engines call (`gcexport.Exporter`): typed results per committed partition,
`skip_final`, pending days, a static catalog, the retry classification, and no engine imported."""

from __future__ import annotations

import ast
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

import gcexport
from gcexport.datasets import registry
from gcexport.emulator import Emulator, EmulatorConfig
from gcexport.errors import (
    ApiError,
    AuthError,
    ConfigError,
    CredentialsError,
    JobFailedError,
    LockedError,
    ParityError,
    RateLimitedError,
    ServerError,
    SinkError,
    UnreachableError,
)
from gcexport.transform.agent_lookups import AGENT_LOOKUP_SCHEMAS
from tests.conftest import TEST_NOW, emulator_settings
from tests.pipeline.test_export_e2e import _day, _expected

REPO = Path(__file__).resolve().parents[2]
NOW = TEST_NOW.replace(hour=12, minute=0, second=0, microsecond=0)
DAY = NOW.date() - timedelta(days=2)


def _exporter(tmp_path: Path, clock: gcexport.FakeClock) -> tuple[gcexport.Exporter, Emulator]:
    emulator = Emulator(
        EmulatorConfig(seed=4, conversations_per_day=40, availability_lag=timedelta(hours=1)),
        clock=clock,
    )
    settings = emulator_settings(tmp_path, ["conversation_details", "conversation_aggregates"])
    exporter = gcexport.Exporter(settings, org="acme", transport=emulator.transport(), clock=clock)
    return exporter, emulator


def test_export_reports_every_committed_partition_and_skips_final_days_next_time(
    tmp_path: Path,
) -> None:
    clock = gcexport.FakeClock(NOW)
    exporter, emulator = _exporter(tmp_path, clock)
    committed: list[gcexport.OrgPartition] = []
    result = exporter.export(DAY, DAY + timedelta(days=1), on_commit=committed.append)
    assert isinstance(result, gcexport.ExportResult)
    assert result.parity_ok and result.org == "acme" and result.run_id == result.run_ids[0]
    assert result.requests > 0 and result.skipped == ()
    assert list(result.outcomes) == committed
    truth = _expected(emulator.truth.conversations(*_day(DAY)))
    by_table = {o.table: o for o in committed}
    for table in ("conversations", "participants", "sessions", "segments"):
        o = by_table[table]
        assert (o.org, o.dataset, o.day) == ("acme", "conversation_details", DAY)
        assert o.api_rows == o.file_rows == o.warehouse_rows == truth[table]
        assert o.parity_ok and not o.provisional and o.files >= 1 and o.bytes > 0
    assert by_table["queue_kpis"].dataset == "conversation_aggregates"
    assert {o.day for o in committed} == {DAY}
    again = exporter.export(DAY, DAY + timedelta(days=1), on_commit=committed.append)
    assert (again.run_id, again.requests, again.outcomes) == (None, 0, ())
    assert again.skipped == (
        gcexport.Partition("acme", "conversation_details", DAY),
        gcexport.Partition("acme", "conversation_aggregates", DAY),
    )
    forced = exporter.export(
        DAY, DAY + timedelta(days=1), ["conversation_aggregates"], skip_final=False
    )
    assert forced.requests > 0 and {o.dataset for o in forced.outcomes} == {
        "conversation_aggregates"
    }


def test_pending_lists_new_days_until_they_are_exported(tmp_path: Path) -> None:
    clock = gcexport.FakeClock(NOW)
    exporter, _ = _exporter(tmp_path, clock)
    first = exporter.pending()
    # first_start P3D: from three days back through today, for each dataset
    days = [NOW.date() - timedelta(days=n) for n in (3, 2, 1, 0)]
    assert first == [
        gcexport.Partition("acme", d, day)
        for d in ("conversation_details", "conversation_aggregates")
        for day in days
    ]
    exporter.export(DAY, DAY + timedelta(days=1))
    assert {p.day for p in exporter.pending()} == set(days) - {DAY}


def test_catalog_is_static_and_names_every_table(tmp_path: Path) -> None:
    settings = gcexport.load_settings(
        env={},
        dotenv_path=None,
        overrides={"export": {"datasets": ["lookups", "reporting_exports"]}},
    )
    catalog = gcexport.Exporter(settings).catalog()  # no credentials, no network
    assert catalog == [
        gcexport.DatasetSpec("lookups", ("queues", "users", "wrapup_codes"), False),
        gcexport.DatasetSpec(
            "reporting_exports",
            ("report_queue_performance_summary_view", "report_agent_performance_summary_view"),
            True,
        ),
    ]
    assert gcexport.Exporter(settings).org == "default"


@pytest.mark.parametrize(
    ("start", "end", "datasets", "message"),
    [
        (DAY, DAY, None, "must be after start"),
        (datetime(2026, 5, 1, 6, tzinfo=timezone.utc), DAY, None, "not midnight UTC"),
        (DAY, DAY + timedelta(days=1), ["lookups"], "'lookups' is not configured for org 'acme'"),
        ("2026-05-01", DAY, None, "start must be a date or a datetime, not str"),
    ],
)
def test_bad_input_is_a_config_error_before_any_request(
    tmp_path: Path, start: object, end: date, datasets: list[str] | None, message: str
) -> None:
    clock = gcexport.FakeClock(NOW)
    exporter, emulator = _exporter(tmp_path, clock)
    with pytest.raises(ConfigError, match=message):
        exporter.export(start, end, datasets)  # type: ignore[arg-type]
    assert emulator.requests == [] and not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (ConfigError("bad"), False),
        (CredentialsError("missing"), False),
        (ParityError("lost rows"), False),
        (RateLimitedError("429", retry_after=3), True),
        (ServerError("503"), True),
        (LockedError("held"), True),
        (ApiError("retries exhausted", status=429), True),
        (ApiError("gateway", status=502), True),
        (JobFailedError("failed", job_id="j", state="FAILED"), True),
        (ApiError("bad request", status=400), False),
        (AuthError("refused", status=401), False),
        (UnreachableError("refused"), False),
        (SinkError("disk full"), False),
        (ValueError("a bug"), False),
    ],
)
def test_retryable_classifies_every_error(error: BaseException, expected: bool) -> None:
    assert gcexport.retryable(error) is expected


def test_no_module_but_gcexport_dagster_imports_dagster() -> None:
    importers = []
    for path in sorted((REPO / "src" / "gcexport").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(n == "dagster" or n.startswith("dagster.") for n in names):
                importers.append(path.relative_to(REPO / "src").as_posix())
    assert sorted(set(importers)) == ["gcexport/dagster.py"]


def test_the_library_api_loads_no_engine() -> None:
    code = (
        "import sys, gcexport; gcexport.Exporter; gcexport.retryable; "
        "print(sorted(m for m in ('dagster', 'airflow') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == "[]", out


@pytest.mark.parametrize("name", registry.names())
def test_catalog_lists_each_registered_dataset_from_the_registry(name: str) -> None:
    """No dataset is known to the catalog by name: each lists the tables its module declares."""
    settings = gcexport.load_settings(
        env={}, dotenv_path=None, overrides={"export": {"datasets": [name]}}
    )
    dataset = registry.get(name)
    specs = gcexport.Exporter(settings).catalog()
    listed = [t for spec in specs for t in spec.tables]
    assert sorted(listed) == sorted(dataset.table_names(settings)), specs
    assert specs[0] == gcexport.DatasetSpec(
        name,
        tuple(t for t in dataset.table_names(settings) if t not in dataset.snapshot_tables),
        dataset.day_partitioned,
    )
    snapshots = [s for s in specs[1:] if not s.partitioned]
    assert [t for s in snapshots for t in s.tables] == [
        t for t in dataset.table_names(settings) if t in dataset.snapshot_tables
    ]


def test_catalog_puts_agent_times_dims_pack_under_the_snapshot_dataset() -> None:
    settings = gcexport.load_settings(
        env={},
        dotenv_path=None,
        overrides={"export": {"datasets": ["user_status_details", "lookups"]}},
    )
    specs = gcexport.Exporter(settings).catalog()
    assert specs[0] == gcexport.DatasetSpec(
        "user_status_details", ("user_presence", "user_routing_status", "agent_daily_status"), True
    )
    assert specs[1].name == "lookups" and not specs[1].partitioned
    assert specs[1].tables[:3] == ("queues", "users", "wrapup_codes")
    assert set(specs[1].tables[3:]) == set(AGENT_LOOKUP_SCHEMAS) and len(specs) == 2


def test_a_newly_registered_dataset_is_in_the_catalog_without_another_edit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Registering a dataset (one tuple entry) is all the library's catalog needs."""
    from types import MappingProxyType

    import pyarrow as pa

    from gcexport.config import load_settings as load_with_catalog
    from gcexport.datasets._common import DatasetBase

    class Toy(DatasetBase):
        name = "toy_rows"
        tables = MappingProxyType({"toy_rows": pa.schema([("id", pa.string())])})

    monkeypatch.setattr(registry, "DATASETS", (*registry.DATASETS, Toy()))
    settings = load_with_catalog(
        env={},
        dotenv_path=None,
        overrides={"export": {"datasets": ["toy_rows", "lookups"]}},
        catalog=registry.catalog(),
    )
    assert gcexport.Exporter(settings).catalog() == [
        gcexport.DatasetSpec("toy_rows", ("toy_rows",), True),
        gcexport.DatasetSpec("lookups", ("queues", "users", "wrapup_codes"), False),
    ]
