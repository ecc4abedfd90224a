"""Typed request bodies for details queries, details jobs, aggregates and reporting exports.

Every model validates before any request is sent and raises `QueryValidationError` naming the
problem (REFERENCE.md §3, §5, §6, §7).

Example::

    query = DetailsQuery(interval=Interval.of(start, end), paging=Paging(page_size=100, page_number=1))
    client.request("POST", DETAILS_QUERY_PATH, json=query.to_api())
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    Field,
    PlainSerializer,
    field_validator,
    model_validator,
)

from gcexport.errors import QueryValidationError
from gcexport.models import names
from gcexport.models.filters import ApiModel, Filter, NameRules, check_filters
from gcexport.timespan import Interval, duration_parts

__all__ = [
    "MAX_DETAILS_DAYS_FILTERED",
    "MAX_DETAILS_DAYS_UNFILTERED",
    "MAX_PAGE_SIZE",
    "AggregateQuery",
    "DetailsJobQuery",
    "DetailsQuery",
    "Paging",
    "ReportExportRequest",
    "parse_duration",
]

MAX_DETAILS_DAYS_UNFILTERED = 7  # REFERENCE.md §3.3
MAX_DETAILS_DAYS_FILTERED = 31  # REFERENCE.md §3.3
MAX_PAGE_SIZE = 100  # REFERENCE.md §3.3
MAX_PAGING_RESULTS = 100_000  # REFERENCE.md §3.3: "Pagination may not exceed 100000 results."

ApiInterval = Annotated[Interval, PlainSerializer(lambda iv: iv.to_api(), return_type=str)]

CONVERSATION_RULES = NameRules(
    family="conversation filter",
    dimensions=names.CONVERSATION_DIMENSIONS,
    metrics=names.SESSION_METRICS,
)
SEGMENT_RULES = NameRules(
    family="segment filter", dimensions=names.SEGMENT_DIMENSIONS, metrics=names.SEGMENT_METRICS
)
AGGREGATE_RULES = NameRules(family="aggregate filter", dimensions=names.AGGREGATE_FILTER_DIMENSIONS)


def parse_duration(text: str) -> timedelta | None:
    """Parse an ISO-8601 duration (``PT30M``, ``P1D``); None for calendar ones (``P1M``, ``P1Y``).

    Raises `QueryValidationError` when `text` is not ISO-8601 duration syntax (one grammar with
    config's: `timespan.duration_parts`, without the short forms the API does not know).
    """
    try:
        months, span = duration_parts(text, short=False)
    except ValueError:
        raise QueryValidationError(
            f"granularity/period {text!r} is not an ISO-8601 duration such as PT30M, PT1H or P1D"
        ) from None
    if months:
        return None
    if span <= timedelta(0):
        raise QueryValidationError(f"granularity/period {text!r} must be longer than zero")
    return span


def _check_time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise QueryValidationError(
            f"time zone {value!r} is not an IANA zone name such as UTC or Europe/London"
        ) from None
    return value


class RequestModel(ApiModel):
    """A top-level request body (construction errors surface as `QueryValidationError`)."""


class Paging(ApiModel):
    """``paging`` of the synchronous details query: page size at most 100 (REFERENCE.md §3.3)."""

    page_size: int = Field(default=MAX_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)
    page_number: int = Field(default=1, ge=1)

    @model_validator(mode="after")
    def _under_cap(self) -> Paging:
        if self.page_size * self.page_number > MAX_PAGING_RESULTS:
            raise ValueError("Pagination may not exceed 100000 results (pageSize x pageNumber)")
        return self


class _DetailsBase(RequestModel):
    interval: ApiInterval
    conversation_filters: list[Filter] | None = None
    segment_filters: list[Filter] | None = None
    order: Literal["asc", "desc", "unordered"] | None = None
    order_by: (
        Literal["conversationStart", "conversationEnd", "segmentStart", "segmentEnd"] | None
    ) = None

    @model_validator(mode="after")
    def _names(self) -> _DetailsBase:
        check_filters(self.conversation_filters, CONVERSATION_RULES)
        check_filters(self.segment_filters, SEGMENT_RULES)
        return self

    @property
    def has_filters(self) -> bool:
        return bool(self.conversation_filters or self.segment_filters)


class DetailsQuery(_DetailsBase):
    """Body of ``POST /api/v2/analytics/conversations/details/query`` (REFERENCE.md §3.1)."""

    paging: Paging | None = None

    @model_validator(mode="after")
    def _interval_limit(self) -> DetailsQuery:
        days = MAX_DETAILS_DAYS_FILTERED if self.has_filters else MAX_DETAILS_DAYS_UNFILTERED
        if self.interval.duration > timedelta(days=days):
            raise ValueError(
                f"interval {self.interval.to_api()} exceeds the {days}-day limit of the details query"
                " (7 days without filters, 31 with)"
            )
        return self


class DetailsJobQuery(_DetailsBase):
    """Body of ``POST /api/v2/analytics/conversations/details/jobs`` (REFERENCE.md §5.1)."""

    limit: int | None = Field(default=None, ge=1)
    start_of_day_interval_matching: bool | None = None


class AggregateQuery(RequestModel):
    """Body of ``POST /api/v2/analytics/conversations/aggregates/query`` (REFERENCE.md §6.1)."""

    interval: ApiInterval
    metrics: list[str] = Field(min_length=1)
    granularity: str | None = None
    time_zone: str | None = None
    group_by: list[str] | None = None
    filter: Filter | None = None
    flatten_multivalued_dimensions: bool | None = None
    alternate_time_dimension: Literal["eventTime"] | None = None

    @field_validator("metrics")
    @classmethod
    def _metrics(cls, value: list[str]) -> list[str]:
        return names.validate_metric_names(value)

    @field_validator("group_by")
    @classmethod
    def _group_by(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else names.validate_dimension_names(value)

    @field_validator("granularity")
    @classmethod
    def _granularity(cls, value: str | None) -> str | None:
        if value is not None:
            parse_duration(value)
        return value

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        return None if value is None else _check_time_zone(value)

    @model_validator(mode="after")
    def _filter_names(self) -> AggregateQuery:
        check_filters([self.filter] if self.filter else None, AGGREGATE_RULES)
        return self

    def with_interval(self, interval: Interval) -> AggregateQuery:
        return self.model_copy(update={"interval": interval})


class ReportExportRequest(RequestModel):
    """Body of ``POST /api/v2/analytics/reporting/exports`` (REFERENCE.md §7)."""

    name: str = Field(min_length=1)
    view_type: str
    interval: ApiInterval
    period: str = "P1D"
    time_zone: str = "UTC"
    export_format: Literal["CSV", "PDF"] = "CSV"
    filter: dict[str, Any] = Field(default_factory=dict)
    locale: str = "en-US"
    read: bool | None = None
    has_format_durations: bool | None = None
    has_split_filters: bool | None = None
    exclude_empty_rows: bool | None = None
    has_split_by_media: bool | None = None
    has_summary_row: bool | None = None
    csv_delimiter: Literal["COMMA", "SEMICOLON"] | None = None
    duration_format: Literal["Seconds", "Milliseconds", "Hhmmss", "Hms"] | None = None
    selected_columns: list[dict[str, Any]] | None = None

    @field_validator("view_type")
    @classmethod
    def _view(cls, value: str) -> str:
        return names.validate_view_type(value)

    @field_validator("period")
    @classmethod
    def _period(cls, value: str) -> str:
        parse_duration(value)
        return value

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return _check_time_zone(value)
