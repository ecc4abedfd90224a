"""Filter, clause and predicate models shared by every analytics query (REFERENCE.md §3.2).

Example::

    Filter(type="or", predicates=[Predicate(dimension="mediaType", value="voice")])
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic.alias_generators import to_camel

from gcexport.errors import QueryValidationError
from gcexport.models.names import validate_names

__all__ = [
    "ApiModel",
    "Clause",
    "Filter",
    "NameRules",
    "NumericRange",
    "Predicate",
    "check_filters",
]


class ApiModel(BaseModel):
    """Base of request models: camelCase on the wire, no unknown fields, frozen."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True
    )

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise QueryValidationError(f"invalid {type(self).__name__}: {_describe(exc)}") from None

    def to_api(self) -> dict[str, object]:
        """The JSON body Genesys expects (absent fields omitted, REFERENCE.md §2)."""
        return self.model_dump(by_alias=True, exclude_none=True, mode="json")


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err["loc"]) or "body"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)


class NumericRange(ApiModel):
    """``{gt, gte, lt, lte}`` bounds of a metric predicate."""

    gt: float | None = None
    gte: float | None = None
    lt: float | None = None
    lte: float | None = None


class Predicate(ApiModel):
    """One comparison: a dimension (or metric) matched against a value, range or existence."""

    type: Literal["dimension", "property", "metric"] | None = None
    dimension: str | None = None
    metric: str | None = None
    operator: Literal["matches", "exists", "notExists"] | None = None
    value: str | None = None
    range: NumericRange | None = None

    @model_validator(mode="after")
    def _one_side(self) -> Predicate:
        if (self.dimension is None) == (self.metric is None):
            raise ValueError("a predicate names exactly one of `dimension` or `metric`")
        return self


class Clause(ApiModel):
    """Predicates joined by and/or (the second nesting level)."""

    type: Literal["and", "or"]
    predicates: list[Predicate] = Field(min_length=1)


class Filter(ApiModel):
    """The top-level filter: predicates and clauses joined by and/or."""

    type: Literal["and", "or"]
    clauses: list[Clause] | None = None
    predicates: list[Predicate] | None = None

    def iter_predicates(self) -> Iterator[Predicate]:
        yield from self.predicates or []
        for clause in self.clauses or []:
            yield from clause.predicates


class NameRules(BaseModel):
    """Which dimension and metric names one filter family accepts."""

    model_config = ConfigDict(frozen=True)

    family: str
    dimensions: frozenset[str]
    metrics: frozenset[str] = frozenset()


def check_filters(filters: list[Filter] | None, rules: NameRules) -> None:
    """Reject unknown dimension/metric names in `filters` (QueryValidationError with suggestions)."""
    for flt in filters or []:
        for predicate in flt.iter_predicates():
            if predicate.dimension is not None:
                validate_names(
                    [predicate.dimension], rules.dimensions, kind=f"{rules.family} dimension"
                )
            if predicate.metric is not None:
                validate_names([predicate.metric], rules.metrics, kind=f"{rules.family} metric")
