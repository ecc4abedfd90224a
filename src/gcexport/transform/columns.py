"""Turning one level of parsed JSON (an Arrow struct array) into typed columns, `extra` and drift."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import datetime, timezone

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from gcexport.timespan import parse_timestamp
from gcexport.transform.jsontext import Misread, concat, members_text, to_json_text
from gcexport.transform.spec import Kind, ListOf, Obj, snake

TIMESTAMP = pa.timestamp("ms", tz="UTC")
PRE_ENCODED = "__extra__"  # set by the fallback path: unknown/misfit members, already JSON text
SCALAR_TYPES: dict[str, pa.DataType] = {
    "s": pa.string(),
    "i": pa.int64(),
    "f": pa.float64(),
    "b": pa.bool_(),
    "t": TIMESTAMP,
}


@dataclass(frozen=True)
class DriftField:
    """A field the schema does not know: kept in the `extra` column of `table`, reported once."""

    table: str
    field_path: str
    example: str


def column_type(kind: Kind) -> pa.DataType:
    """Output type of a field: typed scalars; lists and objects as JSON text."""
    return SCALAR_TYPES[kind] if isinstance(kind, str) else pa.string()


def read_type(kind: Kind) -> pa.DataType:
    """Type the JSON reader parses a field into (timestamps as text; typed afterwards, leniently)."""
    if isinstance(kind, ListOf):
        return pa.list_(read_type(kind.item))
    if isinstance(kind, Obj):
        return pa.struct([(name, read_type(k)) for name, k in kind.fields])
    return pa.string() if kind == "t" else SCALAR_TYPES[kind]


def member(values: pa.StructArray, name: str, absent: pa.DataType = pa.string()) -> pa.Array:
    """One member of a struct array (nulls where the struct itself is null; all null if absent)."""
    index = values.type.get_field_index(name)
    if index < 0:
        return pa.nulls(len(values), absent)
    if values.null_count == 0:
        return values.field(index)  # no nulls to merge: the child itself (no kernel call)
    return pc.struct_field(values, [index])


def list_values(lists: pa.Array) -> pa.Array:
    """The items of all lists in order (`list_flatten`), without a kernel call when no list is null."""
    if lists.null_count:
        return pc.list_flatten(lists)
    offsets = lists.offsets
    first, last = offsets[0].as_py(), offsets[-1].as_py()
    return lists.values.slice(first, last - first)


def conform(values: pa.Array, kind: Kind) -> pa.Array:
    """The inferred array as the type the spec expects, or Misread when that would change a value."""
    if not isinstance(kind, str):
        return values  # nested values become JSON text, whatever their inferred shape
    want = pa.string() if kind == "t" else SCALAR_TYPES[kind]
    if values.type == want:
        return values
    if kind == "t" and pa.types.is_timestamp(values.type):
        return values.cast(TIMESTAMP)  # offset-less ISO text the reader already parsed (as UTC)
    if pa.types.is_null(values.type) or (kind == "f" and pa.types.is_integer(values.type)):
        return values.cast(want)
    raise Misread(f"{kind!r} field read as {values.type}")


def parse_timestamps(text: pa.Array) -> tuple[pa.Array, pa.Array | None]:
    """ISO-8601 text → UTC ms timestamps; returns also the text of values that would not parse."""
    if text.null_count == len(text):
        return pa.nulls(len(text), TIMESTAMP), None
    if text.type == TIMESTAMP:
        return text, None
    try:
        return pc.cast(text, TIMESTAMP), None
    except pa.ArrowInvalid:
        parsed = [_parse_one(v) for v in text.to_pylist()]
        stamps = pa.array([p for p, _ in parsed], TIMESTAMP)
        return stamps, pa.array([bad for _, bad in parsed], pa.string())


def _parse_one(value: str | None) -> tuple[datetime | None, str | None]:
    if value is None:
        return None, None
    try:
        stamp = parse_timestamp(value)
    except ValueError:
        return None, value
    return (stamp if stamp.tzinfo else stamp.replace(tzinfo=timezone.utc)), None


@dataclass
class Level:
    """Columns of one output table drawn from one struct array, plus what did not fit the schema."""

    table: str
    path: str
    columns: dict[str, pa.Array] = field(default_factory=dict)
    extra_names: list[str] = field(default_factory=list)
    extra_arrays: list[pa.Array] = field(default_factory=list)
    drift: list[DriftField] = field(default_factory=list)
    pre_encoded: list[pa.Array] = field(default_factory=list)
    pre_encoded_nested: bool = False  # the fallback path already wrote nested values as JSON text

    def add_fields(
        self, values: pa.StructArray, spec: Obj, *, skip: frozenset[str], prefix: str = ""
    ) -> None:
        """Add a column per known field, and queue unknown fields for `extra` (reported as drift)."""
        present = [f.name for f in values.type]
        # One call for all members, with the parent's nulls merged in.
        children = dict(zip(present, values.flatten(), strict=True))
        absent = _Nulls(len(values))
        for name, kind, column, kind_type in _known_columns(spec, skip, prefix):
            if name in children:
                self._add_known(conform(children[name], kind), name, kind, prefix)
            else:  # absent from the whole batch: typed nulls, no kernels
                self.columns[column] = absent.of(kind_type)
        if PRE_ENCODED in present:
            self._keep_pre_encoded(children[PRE_ENCODED], prefix.replace("_", "."))
        known = spec.names() | skip | {PRE_ENCODED}
        for name in present:
            if name not in known:
                self.keep_unknown(children[name], prefix.replace("_", ".") + name)
        for name, kind in spec.fields:
            if name in children and name not in skip and not isinstance(kind, str):
                self._report_nested(
                    values.type.field(name).type, kind, f"{self.path}{prefix}{name}"
                )

    def _add_known(self, values: pa.Array, name: str, kind: Kind, prefix: str) -> None:
        column = _column_name(name, prefix)
        if kind == "t":
            stamps, bad = parse_timestamps(values)
            self.columns[column] = stamps
            if bad is not None:
                self.keep_unknown(bad, prefix.replace("_", ".") + name)
        elif isinstance(kind, str) or (self.pre_encoded_nested and pa.types.is_string(values.type)):
            self.columns[column] = values  # scalars, or JSON text already encoded by `fallback`
        elif pa.types.is_string(values.type):
            raise Misread(f"{name} is text where the API sends a list or an object")
        else:
            self.columns[column] = to_json_text(values)

    def keep_unknown(self, values: pa.Array, key: str) -> None:
        """Queue `values` for `extra` under `key` (skipped when all null) and report it as drift."""
        if values.null_count == len(values):
            return
        self.extra_names.append(key)
        self.extra_arrays.append(values)
        example = to_json_text(values.filter(values.is_valid()).slice(0, 1))[0].as_py()
        self.drift.append(DriftField(self.table, self.path + key, (example or "")[:200]))

    def _keep_pre_encoded(self, texts: pa.Array, key_prefix: str) -> None:
        """`__extra__` text made by the fallback path: kept as is (re-keyed under a prefix) and reported."""
        if texts.null_count == len(texts):
            return
        seen: set[str] = set()
        rows: list[str | None] = []
        for text in texts.to_pylist():
            if text is None:
                rows.append(None)
                continue
            members = {key_prefix + k: v for k, v in orjson.loads(text).items()}
            for key, value in members.items():
                if key not in seen:
                    seen.add(key)
                    self.drift.append(
                        DriftField(self.table, self.path + key, orjson.dumps(value).decode()[:200])
                    )
            rows.append(orjson.dumps(members).decode())
        self.pre_encoded.append(pa.array(rows, pa.string()))

    def _report_nested(self, actual: pa.DataType, kind: Kind, path: str) -> None:
        """Unknown members inside JSON-text columns are kept (the text is complete) but reported."""
        if isinstance(kind, ListOf) and pa.types.is_list(actual):
            self._report_nested(actual.value_type, kind.item, path + "[]")
        elif isinstance(kind, Obj) and pa.types.is_struct(actual):
            for child in actual:
                if child.name not in kind.names():
                    self.drift.append(
                        DriftField(self.table, f"{path}.{child.name}", str(child.type))
                    )
                else:
                    self._report_nested(child.type, kind.kind(child.name), f"{path}.{child.name}")

    def extra(self, length: int) -> pa.Array:
        """The `extra` column: JSON object of everything this level did not know, else null."""
        texts = list(self.pre_encoded)
        if self.extra_names:
            struct = pa.StructArray.from_arrays(self.extra_arrays, names=self.extra_names)
            texts.append(members_text(struct, self.extra_names))
        if not texts:
            return pa.nulls(length, pa.string())
        return texts[0] if len(texts) == 1 else merge_objects(texts)


class _Nulls:
    """All-null columns of one length, one array per type (arrays are immutable, so shared)."""

    def __init__(self, length: int) -> None:
        self.length = length
        self.arrays: dict[pa.DataType, pa.Array] = {}

    def of(self, kind: pa.DataType) -> pa.Array:
        if kind not in self.arrays:
            self.arrays[kind] = pa.nulls(self.length, kind)
        return self.arrays[kind]


def merge_objects(texts: list[pa.Array]) -> pa.Array:
    """Merge JSON-object texts row by row (none of them is `{}`; nulls are skipped)."""
    inner = [pc.fill_null(concat(pc.utf8_slice_codeunits(t, 1, -1), ","), "") for t in texts]
    body = pc.utf8_rtrim(concat(*inner), characters=",")
    return pc.if_else(pc.equal(body, ""), None, concat("{", body, "}"))


@functools.lru_cache(maxsize=256)
def _known_columns(
    spec: Obj, skip: frozenset[str], prefix: str
) -> tuple[tuple[str, Kind, str, pa.DataType], ...]:
    """(member, kind, column name, column type) of each known member that gets a column."""
    return tuple(
        (name, kind, _column_name(name, prefix), column_type(kind))
        for name, kind in spec.fields
        if name not in skip
    )


def _column_name(name: str, prefix: str) -> str:
    if prefix and snake(name).startswith(prefix):
        return snake(name)
    return prefix + snake(name)


def spec_schema_fields(
    spec: Obj, *, skip: frozenset[str] = frozenset(), prefix: str = ""
) -> list[pa.Field]:
    """Output fields for the known members of `spec` (same names and types `Level` produces)."""
    return [
        pa.field(_column_name(n, prefix), column_type(k)) for n, k in spec.fields if n not in skip
    ]
