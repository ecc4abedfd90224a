"""Settings: defaults, a TOML file, `.env`, environment variables and flags, merged in that order.

Later sources win: flags > environment > `.env` > TOML file > defaults. Every key is also an
environment variable, `GCEXPORT_<SECTION>__<KEY>` (`GCEXPORT_EXPORT__WORKERS=8`; a value starting
with `[` or `{` is read as JSON), as dlt and Meltano users expect; without `--config`, a
`./gcexport.toml` is read when present (`find_config_file`). Every problem becomes one
ConfigError / CredentialsError sentence (exit code 2) before anything is written.

Example::

    settings = load_settings(config_file=Path("gcexport.toml"), overrides={"export": {"format": "csv"}})
    settings.genesys.connection().api_url
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_serializer,
    model_validator,
)

from gcexport.clock import utcnow
from gcexport.errors import ConfigError, CredentialsError
from gcexport.inputs import (
    FIRST_YEAR,
    LAST_YEAR,
    SCHEDULE_NAME,
    check_column_targets,
    check_webhook_url,
)
from gcexport.orgs import OrgSettings, apply_org, parse_orgs
from gcexport.redact import register
from gcexport.regions import resolve_region
from gcexport.timespan import duration_parts, parse_timestamp

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

__all__ = [
    "AggregateSpec",
    "Connection",
    "DatasetCatalog",
    "ExportSettings",
    "GenesysSettings",
    "OrgSettings",
    "ReportExportSpec",
    "ScheduleSpec",
    "Settings",
    "StateSettings",
    "find_config_file",
    "load_settings",
    "parse_date_or_instant",
    "parse_duration",
    "tomllib",
]

DEFAULT_OUT = "./gcexport-data"
DEFAULT_METRICS = [
    "nOffered",
    "nTransferred",
    "tAnswered",
    "tAbandon",
    "tHandle",
    "tTalk",
    "tHeld",
    "tAcw",
    "tAcd",
    "tAlert",
    "oServiceLevel",
]
ENV_KEYS = {
    "GENESYS_CLIENT_ID": "client_id",
    "GENESYS_CLIENT_SECRET": "client_secret",
    "GENESYS_REGION": "region",
    "GENESYS_API_URL": "api_url",
    "GENESYS_LOGIN_URL": "login_url",
}


SectionT = TypeVar("SectionT", bound=BaseModel)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Connection(_Section):
    """Where and as whom to talk to Genesys Cloud."""

    api_url: str
    login_url: str
    client_id: str
    client_secret: SecretStr


class GenesysSettings(_Section):
    region: str = "us_east_1"
    client_id: str | None = None
    client_secret: SecretStr | None = None
    api_url: str | None = None
    login_url: str | None = None
    requests_per_minute: int = Field(240, ge=1, le=100_000)
    timeout_seconds: float = Field(30.0, gt=0)

    @field_validator("region")
    @classmethod
    def _known_region(cls, value: str) -> str:
        resolve_region(value)  # raises ConfigError listing the valid regions
        return value

    def connection(self) -> Connection:
        """The resolved connection; CredentialsError when the id or secret is missing or malformed."""
        region = resolve_region(self.region)
        if (
            not self.client_id
            or not self.client_secret
            or not self.client_secret.get_secret_value()
        ):
            raise CredentialsError(
                "Genesys credentials are missing: set GENESYS_CLIENT_ID and GENESYS_CLIENT_SECRET "
                "(environment, .env, or [genesys] in the config file)."
            )
        if not re.fullmatch(r"[A-Za-z0-9._-]{1,128}", self.client_id.strip()):
            raise CredentialsError(
                "GENESYS_CLIENT_ID is malformed: expected an OAuth client id such as a UUID."
            )
        if any(c.isspace() for c in self.client_secret.get_secret_value()):
            raise CredentialsError("GENESYS_CLIENT_SECRET is malformed: it contains whitespace.")
        return Connection(
            api_url=(self.api_url or region.api_url).rstrip("/"),
            login_url=(self.login_url or region.login_url).rstrip("/"),
            client_id=self.client_id.strip(),
            client_secret=self.client_secret,
        )


class DetailsSettings(_Section):
    use_jobs: bool = True
    job_page_size: int = Field(1000, ge=1, le=10_000)
    query_page_size: int = Field(100, ge=1, le=100)
    poll_seconds: float = Field(15.0, gt=0)  # longest wait between two reads of a job's status


class AggregateSpec(_Section):
    name: str = "queue_hourly"
    metrics: list[str] = Field(default_factory=lambda: list(DEFAULT_METRICS))
    group_by: list[str] = Field(default_factory=lambda: ["queueId", "mediaType"])
    granularity: str = "PT1H"
    time_zone: str = "UTC"
    filter: dict[str, Any] | None = None


class ReportExportSpec(_Section):
    view_type: str = "QUEUE_PERFORMANCE_SUMMARY_VIEW"
    period: str = "P1D"
    time_zone: str = "UTC"
    filter: dict[str, Any] = Field(default_factory=dict)
    column_map: dict[str, str] = Field(default_factory=dict)

    @field_validator("column_map")
    @classmethod
    def _column_targets(cls, value: dict[str, str]) -> dict[str, str]:
        check_column_targets(value)
        return value


class ScheduleSpec(_Section):
    name: str
    cron: str
    datasets: list[str] = Field(None, validate_default=True)  # None: the catalog's defaults

    @field_validator("name")
    @classmethod
    def _file_safe_name(cls, value: str) -> str:
        # The name becomes a lock file's name (`schedule-<name>.lock`): no path, no hidden file.
        if not SCHEDULE_NAME.fullmatch(value):
            raise ValueError(
                f"schedule name {value!r} must be 1-64 letters, digits, '_', '-' or '.', "
                "not starting with '.'"
            )
        return value

    @field_validator("datasets", mode="before")
    @classmethod
    def _known_datasets(cls, value: list[str] | None, info: ValidationInfo) -> list[str]:
        return _check_datasets(value, info)


class WebhookSettings(_Section):
    url: str | None = None
    attempts: int = Field(3, ge=1, le=10)
    timeout_seconds: float = Field(10.0, gt=0)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        check_webhook_url(value)
        return value


class ExportSettings(_Section):
    datasets: list[str] = Field(None, validate_default=True)  # None: the catalog's defaults
    out: str = DEFAULT_OUT
    format: Literal["parquet", "csv", "jsonl"] = "parquet"
    # CSV cells starting with = + - @ tab or CR get a ' prefix so spreadsheets show, not run, them.
    csv_escape_formulas: bool = True
    compression: Literal["zstd", "snappy"] = "zstd"
    warehouse: str | None = None  # default: duckdb:///<out>/gcexport.duckdb when out is local
    state_dir: str = "./.gcexport"
    first_start: str = (
        "P3D"  # where a first incremental run starts: a duration back from now, or a date
    )
    lookback: str = "PT6H"  # re-read this much before the saved high-water mark for late changes
    settle_after: str = "PT6H"  # aggregates and reports: a day is final this long after it ends
    warehouse_lock_wait: str = "PT1M"  # wait this long for another process's lock on DuckDB
    workers: int = Field(4, ge=1, le=32)
    raw_pages: bool = False
    presign: str | None = None
    sse: Literal["AES256", "aws:kms"] = "AES256"
    kms_key_id: str | None = None

    @field_validator("datasets", mode="before")
    @classmethod
    def _known_datasets(cls, value: list[str] | None, info: ValidationInfo) -> list[str]:
        return _check_datasets(value, info)

    @field_validator("lookback", "settle_after", "warehouse_lock_wait")
    @classmethod
    def _duration(cls, value: str) -> str:
        parse_duration(value)
        return value

    @field_validator("first_start")
    @classmethod
    def _first_start(cls, value: str) -> str:
        cls.first_start_at_for(value, utcnow())
        return value

    @staticmethod
    def first_start_at_for(value: str, now: datetime) -> datetime:
        """`value` is a duration back from `now` (P7D, 7d) or a date / timestamp."""
        text = value.strip()
        if text[:1].upper() == "P" or (text[:-1].isdigit() and text[-1:] in "smhd"):
            return now - parse_duration(text)
        return parse_date_or_instant(text, name="first_start")

    def first_start_at(self, now: datetime) -> datetime:
        return self.first_start_at_for(self.first_start, now)

    def warehouse_url(self) -> str | None:
        if self.warehouse is not None:
            return self.warehouse or None  # "" turns the warehouse off
        if "://" in self.out and not self.out.startswith("file://"):
            return None
        base = Path(self.out.removeprefix("file://")).absolute()
        return f"duckdb://{base / 'gcexport.duckdb'}"


class StateSettings(_Section):
    """Where incremental state lives: `local` (a file in export.state_dir) or `destination`
    (append-only objects under `<out>/_gcexport_state/`, for workers without a lasting disk)."""

    backend: Literal["local", "destination"] = "local"
    lease_ttl: str = "PT6H"  # a destination lease left by a killed run is reclaimed after this

    @field_validator("lease_ttl")
    @classmethod
    def _duration(cls, value: str) -> str:
        parse_duration(value)
        return value


class Settings(_Section):
    genesys: GenesysSettings = Field(default_factory=GenesysSettings)
    # Validated from {} (not built by a factory) so that its dataset names see the catalog.
    export: ExportSettings = Field(default_factory=dict, validate_default=True)
    details: DetailsSettings = Field(default_factory=DetailsSettings)
    aggregates: list[AggregateSpec] = Field(
        default_factory=lambda: [
            AggregateSpec(),
            AggregateSpec(
                name="agent_daily",
                metrics=["tAnswered", "tHandle", "tTalk", "tHeld", "tAcw", "nTransferred"],
                group_by=["userId", "mediaType"],
                granularity="P1D",
            ),
            AggregateSpec(
                name="wrapup_daily",
                metrics=["tHandle", "tAcw"],
                group_by=["wrapUpCode", "queueId"],
                granularity="P1D",
            ),
        ]
    )
    reporting_exports: list[ReportExportSpec] = Field(
        default_factory=lambda: [
            ReportExportSpec(),
            ReportExportSpec(view_type="AGENT_PERFORMANCE_SUMMARY_VIEW"),
        ]
    )
    kpis: dict[str, str] = Field(default_factory=dict)
    schedules: list[ScheduleSpec] = Field(default_factory=list)
    webhook: WebhookSettings = Field(default_factory=WebhookSettings)
    state: StateSettings = Field(default_factory=StateSettings)
    # Set by load_settings(org=…) only; None for a single-org setup (see gcexport.orgs).
    org: str | None = None
    orgs: dict[str, OrgSettings] = Field(default_factory=dict)

    # The sections datasets contribute (`DatasetCatalog.sections`), by name: see `section`.
    _sections: dict[str, BaseModel] = PrivateAttr(default_factory=dict)

    @model_validator(mode="wrap")
    @classmethod
    def _dataset_sections(
        cls, data: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo
    ) -> Settings:
        """Each contributed section validated by its dataset's model; the rest by this one."""
        models = _catalog(info).sections if isinstance(data, Mapping) else {}
        core = {k: v for k, v in data.items() if k not in models} if models else data
        settings: Settings = handler(core)
        for name, model in models.items():
            try:
                settings._sections[name] = model.model_validate(data.get(name, {}))
            except ValidationError as exc:
                raise ConfigError(_describe(exc, prefix=name)) from None
        return settings

    @model_serializer(mode="wrap")
    def _with_sections(
        self, handler: SerializerFunctionWrapHandler, info: SerializationInfo
    ) -> dict[str, Any]:
        """The contributed sections dumped with the core (so the config hash covers them)."""
        data: dict[str, Any] = handler(self)
        mode = "json" if info.mode_is_json() else "python"
        return data | {name: s.model_dump(mode=mode) for name, s in self._sections.items()}

    def section(self, name: str, model: type[SectionT]) -> SectionT:
        """A dataset's own section (`[<name>]`), its defaults when the config has none."""
        value = self._sections.get(name)
        return value if isinstance(value, model) else model()

    @field_validator("schedules")
    @classmethod
    def _unique_schedule_names(cls, value: list[ScheduleSpec]) -> list[ScheduleSpec]:
        names = [spec.name.lower() for spec in value]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"two schedules are named {twice[0]!r}; names must be unique")
        return value


