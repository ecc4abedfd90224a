"""Pydantic request models for the Genesys analytics API (camelCase on the wire; responses stay dicts).

Example::

    from gcexport.models import AggregateQuery, Interval
    AggregateQuery(interval=Interval.of(start, end), metrics=["tHandle"], granularity="PT30M")
"""

from __future__ import annotations

from gcexport.models.filters import Clause, Filter, NumericRange, Predicate
from gcexport.models.names import (
    validate_dimension_names,
    validate_metric_names,
    validate_view_type,
)
from gcexport.models.queries import (
    AggregateQuery,
    DetailsJobQuery,
    DetailsQuery,
    Paging,
    ReportExportRequest,
    parse_duration,
)
from gcexport.timespan import Interval, format_instant, parse_instant

__all__ = [
    "AggregateQuery",
    "Clause",
    "DetailsJobQuery",
    "DetailsQuery",
    "Filter",
    "Interval",
    "NumericRange",
    "Paging",
    "Predicate",
    "ReportExportRequest",
    "format_instant",
    "parse_duration",
    "parse_instant",
    "validate_dimension_names",
    "validate_metric_names",
    "validate_view_type",
]
