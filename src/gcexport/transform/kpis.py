"""Queue KPIs per interval × queue × media type, from the aggregates, plus user KPIs in SQL (DuckDB).

Formulas follow Genesys's own definitions (REFERENCE.md §6.1): a timer's average is its `sum`
divided by its `count`; counters are `count`; the service level is `oServiceLevel`
numerator / denominator. A zero denominator gives null, never 0 or NaN. User KPIs are SQL
expressions over these columns, evaluated in order, so later ones may use earlier ones::

    kpis = compute_queue_kpis(aggregates, queues, custom_kpis={
        "talk_ratio": "avg_talk_ms / avg_handle_ms",
        "hold_ratio": "avg_hold_ms / avg_handle_ms",
        "efficiency": "100 - 50 * hold_ratio",
    })
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import duckdb
import pyarrow as pa

from gcexport.errors import ConfigError, DataError
from gcexport.transform.aggregates import AGGREGATES_SCHEMA
from gcexport.transform.columns import TIMESTAMP
from gcexport.transform.schemas import TAIL

_COUNTS = {
    "offered": "nOffered",
    "answered": "tAnswered",
    "abandoned": "tAbandon",
    "transferred": "nTransferred",
}
_AVERAGES = {
    "avg_handle_ms": "tHandle",
    "avg_talk_ms": "tTalk",
    "avg_hold_ms": "tHeld",
    "avg_acw_ms": "tAcw",
    "avg_speed_of_answer_ms": "tAnswered",
}
KEYS = ["interval_start", "interval_end", "granularity", "time_zone", "queue_id", "media_type"]

QUEUE_KPIS_SCHEMA = pa.schema(
    [
        pa.field("interval_start", TIMESTAMP),
        pa.field("interval_end", TIMESTAMP),
        pa.field("granularity", pa.string()),
        pa.field("time_zone", pa.string()),
        pa.field("queue_id", pa.string()),
        pa.field("queue_name", pa.string()),
        pa.field("media_type", pa.string()),
        *(pa.field(name, pa.int64()) for name in _COUNTS),
        pa.field("abandon_rate", pa.float64()),
        *(pa.field(name, pa.float64()) for name in _AVERAGES),
        pa.field("service_level", pa.float64()),
        pa.field("service_level_target", pa.float64()),
        pa.field("transfer_rate", pa.float64()),
        *TAIL,
    ]
)
_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


def _pivot_sql() -> str:
    def pick(stat: str, metric: str) -> str:
        return f"sum({stat}) FILTER (WHERE metric = '{metric}')"

    counts = [f"coalesce({pick('count', m)}, 0)::BIGINT AS {n}" for n, m in _COUNTS.items()]
    averages = [
        f"{pick('sum', m)} / nullif({pick('count', m)}, 0) AS {n}" for n, m in _AVERAGES.items()
    ]
    service = [
        f"{pick('numerator', 'oServiceLevel')} / nullif({pick('denominator', 'oServiceLevel')}, 0) AS service_level",
        "max(target) FILTER (WHERE metric = 'oServiceLevel') AS service_level_target",
    ]
    return (
        f"SELECT {', '.join(KEYS)}, {', '.join(counts + averages + service)} FROM agg "
        "WHERE kind = 'metric' AND queue_id IS NOT NULL "
        f"GROUP BY {', '.join(KEYS)}"
    )


def _kpi_sql() -> str:
    names = ", ".join(
        f"p.{n}" for n in [*_COUNTS, *_AVERAGES, "service_level", "service_level_target"]
    )
    return (
        f"SELECT {', '.join('p.' + k for k in KEYS)}, q.name AS queue_name, {names}, "
        "p.abandoned / nullif(p.offered, 0) AS abandon_rate, "
        "p.transferred / nullif(p.answered, 0) AS transfer_rate, "
        "CAST(p.interval_start AS DATE) AS partition_date, CAST(NULL AS VARCHAR) AS extra "
        f"FROM ({_pivot_sql()}) p LEFT JOIN (SELECT id, any_value(name) AS name FROM queues GROUP BY id) q ON q.id = p.queue_id "
        "ORDER BY p.interval_start, p.queue_id, p.media_type"
    )


def compute_queue_kpis(
    aggregates: pa.Table, queues: pa.Table | None, *, custom_kpis: Mapping[str, str] = {}
) -> pa.Table:
    """`queue_kpis` from a `conversation_aggregates` table grouped by queueId (and mediaType)."""
    validate_kpi_expressions(custom_kpis)
    lookup = queues.select(["id", "name"]) if queues is not None else _empty_queues()
    with duckdb.connect() as con:
        con.register("agg", aggregates.select(AGGREGATES_SCHEMA.names))
        con.register("queues", lookup)
        try:
            con.execute(f"CREATE TABLE kpis AS {_kpi_sql()}")
            _add_custom(con, custom_kpis)
            table = con.sql("SELECT * FROM kpis").to_arrow_table()
        except duckdb.Error as exc:
            raise DataError(f"computing queue KPIs failed: {_reason(exc)}") from exc
    return _conform(table, custom_kpis)


def validate_kpi_expressions(custom: Mapping[str, str]) -> None:
    """Raise ConfigError naming the first bad KPI and DuckDB's one-line reason."""
    taken = set(QUEUE_KPIS_SCHEMA.names)
    for name, expression in custom.items():
        if not _NAME.match(name) or name in taken:
            raise ConfigError(
                f"custom KPI {name!r}: name must be a new lower_snake_case column name"
            )
        if ";" in expression:
            raise ConfigError(
                f"custom KPI {name!r}: expression must be one SQL expression, without ';'"
            )
        taken.add(name)
    with duckdb.connect() as con:
        con.register("empty", QUEUE_KPIS_SCHEMA.empty_table())
        con.execute("CREATE TABLE kpis AS SELECT * FROM empty")
        _add_custom(con, custom)


def _add_custom(con: duckdb.DuckDBPyConnection, custom: Mapping[str, str]) -> None:
    for name, expression in custom.items():
        try:
            con.execute(
                f'CREATE OR REPLACE TABLE kpis AS SELECT *, CAST(({expression}) AS DOUBLE) AS "{name}" FROM kpis'
            )
        except duckdb.Error as exc:
            raise ConfigError(f"custom KPI {name!r} = {expression!r}: {_reason(exc)}") from exc


def _reason(exc: Exception) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def _empty_queues() -> pa.Table:
    return pa.table({"id": pa.array([], pa.string()), "name": pa.array([], pa.string())})


def _conform(table: pa.Table, custom: Mapping[str, str]) -> pa.Table:
    """Columns in contract order (custom KPIs before the tail), types exactly as the schema says."""
    head = [f for f in QUEUE_KPIS_SCHEMA if f.name not in ("partition_date", "extra")]
    fields = [*head, *(pa.field(n, pa.float64()) for n in custom), *TAIL]
    schema = pa.schema(fields)
    return pa.Table.from_arrays([table.column(f.name).cast(f.type) for f in schema], schema=schema)