@dataclass(frozen=True)
class DatasetCatalog:
    """What the settings need to know of the datasets, handed in from above (`datasets.registry`
    builds it; config never imports `datasets`): their names, the default ones, and the config
    sections datasets contribute (`[<name>]`, validated by the dataset's own model)."""

    names: tuple[str, ...]
    defaults: tuple[str, ...]
    sections: Mapping[str, type[BaseModel]] = field(default_factory=dict)


def _catalog(info: ValidationInfo) -> DatasetCatalog:
    catalog = (info.context or {}).get("catalog")
    if not isinstance(catalog, DatasetCatalog):
        raise TypeError("settings are validated with a DatasetCatalog: use load_settings")
    return catalog


def _check_datasets(value: list[str] | None, info: ValidationInfo) -> list[str]:
    catalog = _catalog(info)
    if value is None:
        return list(catalog.defaults)
    if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
        raise ValueError("expected a list of dataset names")
    unknown = [name for name in value if name not in catalog.names]
    if unknown:
        raise ValueError(f"unknown dataset {unknown[0]!r}; valid: {', '.join(catalog.names)}")
    if not value:
        raise ValueError("at least one dataset is needed")
    return value


def parse_duration(text: str) -> timedelta:
    """An exact span: `P1D`, `PT6H`, `PT30M`, `P1W` or the short forms `90s`, `15m`, `6h`, `2d`."""
    try:
        months, span = duration_parts((text or "").strip())
    except ValueError:
        raise ConfigError(
            f"{text!r} is not a duration; use ISO-8601 like PT6H or P1D, or 6h / 2d."
        ) from None
    if months:
        raise ConfigError(
            f"{text!r} is a calendar duration (months and years vary in length); use days like P30D."
        )
    return span


