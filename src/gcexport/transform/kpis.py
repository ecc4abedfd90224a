"""Queue KPIs per interval × queue × media type, from the aggregates, plus user KPIs in SQL (DuckDB).

Formulas follow Genesys's own definitions (REFERENCE.md §6.1): a timer's average is its `sum`
divided by its `count`; counters are `count`; the service level is `oServiceLevel`
numerator / denominator. Every ratio and average travels with the sums and counts behind it
(`DICTIONARY`, rendered into the README by `dictionary_markdown`), so a roll-up over any rows is
a ratio of sums, never an average of ratios. A zero denominator gives null, never 0 or NaN.
User KPIs are SQL expressions over these columns, evaluated in order, so later ones may use
earlier ones; a name ending in `_share` declares a fraction that must lie in [0, 1]::

    kpis = compute_queue_kpis(aggregates, queues, custom_kpis={
        "talk_share": "talk_ms_sum / nullif(handle_ms_sum, 0)",
        "hold_share": "hold_ms_sum / nullif(handle_ms_sum, 0)",
    })
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from gcexport.errors import ConfigError, DataError
from gcexport.transform.aggregates import AGGREGATES_SCHEMA, GROUP_COLUMNS
from gcexport.transform.columns import TIMESTAMP
from gcexport.transform.schemas import TAIL
from gcexport.transform.spec import snake

__all__ = [
    "DICTIONARY",
    "KEYS",
    "QUEUE_KPIS_SCHEMA",
    "SHARE_SUFFIX",
    "KpiColumn",
    "compute_queue_kpis",
    "dictionary_markdown",
    "is_share",
    "validate_kpi_expressions",
]

SHARE_SUFFIX = "_share"


@dataclass(frozen=True)
class KpiColumn:
    """One measure of a KPI table: a sum of one stat of one metric, or a ratio of two sums.

    `parts` is (stat, metric) for a sum, (numerator column, denominator column) for a ratio.
    """

    name: str
    type: pa.DataType
    kind: str  # "sum", "ratio" or "setting"
    parts: tuple[str, str]
    meaning: str


def _sum(name: str, stat: str, metric: str, meaning: str) -> KpiColumn:
    kind = pa.int64() if stat == "count" else pa.float64()
    return KpiColumn(name, kind, "sum", (stat, metric), meaning)


def _ratio(name: str, numerator: str, denominator: str, meaning: str) -> KpiColumn:
    return KpiColumn(name, pa.float64(), "ratio", (numerator, denominator), meaning)


# The sums and counts: additive, so any roll-up may sum them.
SUMS = [
    _sum("offered", "count", "nOffered", "Interactions offered to the queue."),
    _sum("answered", "count", "tAnswered", "Offered interactions an agent answered."),
    _sum("abandoned", "count", "tAbandon", "Offered interactions abandoned in queue."),
    _sum("transferred", "count", "nTransferred", "Transfers by agents."),
    _sum("answer_ms_sum", "sum", "tAnswered", "Total wait before answer, ms (its count is `answered`)."),
    _sum("handle_count", "count", "tHandle", "Handled interactions."),
    _sum("handle_ms_sum", "sum", "tHandle", "Total handle time (talk + hold + after-call work), ms."),
    _sum("talk_count", "count", "tTalk", "Interactions with talk time."),
    _sum("talk_ms_sum", "sum", "tTalk", "Total talk time, ms."),
    _sum("hold_count", "count", "tHeld", "Interactions put on hold at least once."),
    _sum("hold_ms_sum", "sum", "tHeld", "Total hold time, ms."),
    _sum("acw_count", "count", "tAcw", "Interactions with after-call work."),
    _sum("acw_ms_sum", "sum", "tAcw", "Total after-call work, ms."),
    _sum("service_level_numerator", "numerator", "oServiceLevel",
         "Interactions answered within the queue's service-level threshold."),
    _sum("service_level_denominator", "denominator", "oServiceLevel",
         "Interactions eligible for the service level."),
]  # fmt: skip
# The ratios and averages: each a ratio of two sums above; roll up with those, never with avg().
RATIOS = [
    _ratio("abandon_rate", "abandoned", "offered", "Share of offered interactions abandoned."),
    _ratio("avg_handle_ms", "handle_ms_sum", "handle_count", "Handle time per handled interaction, ms."),
    _ratio("avg_talk_ms", "talk_ms_sum", "talk_count", "Talk time per interaction with talk, ms."),
    _ratio("avg_hold_ms", "hold_ms_sum", "hold_count",
           "Hold time per HELD interaction (not per handled one), ms."),
    _ratio("avg_acw_ms", "acw_ms_sum", "acw_count", "After-call work per interaction with ACW, ms."),
    _ratio("avg_speed_of_answer_ms", "answer_ms_sum", "answered",
           "Wait before answer per answered interaction, ms."),
    _ratio("service_level", "service_level_numerator", "service_level_denominator",
           "Share of eligible interactions answered within the threshold."),
    _ratio("transfer_rate", "transferred", "answered", "Transfers per answered interaction."),
]  # fmt: skip
TARGET = KpiColumn(
    "service_level_target",
    pa.float64(),
    "setting",
    ("target", "oServiceLevel"),
    "The queue's service-level target, a setting: roll up with max(), never sum() or avg().",
)
DICTIONARY = [*SUMS, *RATIOS, TARGET]
SHARES = frozenset({"abandon_rate", "service_level"})  # built-in fractions, always in [0, 1]
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
        *(pa.field(c.name, c.type) for c in DICTIONARY),
        *TAIL,
    ]
)
_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


def is_share(name: str) -> bool:
    """A fraction whose value must lie in [0, 1]: a built-in rate or a user KPI named `*_share`."""
    return name in SHARES or name.endswith(SHARE_SUFFIX)


def dictionary_markdown() -> str:
    """The data dictionary of `queue_kpis`'s measures as a Markdown table (the README shows it)."""
    sums = {c.name: c for c in SUMS}

    def genesys(c: KpiColumn) -> str:
        if c.kind != "ratio":
            return f"{c.parts[1]} {c.parts[0]}"
        return f"{genesys(sums[c.parts[0]])} ÷ {genesys(sums[c.parts[1]])}"

    def formula(c: KpiColumn) -> str:
        return f"`{c.parts[0]} / {c.parts[1]}`" if c.kind == "ratio" else c.kind

    lines = ["| column | kind / formula | Genesys metric | meaning |", "|---|---|---|---|"]
    lines += [f"| `{c.name}` | {formula(c)} | {genesys(c)} | {c.meaning} |" for c in DICTIONARY]
    return "\n".join(lines)


