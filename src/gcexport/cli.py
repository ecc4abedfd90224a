"""The `gcexport` command line: parses flags, calls the library, maps errors to exit codes.

Exit codes (ARCHITECTURE.md): 0 success; 1 the run failed; 2 bad input; 3 parity check failed.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import click
import typer

from gcexport import __version__
from gcexport.datasets.registry import dataset_help
from gcexport.errors import ConfigError, GcExportError
from gcexport.redact import redacting_std_streams


def _usage_errors() -> tuple[type[BaseException], ...]:
    """Click's usage errors, and those of the copy of click that newer typer releases vendor."""
    import importlib

    try:
        vendored = importlib.import_module("typer._click.exceptions").ClickException
    except (ImportError, AttributeError):  # older typer raises click's own
        return (click.exceptions.ClickException,)
    return (click.exceptions.ClickException, vendored)


_EXIT: tuple[type[BaseException], ...] = (click.exceptions.Exit, typer.Exit)
_ABORT: tuple[type[BaseException], ...] = (click.exceptions.Abort, typer.Abort)
_USAGE = _usage_errors()


app = typer.Typer(
    name="gcexport",
    help="Export Genesys Cloud analytics to Parquet/CSV/JSONL, S3, DuckDB and Snowflake.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
emulator_app = typer.Typer(help="The built-in Genesys Cloud emulator.", no_args_is_help=True)
app.add_typer(emulator_app, name="emulator")
state_app = typer.Typer(
    help="Incremental state: what is final, provisional and due; start over.",
    no_args_is_help=True,
)
app.add_typer(state_app, name="state")

ConfigOpt = Annotated[
    Optional[Path], typer.Option("--config", "-c", help="TOML config file.", dir_okay=False)
]
SetOpt = Annotated[
    Optional[list[str]],
    typer.Option("--set", help="Override any config key for this run, e.g. export.workers=8."),
]
OrgOpt = Annotated[
    Optional[str],
    typer.Option(
        "--org", help="The [orgs.<slug>] section to use (required when orgs are configured)."
    ),
]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"gcexport {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """gcexport — Genesys Cloud analytics out of Genesys and into your lake and warehouse."""


def parse_set_options(items: list[str] | None) -> dict[str, Any]:
    """Turn `a.b=value` strings into a nested dict; values are read as TOML when they parse."""
    from gcexport.config import tomllib

    result: dict[str, Any] = {}
    for item in items or []:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set {item!r} must look like section.key=value.")
        try:
            value: Any = tomllib.loads(f"v = {raw}")["v"]
        except tomllib.TOMLDecodeError:
            value = raw
        node = result
        parts = key.strip().split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return result


def _settings(
    config: Path | None, overrides: dict[str, Any], org: str | None = None, *, per_org: bool = True
) -> Any:
    """Settings from every source; a command that works `per_org` needs --org when orgs exist."""
    from gcexport.config import find_config_file
    from gcexport.datasets.settings import load_settings
    from gcexport.orgs import require_org

    settings = load_settings(config or find_config_file(), overrides=overrides, org=org)
    if per_org:
        require_org(settings)
    return settings


def _export_overrides(**flags: Any) -> dict[str, Any]:
    export = {key: value for key, value in flags.items() if value not in (None, [], ())}
    return {"export": export} if export else {}


@app.command()
def export(
    config: ConfigOpt = None,
    dataset: Annotated[
        Optional[list[str]],
        typer.Option(
            "--dataset",
            "-d",
            help=dataset_help(),
        ),
    ] = None,
    start: Annotated[
        Optional[str],
        typer.Option(help="Window start: YYYY-MM-DD (midnight UTC) or ISO timestamp."),
    ] = None,
    end: Annotated[Optional[str], typer.Option(help="Window end (exclusive).")] = None,
    out: Annotated[Optional[str], typer.Option(help="Output folder or s3://bucket/prefix.")] = None,
    fmt: Annotated[Optional[str], typer.Option("--format", help="parquet, csv or jsonl.")] = None,
    warehouse: Annotated[
        Optional[str],
        typer.Option(
            help="duckdb:///file.duckdb or snowflake://USER@ACCOUNT/DB/SCHEMA?warehouse=W."
        ),
    ] = None,
    requests_per_minute: Annotated[
        Optional[int],
        typer.Option(help="This tool's share of the org's request budget (default 240)."),
    ] = None,
    state_dir: Annotated[
        Optional[str], typer.Option(help="Where incremental state lives (default ./.gcexport).")
    ] = None,
    workers: Annotated[Optional[int], typer.Option(help="Windows exported in parallel.")] = None,
    presign: Annotated[
        Optional[str],
        typer.Option(help="S3 only: print presigned links valid this long, e.g. 24h."),
    ] = None,
    set_: SetOpt = None,
    org: OrgOpt = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress bars or tables.")
    ] = False,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print the run summary as JSON.")
    ] = False,
) -> None:
    """Run one export: every configured dataset, incrementally from saved state unless --start/--end."""
    from gcexport.config import parse_date_or_instant

    start_at = parse_date_or_instant(start, name="start") if start else None
    end_at = parse_date_or_instant(end, name="end") if end else None
    overrides = _merge_overrides(
        parse_set_options(set_),
        _export_overrides(
            datasets=dataset,
            out=out,
            format=fmt,
            warehouse=warehouse,
            state_dir=state_dir,
            workers=workers,
            presign=presign,
        ),
    )
    if requests_per_minute is not None:
        overrides.setdefault("genesys", {})["requests_per_minute"] = requests_per_minute
    settings = _settings(config, overrides, org)
    from gcexport.commands.export import run_export_command
    from gcexport.run import ExportRequest

    request = ExportRequest(start=start_at, end=end_at)
    code = run_export_command(settings, request, quiet=quiet, json_output=json_out)
    raise typer.Exit(code)


def _merge_overrides(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    from gcexport.config import _merge

    return _merge(a, b)


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("./gcexport-demo"),
    days: Annotated[int, typer.Option(min=1, max=31, help="Days of history to export.")] = 3,
    conversations_per_day: Annotated[
        int, typer.Option(min=10, max=200_000, help="Emulator volume.")
    ] = 1500,
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
) -> None:
    """Start the emulator in-process and export the default datasets for N days into OUT, with KPIs."""
    from gcexport.commands.demo import run_demo

    raise typer.Exit(
        run_demo(out=out, days=days, conversations_per_day=conversations_per_day, quiet=quiet)
    )


@app.command()
def schedule(
    config: Annotated[
        Path, typer.Option("--config", "-c", help="TOML config with [[schedules]].", dir_okay=False)
    ],
    set_: SetOpt = None,
    org: OrgOpt = None,
    once: Annotated[bool, typer.Option(help="Run what is due now, then exit.")] = False,
) -> None:
    """Run the configured exports on their cron expressions until stopped (SIGTERM stops cleanly)."""
    from gcexport.commands.schedule import run_scheduler

    settings = _settings(config, parse_set_options(set_), org)
    raise typer.Exit(run_scheduler(settings, once=once))


@app.command()
def check(
    config: ConfigOpt = None,
    set_: SetOpt = None,
    org: OrgOpt = None,
    deep: Annotated[
        bool,
        typer.Option(
            "--deep",
            help="Also probe the real API's unverified behaviours (creates and deletes one tiny export).",
        ),
    ] = False,
    deep_report: Annotated[
        Path, typer.Option(help="Where --deep writes its report (shapes only, safe to share).")
    ] = Path("gcexport-deep-check.json"),
) -> None:
    """Preflight: credentials, region, permissions per dataset, destinations writable."""
    from gcexport.commands.check import run_checks_command

    settings = _settings(config, parse_set_options(set_), org)
    raise typer.Exit(run_checks_command(settings, deep_report=deep_report if deep else None))


@app.command()
def report(
    warehouse: Annotated[
        Optional[str], typer.Option(help="Warehouse URL (default: the config's).")
    ] = None,
    start: Annotated[Optional[str], typer.Option(help="Report window start.")] = None,
    end: Annotated[Optional[str], typer.Option(help="Report window end (exclusive).")] = None,
    queue: Annotated[
        Optional[list[str]], typer.Option(help="Only these queues (by name; repeatable).")
    ] = None,
    out: Annotated[Path, typer.Option(help="The HTML file to write.")] = Path(
        "gcexport-report.html"
    ),
    min_volume: Annotated[
        int, typer.Option(min=0, help="Mark rate points resting on fewer interactions.")
    ] = 10,
    presign: Annotated[
        Optional[str],
        typer.Option(
            help="Upload to the s3:// output (export.out) and print a link valid this long, e.g. 24h."
        ),
    ] = None,
    config: ConfigOpt = None,
) -> None:
    """Render a self-contained HTML KPI report with charts from the warehouse."""
    from gcexport.config import parse_date_or_instant

    start_at = parse_date_or_instant(start, name="start") if start else None
    end_at = parse_date_or_instant(end, name="end") if end else None
    settings = _settings(config, _export_overrides(warehouse=warehouse), per_org=False)
    from gcexport.kpi_report import build_report_command

    raise typer.Exit(
        build_report_command(
            settings,
            start=start_at,
            end=end_at,
            queues=queue or [],
            out=out,
            min_volume=min_volume,
            presign=presign,
        )
    )


@app.command()
def sql(
    query: Annotated[
        str, typer.Argument(help='One SQL statement, e.g. "select * from queue_kpis".')
    ],
    warehouse: Annotated[
        Optional[str],
        typer.Option(
            help="DuckDB warehouse URL (default: the config's, ./gcexport-data/gcexport.duckdb)."
        ),
    ] = None,
    format_: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
    config: ConfigOpt = None,
) -> None:
    """Query the DuckDB warehouse read-only and print the result (no DuckDB CLI needed)."""
    from gcexport.sql import run_sql_command

    settings = _settings(config, _export_overrides(warehouse=warehouse), per_org=False)
    raise typer.Exit(run_sql_command(settings, query, fmt=format_))


@state_app.command("show")
def state_show(config: ConfigOpt = None, set_: SetOpt = None, org: OrgOpt = None) -> None:
    """Per dataset: the days that are final, the provisional ones, and what the next run exports."""
    from gcexport.commands.state import show_state

    for line in show_state(_settings(config, parse_set_options(set_), org)):
        typer.echo(line)


@state_app.command("reset")
def state_reset(
    config: ConfigOpt = None,
    set_: SetOpt = None,
    org: OrgOpt = None,
    dataset: Annotated[
        Optional[str],
        typer.Option("--dataset", "-d", help="The dataset to rewind (default: every dataset)."),
    ] = None,
    from_: Annotated[
        Optional[str],
        typer.Option("--from", help="Only forget days from this date (YYYY-MM-DD) on."),
    ] = None,
) -> None:
    """Forget saved state so the next run exports those days again."""
    from gcexport.commands.state import reset_state
    from gcexport.config import parse_date_or_instant

    start = parse_date_or_instant(from_, name="from").date() if from_ else None
    settings = _settings(config, parse_set_options(set_), org)
    typer.echo(reset_state(settings, dataset=dataset, start=start))


@emulator_app.command("serve")
def emulator_serve(
    host: Annotated[str, typer.Option(help="Address to bind (loopback by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port (0 = any free port).")] = 8089,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic org and the fault plan.")] = 1,
    conversations_per_day: Annotated[int, typer.Option(min=1, help="Volume per day.")] = 1000,
    rate_limit: Annotated[
        int, typer.Option(min=0, help="Requests per minute per token (0 = off).")
    ] = 300,
    faults: Annotated[
        str, typer.Option(help="e.g. 429=0.1,5xx=0.05,drop=0.02,slow=0.02,revoke=0.01,job_fail=0.1")
    ] = "",
    client_id: Annotated[
        str, typer.Option(help="Client id the emulator accepts.")
    ] = "emulator-client",
    client_secret: Annotated[
        str, typer.Option(help="Client secret the emulator accepts.")
    ] = "emulator-secret",
    availability_lag_hours: Annotated[
        float, typer.Option(min=0, help="Jobs watermark lag behind now.")
    ] = 6.0,
    mode: Annotated[
        list[str] | None,
        typer.Option(
            help="A behaviour the real API may have (repeatable): approximate-total-hits,"
            " midnight-touches-next-day, division-scoped."
        ),
    ] = None,
) -> None:
    """Serve the Genesys Cloud emulator over HTTP and print its base URL."""
    from gcexport.commands.emulator import serve_emulator

    raise typer.Exit(
        serve_emulator(
            host=host,
            port=port,
            seed=seed,
            conversations_per_day=conversations_per_day,
            rate_limit=rate_limit,
            faults=faults,
            client_id=client_id,
            client_secret=client_secret,
            availability_lag_hours=availability_lag_hours,
            modes=tuple(mode or ()),
        )
    )


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; every error becomes one line on stderr and an exit code, never a traceback.

    Everything written to stdout and stderr passes through `gcexport.redact` first.
    """
    with redacting_std_streams():
        return _main(argv)


def _main(argv: list[str] | None) -> int:
    command = typer.main.get_command(app)
    try:
        result = command.main(args=argv, prog_name="gcexport", standalone_mode=False)
    except _EXIT as exc:
        return int(getattr(exc, "exit_code", 0) or 0)
    except _ABORT:
        typer.echo("gcexport: aborted.", err=True)
        return 130
    except _USAGE as exc:  # one line, like every other bad input
        message = exc.format_message()  # type: ignore[attr-defined]
        context = getattr(exc, "ctx", None)
        hint = f" (see '{context.command_path} --help')" if context is not None else ""
        typer.echo(f"gcexport: error: {message}{hint}", err=True)
        return 2
    except GcExportError as exc:
        typer.echo(f"gcexport: error: {exc}", err=True)
        return exc.exit_code
    except KeyboardInterrupt:
        typer.echo("gcexport: interrupted.", err=True)
        return 130
    except OSError as exc:  # a full or read-only disk that no layer below translated
        typer.echo(f"gcexport: error: {_disk_error(exc)}", err=True)
        return 1
    except Exception as exc:  # an unexpected bug: one line, and the traceback only on request
        if os.environ.get("GCEXPORT_DEBUG"):
            raise
        typer.echo(
            f"gcexport: internal error: {type(exc).__name__}: {exc} (set GCEXPORT_DEBUG=1 for details)",
            err=True,
        )
        return 1
    return int(result or 0) if isinstance(result, int) else 0


def _disk_error(exc: OSError) -> str:
    """One sentence naming the location: "could not write '/data/x': No space left on device."."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    if exc.filename is None:
        return f"a file operation failed: {reason}."
    return f"could not write {str(exc.filename)!r}: {reason}."


def entrypoint() -> None:
    sys.exit(main())