def parse_date_or_instant(text: str, *, name: str = "date") -> datetime:
    """Parse a date (midnight UTC) or an ISO-8601 timestamp (naive means UTC) into aware UTC."""
    value = text.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            parsed = datetime.combine(date.fromisoformat(value), time(), tzinfo=timezone.utc)
        else:
            parsed = parse_timestamp(value)
    except ValueError:
        raise ConfigError(
            f"--{name} {text!r} is not a date or timestamp; use YYYY-MM-DD or an ISO-8601 "
            "timestamp such as 2026-11-20T06:00:00Z."
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    if not FIRST_YEAR <= parsed.year <= LAST_YEAR:
        when = "is in the future" if parsed.year > LAST_YEAR else "is too long ago"
        raise ConfigError(
            f"--{name} {text!r} {when}: the Genesys API serves the years {FIRST_YEAR}-{LAST_YEAR}."
        )
    try:
        return parsed.astimezone(timezone.utc)
    except OverflowError:  # pragma: no cover - the year check keeps clear of datetime's limits
        raise ConfigError(f"--{name} {text!r} is out of range.") from None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            data: dict[str, Any] = tomllib.load(handle)
            return data
    except FileNotFoundError:
        raise ConfigError(f"Config file {str(path)!r} does not exist.") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"Config file {str(path)!r} is not valid TOML: {exc}.") from None
    except OSError as exc:
        raise ConfigError(f"Config file {str(path)!r} cannot be read: {exc.strerror}.") from None