def _queue_queries_sql() -> str:
    """The aggregate queries grouped by queue (and at most media type): only they feed the KPIs.

    A query also grouped by wrap-up code, user or any other dimension splits the same
    interactions again; its rows would count them twice.
    """
    finer = [snake(d) for d in GROUP_COLUMNS if d not in ("queueId", "mediaType")]
    split = " OR ".join(f"{c} IS NOT NULL" for c in [*finer, "group_extra"])
    return (
        "SELECT query_name FROM agg GROUP BY query_name "
        f"HAVING bool_or(queue_id IS NOT NULL) AND NOT bool_or({split})"
    )


def _pivot_sql() -> str:
    def pick(c: KpiColumn) -> str:
        stat, metric = c.parts
        picked = f"{stat}) FILTER (WHERE metric = '{metric}')"
        if c.kind == "setting":
            return f"max({picked} AS {c.name}"
        cast = "BIGINT" if c.type == pa.int64() else "DOUBLE"
        return f"coalesce(sum({picked}, 0)::{cast} AS {c.name}"

    picks = ", ".join(pick(c) for c in [*SUMS, TARGET])
    return (
        f"SELECT {', '.join(KEYS)}, {picks} FROM agg "
        "WHERE kind = 'metric' AND queue_id IS NOT NULL "
        f"AND query_name IN ({_queue_queries_sql()}) GROUP BY {', '.join(KEYS)}"
    )


def _kpi_sql() -> str:
    sums = ", ".join(f"p.{c.name}" for c in [*SUMS, TARGET])
    ratios = ", ".join(
        f"CAST(p.{c.parts[0]} AS DOUBLE) / nullif(p.{c.parts[1]}, 0) AS {c.name}" for c in RATIOS
    )
    return (
        f"SELECT {', '.join('p.' + k for k in KEYS)}, q.name AS queue_name, {sums}, {ratios}, "
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
