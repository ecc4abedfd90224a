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
_SCAN = 1 << 16
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
    """Whether any byte of the text buffer is a quote, a backslash or a control character: numpy
    passes over 64 KiB slices (cache-sized, no buffer-sized temporaries); bytes outside a sliced
    array can only cause a harmless false positive."""
    data = strings.buffers()[2]
    if data is None:
        return False
    raw = np.frombuffer(data, dtype=np.uint8)
    for start in range(0, len(raw), _SCAN):
        part = raw[start : start + _SCAN]
        if ((part < 0x20) | (part == 0x22) | (part == 0x5C)).any():
            return True
    return False


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
    if _plain_strings(values):  # lists of ids: one join, quotes around and between the items
        return concat('["', pc.binary_join(values, '","'), '"]')
    items = to_json_text(values.values)
    if items.null_count:
        items = pc.fill_null(items, "null")
    offsets, mask = values.offsets, None
    if values.null_count:
        mask = values.is_null()
        if values.offset:  # from_arrays takes a mask only with offsets that are not a slice
            offsets = pa.array(offsets.to_numpy())
    rebuilt = pa.ListArray.from_arrays(offsets, items, mask=mask)
    return concat("[", pc.binary_join(rebuilt, ","), "]")


def _plain_strings(values: pa.ListArray) -> bool:
    """Non-empty lists of strings that need no escaping and hold no nulls."""
    items = values.values
    if not pa.types.is_string(items.type) or items.null_count or _may_need_escape(items):
        return False
    offsets = values.offsets.to_numpy()
    return bool(len(offsets) > 1 and (offsets[1:] > offsets[:-1]).all())


def _struct_text(values: pa.StructArray) -> pa.Array:
    """`{"a":1,"b":"x"}` with absent (null) members left out, like the API omits them."""
    members = []
    for field, member in zip(values.type, values.flatten(), strict=True):
        text = to_json_text(member)
        if text.null_count < len(text):  # absent everywhere: nothing to write
            members.append((orjson.dumps(field.name).decode(), text))
    if not members:
        return pc.if_else(values.is_null(), None, "{}")
    text = _join("{", *_object_parts(members), "}")
    return pc.if_else(values.is_null(), None, text) if values.null_count else text


def _object_parts(members: list[tuple[str, pa.Array]]) -> list[Any]:
    """Pieces of an object's text, joined with nulls as "": members present in every row go in as
    is; the others as one piece each (null where absent). Commas sit after the members before
    the first always-present one and before those after it, so none dangles."""
    always = next((i for i, (_, text) in enumerate(members) if text.null_count == 0), None)
    if always is None:  # trailing commas, then one rtrim
        pieces = [concat(f"{name}:", text, ",") for name, text in members]
        return [pc.utf8_rtrim(_join(*pieces), characters=",")]
    parts: list[Any] = []
    for i, (name, text) in enumerate(members):
        head, tail = ("", ",") if i < always else ("," if i > always else "", "")
        if text.null_count:
            parts.append(concat(f"{head}{name}:", text, tail))
        else:
            parts.extend([f"{head}{name}:", text])
    return parts


def _join(*parts: Any) -> pa.Array:
    """Concatenate arrays and constant text element-wise; null pieces count as ""."""
    scalars = [_scalar(p) if isinstance(p, str) else p for p in parts]
    joined = pc.binary_join_element_wise(
        *scalars, _scalar(""), null_handling="replace", null_replacement=""
    )
    return cast(pa.Array, joined)


def members_text(values: pa.StructArray, names: list[str]) -> pa.Array:
    """JSON text of only the named members of a struct, null where all of them are null."""
    if not names:
        return pa.nulls(len(values), pa.string())
    kept = [pc.struct_field(values, [values.type.get_field_index(n)]) for n in names]
    sub = pa.StructArray.from_arrays(kept, names=names)
    text = to_json_text(sub)
    return pc.if_else(pc.equal(text, "{}"), None, text)
