"""The slow, total path for pages the typed reader rejects (a known field of the wrong type, or an
unknown field whose type varies between records).

Each record is walked in Python against the spec: fields that fit stay; nested values that are
not their own table are pre-encoded as JSON text; everything else moves into a per-level
`__extra__` JSON text, so nothing is dropped and the Arrow read cannot fail on types::

    cleaned = sanitize(conversation, CONVERSATION)
"""

from __future__ import annotations

from typing import Any

import orjson
import pyarrow as pa

from gcexport.transform.columns import read_type
from gcexport.transform.spec import (
    CONVERSATION,
    FLOW,
    METRIC,
    PARTICIPANT,
    SEGMENT,
    SESSION,
    Kind,
    ListOf,
    Obj,
)

EXTRA_KEY = "__extra__"
# Attributes as (name, value) pairs: a struct with a field per key would let the reader re-type
# date-like values as timestamps.
ATTRIBUTE_PAIRS = pa.list_(pa.struct([("name", pa.string()), ("value", pa.string())]))
# Members that are child tables (lists) or flattened objects; every other nested value is text.
STRUCTURE: dict[Obj, dict[str, Obj]] = {
    CONVERSATION: {"participants": PARTICIPANT},
    PARTICIPANT: {"sessions": SESSION},
    SESSION: {"flow": FLOW, "metrics": METRIC, "segments": SEGMENT},
    FLOW: {},
    METRIC: {},
    SEGMENT: {},
}


def fallback_type(spec: Obj) -> pa.DataType:
    """Reader type for sanitised records: JSON-text members as strings, plus `__extra__`."""
    fields: list[tuple[str, pa.DataType]] = []
    for name, kind in spec.fields:
        child = STRUCTURE[spec].get(name)
        if child is None:
            fields.append((name, pa.string() if not isinstance(kind, str) else read_type(kind)))
        elif isinstance(kind, ListOf):
            fields.append((name, pa.list_(fallback_type(child))))
        else:
            fields.append((name, fallback_type(child)))
    if spec is PARTICIPANT:
        fields.append(("attributes", ATTRIBUTE_PAIRS))
    return pa.struct([*fields, (EXTRA_KEY, pa.string())])


def sanitize(record: Any, spec: Obj) -> dict[str, Any]:
    """A copy of `record` that fits `fallback_type(spec)`; misfits go to `__extra__`."""
    if not isinstance(record, dict):
        return {EXTRA_KEY: orjson.dumps({"value": record}).decode()}
    known, structure = spec.names(), STRUCTURE[spec]
    kept: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for name, value in record.items():
        fitted = _fit(value, spec.kind(name), structure.get(name)) if name in known else _MISFIT
        if name == "attributes" and spec is PARTICIPANT and _is_text_map(value):
            fitted = [{"name": k, "value": v} for k, v in value.items()]
        if fitted is _MISFIT:
            extra[name] = value
        elif fitted is not None:
            kept[name] = fitted
    if extra:
        kept[EXTRA_KEY] = orjson.dumps(extra).decode()
    return kept


_MISFIT = object()


def _fit(value: Any, kind: Kind, child: Obj | None) -> Any:
    if value is None:
        return None
    if child is not None:
        if isinstance(kind, ListOf):
            return [sanitize(v, child) for v in value] if isinstance(value, list) else _MISFIT
        return sanitize(value, child) if isinstance(value, dict) else _MISFIT
    if not isinstance(kind, str):
        return orjson.dumps(value).decode()
    return value if _fits_scalar(value, kind) else _MISFIT


def _fits_scalar(value: Any, kind: str) -> bool:
    if kind in ("s", "t"):
        return isinstance(value, str)
    if kind == "b":
        return isinstance(value, bool)
    if kind == "i":
        return isinstance(value, int) and not isinstance(value, bool) and -(2**63) <= value < 2**63
    return isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) < 2**63


def _is_text_map(value: Any) -> bool:
    return isinstance(value, dict) and all(isinstance(v, str) for v in value.values())