CONFIG_FILE_NAME = "gcexport.toml"
ENV_PREFIX = "GCEXPORT_"


def find_config_file(folder: Path | None = None) -> Path | None:
    """`./gcexport.toml` (or in `folder`) when it exists: the config read without `--config`."""
    path = (folder or Path.cwd()) / CONFIG_FILE_NAME
    return path if path.is_file() else None


def _dotenv(dotenv_path: Path | None) -> dict[str, str]:
    """The `.env` file's variables; a line that is not NAME=value is bad input naming its line."""
    if dotenv_path is None or not dotenv_path.is_file():
        return {}
    from dotenv import dotenv_values

    _check_dotenv(dotenv_path)
    return {k: v for k, v in dotenv_values(dotenv_path).items() if v is not None}


def _check_dotenv(path: Path) -> None:
    """ConfigError at the first line python-dotenv would skip (it only logs a warning) or read as a
    name without a value; the message never quotes the line, which may hold a secret."""
    from dotenv.parser import parse_stream

    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"The .env file {path} is not UTF-8 text.") from None
    for binding in parse_stream(io.StringIO(text)):
        statement = binding.original.string  # starts with the blank lines before it
        blank = statement[: len(statement) - len(statement.lstrip())]
        line = binding.original.line + blank.count("\n")
        if binding.error:
            raise ConfigError(
                f"The .env file {path} line {line} cannot be read: write each line as NAME=value, "
                "a quoted value between matching quotes."
            )
        if binding.key is not None and binding.value is None:
            raise ConfigError(
                f"The .env file {path} line {line} has no '=': write it as NAME=value."
            )


def _genesys_env(values: Mapping[str, str]) -> dict[str, str]:
    return {ENV_KEYS[k]: v for k, v in values.items() if k in ENV_KEYS and v != ""}


