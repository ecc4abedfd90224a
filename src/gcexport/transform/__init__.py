"""Pure transforms: API pages in, typed Arrow tables out, one explicit schema per output table.

::

    from gcexport.transform import flatten_conversation_pages, split_by_date, PARTITION_COLUMNS

    result = flatten_conversation_pages([page.raw for page in pages], source="details_job")
    for name, table in result.tables.items():
        for day, part in split_by_date(table, column=PARTITION_COLUMNS[name]).items():
            ...  # hand `part` to a sink
"""

from __future__ import annotations

import pyarrow as pa

from gcexport.transform.aggregates import AGGREGATES_SCHEMA, flatten_aggregates
from gcexport.transform.columns import DriftField
from gcexport.transform.dedupe import dedupe_conversations
from gcexport.transform.details import FlatResult, flatten_conversation_pages, flatten_conversations
from gcexport.transform.kpis import QUEUE_KPIS_SCHEMA, compute_queue_kpis, validate_kpi_expressions
from gcexport.transform.lookups import (
    LOOKUP_SCHEMAS,
    flatten_queues,
    flatten_users,
    flatten_wrapup_codes,
)
from gcexport.transform.partition import PARTITION_COLUMNS, split_by_date
from gcexport.transform.reports import parse_report_csv, report_table_name
from gcexport.transform.schemas import DETAIL_SCHEMAS

# Every fixed output table. `report_<view>` tables take their columns from the CSV (see
# `parse_report_csv`); `queue_kpis` grows one float64 column per custom KPI before the tail.
TABLE_SCHEMAS: dict[str, pa.Schema] = {
    **DETAIL_SCHEMAS,
    "conversation_aggregates": AGGREGATES_SCHEMA,
    "queue_kpis": QUEUE_KPIS_SCHEMA,
    **LOOKUP_SCHEMAS,
}

__all__ = [
    "PARTITION_COLUMNS",
    "TABLE_SCHEMAS",
    "DriftField",
    "FlatResult",
    "compute_queue_kpis",
    "dedupe_conversations",
    "flatten_aggregates",
    "flatten_conversation_pages",
    "flatten_conversations",
    "flatten_queues",
    "flatten_users",
    "flatten_wrapup_codes",
    "parse_report_csv",
    "report_table_name",
    "split_by_date",
    "validate_kpi_expressions",
]
