"""Vectorised Arrow → JSON text: any array becomes a string array of JSON values, nulls stay null.

Nested values that are not their own table (lists of ids, `mediaEndpointStats`, segment
`properties`, unknown fields for the `extra` column) are stored as JSON text so that every output
column is a scalar that CSV, JSONL, DuckDB and Snowflake all accept. Building the text with Arrow
kernels instead of a per-row `json.dumps` keeps the transform fast::

    to_json_text(pa.array([[1, 2], None]))   # → ["[1,2]", None]
"""

from __future__ import annotations

import functools
from typing import Any, cast

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

_ESCAPES = (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t"))
_CONTROL = "[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f]"


class Misread(Exception):
    """The reader inferred a type that cannot give back the JSON value exactly (a date-like string
    read as a timestamp, a number where text was expected): the caller takes the fallback path."""


def concat(*parts: Any) -> pa.Array:
    """Element-wise string concatenation of arrays and Python strings (null if any part is null)."""
    scalars = [_scalar(p) if isinstance(p, str) else p for p in parts]
    return cast(pa.Array, pc.binary_join_element_wise(*scalars, _scalar("")))


@functools.lru_cache(maxsize=4096)
def _scalar(text: str) -> pa.Scalar:
    """Constant text as an Arrow scalar, made once (converting a `str` per kernel call costs)."""
    return pa.scalar(text, pa.string())


def quote(strings: pa.Array) -> pa.Array:
    """JSON-quote a string array (escapes quotes, backslashes and control characters)."""
    if not _may_need_escape(strings):
        return concat('"', strings, '"')  # the common case: ids, enums, names
    if pc.any(pc.match_substring_regex(strings, _CONTROL)).as_py():
        return pa.array(
            [None if s is None else orjson.dumps(s).decode() for s in strings.to_pylist()],
            pa.string(),
        )
    for old, new in _ESCAPES:
        strings = pc.replace_substring(strings, old, new)
    return concat('"', strings, '"')


def _may_need_escape(strings: pa.Array) -> bool:
    """Whether any byte of the text buffer is a quote, a backslash or a control character (one
    vectorised pass; bytes outside a sliced array can only cause a harmless false positive)."""
    data = strings.buffers()[2]
    if data is None or data.size == 0:
        return False
    raw = np.frombuffer(data, dtype=np.uint8)
    return bool(((raw < 0x20) | (raw == 0x22) | (raw == 0x5C)).any())


def to_json_text(values: pa.Array) -> pa.Array:
    """Encode each element of `values` as compact JSON text; null elements stay null."""
    kind = values.type
    if pa.types.is_null(kind) or values.null_count == len(values):
        return pa.nulls(len(values), pa.string())
    if pa.types.is_struct(kind):
        return _struct_text(cast(pa.StructArray, values))
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        return _list_text(cast(pa.ListArray, values))
    if pa.types.is_string(kind):
        return quote(values)
    if pa.types.is_large_string(kind):
        return quote(values.cast(pa.string()))
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind):
        return values.cast(pa.string())
    if pa.types.is_dictionary(kind):
        return to_json_text(values.cast(kind.value_type))
    raise Misread(f"cannot give back JSON text from {kind}")


def _list_text(values: pa.ListArray) -> pa.Array:
    items = to_json_text(values.values)
    if items.null_count:
        items = pc.fill_null(items, "null")
    mask = values.is_null() if values.null_count else None
    rebuilt = pa.ListArray.from_arrays(values.offsets, items, mask=mask)
    return concat("[", pc.binary_join(rebuilt, ","), "]")


def _struct_text(values: pa.StructArray) -> pa.Array:
    """`{"a":1,"b":"x"}` with absent (null) members left out, like the API omits them."""
    pieces = []
    for field, member in zip(values.type, values.flatten(), strict=True):
        text = to_json_text(member)
        if text.null_count == len(text):
            continue  # absent everywhere: nothing to write
        pieces.append(concat(orjson.dumps(field.name).decode() + ":", text, ","))
    if not pieces:
        return pc.if_else(values.is_null(), None, "{}")
    # Null pieces join as "" (one kernel); trailing commas go in one rtrim.
    joined = pc.binary_join_element_wise(*pieces, "", null_handling="replace", null_replacement="")
    text = concat("{", pc.utf8_rtrim(joined, characters=","), "}")
    return pc.if_else(values.is_null(), None, text) if values.null_count else text


def members_text(values: pa.StructArray, names: list[str]) -> pa.Array:
    """JSON text of only the named members of a struct, null where all of them are null."""
    if not names:
        return pa.nulls(len(values), pa.string())
    kept = [pc.struct_field(values, [values.type.get_field_index(n)]) for n in names]
    sub = pa.StructArray.from_arrays(kept, names=names)
    text = to_json_text(sub)
    return pc.if_else(pc.equal(text, "{}"), None, text)