def _keyed_env(values: Mapping[str, str], catalog: DatasetCatalog) -> dict[str, Any]:
    """`GCEXPORT_SECTION__KEY=value` (or a whole `GCEXPORT_SECTION`) variables as nested settings.

    Other `GCEXPORT_` names without `__` (`GCEXPORT_DEBUG`) are not config keys and pass by.
    """
    nested: dict[str, Any] = {}
    for name, raw in values.items():
        path = name[len(ENV_PREFIX) :].lower().split("__")
        if not name.startswith(ENV_PREFIX) or (
            "__" not in name and path[0] not in _top_fields(catalog)
        ):
            continue
        _check_env_path(name, path, catalog)
        text = raw.strip()
        value: Any = raw
        if text[:1] in ("[", "{"):
            try:
                value = json.loads(text)
            except ValueError:
                raise ConfigError(f"Environment variable {name} is not valid JSON.") from None
        nested = _merge(nested, _nest(path, value))
    return nested


def _top_fields(catalog: DatasetCatalog) -> dict[str, Any]:
    """The top-level config keys: the core sections' fields and the datasets' own sections."""
    sections = {name: _SectionField(model) for name, model in catalog.sections.items()}
    return {**Settings.model_fields, **sections}


@dataclass(frozen=True)
class _SectionField:
    annotation: type[BaseModel]


def _check_env_path(name: str, path: list[str], catalog: DatasetCatalog) -> None:
    model: Any = Settings
    for depth, key in enumerate(path):
        fields = _top_fields(catalog) if depth == 0 else getattr(model, "model_fields", None)
        if fields is None:  # below a dict or list value (e.g. kpis.<name>): any key is the user's
            return
        if not key or key not in fields:
            where = ".".join(path[: depth + 1])
            raise ConfigError(
                f"Environment variable {name} names no config key {where!r}; "
                "see gcexport.example.toml for the valid keys."
            )
        model = fields[key].annotation


def _nest(path: list[str], value: Any) -> dict[str, Any]:
    for key in reversed(path[1:]):
        value = {key: value}
    return {path[0]: value}


def _merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _describe(error: ValidationError, *, prefix: str = "") -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in (prefix, *first["loc"]) if part != "") or "config"
    if first["type"] == "extra_forbidden":
        return f"Unknown config key {where!r}; see gcexport.example.toml for the valid keys."
    message = str(first["msg"]).removeprefix("Value error, ")
    return f"Invalid config value for {where!r}: {message}."


def load_settings(
    config_file: Path | None = None,
    *,
    overrides: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    dotenv_path: Path | None = Path(".env"),
    catalog: DatasetCatalog,
    org: str | None = None,
) -> Settings:
    """Merge every source into validated Settings; raise ConfigError with one clear sentence.

    `catalog` names the datasets (`gcexport.load_settings` hands in the registry's). With `org`,
    that `[orgs.<org>]` section's region, credentials (read from the variables it names) and
    section overrides apply over the file and the environment; flags still win.
    """
    data: dict[str, Any] = _read_toml(config_file) if config_file else {}
    if "org" in data:
        raise ConfigError("Unknown config key 'org'; orgs are [orgs.<slug>] sections.")
    sources = (_dotenv(dotenv_path), dict(os.environ if env is None else env))
    for source in sources:
        data = _merge(data, _keyed_env(source, catalog))
        from_env = _genesys_env(source)
        data = _merge(data, {"genesys": from_env} if from_env else {})
    orgs = parse_orgs(data.pop("orgs", None), Settings.model_fields)
    if org is not None:
        data = apply_org(data, orgs, org, env={**sources[0], **sources[1]}, merge=_merge)
    data = _merge(data, overrides or {}) | {"orgs": orgs, "org": org}
    _register_secrets(data)
    try:
        return Settings.model_validate(data, context={"catalog": catalog})
    except ValidationError as exc:
        raise ConfigError(_describe(exc)) from None
    except ConfigError:
        raise


def _register_secrets(data: Mapping[str, Any]) -> None:
    """Hand the secrets of the raw settings to `gcexport.redact` before anything can echo them."""
    genesys, export = data.get("genesys"), data.get("export")
    secret = genesys.get("client_secret") if isinstance(genesys, Mapping) else None
    url = export.get("warehouse") if isinstance(export, Mapping) else None
    password = None
    if isinstance(url, str):
        with contextlib.suppress(ValueError):  # a URL too broken to parse is masked by pattern
            password = urlsplit(url).password
    register([s if isinstance(s, str) else None for s in (secret, password)])
