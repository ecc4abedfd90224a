"""Conversation detail pages → the six detail tables, vectorised with Arrow's JSON reader.

A page (query response or job-results page, REFERENCE.md §3.4 / §5.3) is parsed once by
`pyarrow.json`, which builds only the fields that occur; each level is then conformed to the
known schema (`spec.py`), unknown fields go to `extra` and are reported as drift. Child tables
are exploded with `list_values` / `list_parent_indices` and carry their parent keys. A page the
reader cannot type faithfully (a field whose type varies, date-like text it would re-type) takes
the slow, total path of `fallback.py`, so nothing is ever dropped::

    result = flatten_conversation_pages([page.raw for page in pages], source="details_job")
    result.tables["segments"].num_rows, result.drift
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from gcexport.errors import DataError
from gcexport.transform.columns import (
    DriftField,
    Level,
    conform,
    list_values,
    member,
    parse_timestamps,
)
from gcexport.transform.fallback import fallback_type, sanitize
from gcexport.transform.jsontext import Misread, to_json_text
from gcexport.transform.schemas import (
    DETAIL_SCHEMAS,
    SKIP_CONVERSATION,
    SKIP_PARTICIPANT,
    SKIP_SESSION,
)
from gcexport.transform.spec import CONVERSATION, FLOW, METRIC, PARTICIPANT, SEGMENT, SESSION, Obj

FALLBACK_SCHEMA = pa.schema([("conversations", pa.list_(fallback_type(CONVERSATION)))])
FALLBACK_SCHEMA = pa.schema([("conversations", pa.list_(fallback_type(CONVERSATION)))])
_NEXT_SEQ = 0
_SEQ_LOCK = threading.Lock()


@dataclass
class FlatResult:
    """The detail tables of a batch of conversations, and the unknown fields met on the way."""

    tables: dict[str, pa.Table]
    drift: list[DriftField] = field(default_factory=list)


def flatten_conversation_pages(raw_pages: Sequence[bytes], *, source: str) -> FlatResult:
    """Flatten raw response bodies (`{"conversations": [...], ...}`) — the fast path."""
    lines = [_one_line(page, i) for i, page in enumerate(raw_pages)] or [b"{}"]
    try:
        # Types inferred from the data: the reader only builds the fields that occur.
        return _flatten(_read(lines, None), source=source, fallback=False)
    except (pa.ArrowInvalid, Misread):
        pass  # a field whose type varies or would not round-trip: take the slow, total path
    try:
        conversations = _read([_sanitized(line, source) for line in lines], FALLBACK_SCHEMA)
        return _flatten(conversations, source=source, fallback=True)
    except (pa.ArrowInvalid, Misread) as exc:
        raise DataError(f"conversation pages from {source} cannot be read: {exc}") from exc


def _read(lines: list[bytes], schema: pa.Schema | None) -> pa.StructArray:
    """Parse pages (one per line) in one block, so inferred types agree across pages."""
    body = lines[0] if len(lines) == 1 else b"\n".join(lines)  # one page: read in place
    options = pj.ReadOptions(use_threads=False, block_size=len(body) + 1)
    parse = pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="infer")
    table = pj.read_json(pa.BufferReader(body), read_options=options, parse_options=parse)
    if "conversations" not in table.column_names:
        return pa.array([], pa.struct([]))
    return _structs(list_values(table.column("conversations").combine_chunks()))


def _structs(values: pa.Array) -> pa.StructArray:
    """Records as a struct array (a list read as `list<null>` holds no records at all)."""
    if pa.types.is_struct(values.type):
        return values
    if values.null_count == len(values) or len(values) == 0:
        return pa.nulls(len(values), pa.struct([]))
    raise Misread(f"records read as {values.type}")


def _sanitized(line: bytes, source: str) -> bytes:
    try:
        page = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise DataError(f"a conversation page from {source} is not valid JSON: {exc}") from exc
    conversations = page.get("conversations") if isinstance(page, dict) else None
    if not isinstance(conversations, (list, type(None))):
        raise DataError(f"a conversation page from {source} has 'conversations' that is not a list")
    cleaned = [sanitize(c, CONVERSATION) for c in conversations or []]
    return orjson.dumps({"conversations": cleaned})


def flatten_conversations(conversations: Sequence[dict[str, Any]], *, source: str) -> FlatResult:
    """Flatten parsed conversation dicts (serialised once with orjson, then the same fast path)."""
    return flatten_conversation_pages(
        [orjson.dumps({"conversations": list(conversations)})], source=source
    )


def _one_line(page: bytes, index: int) -> bytes:
    """The JSON reader wants one object per line: re-serialise pretty-printed pages."""
    page = page.strip() or b"{}"
    if b"\n" not in page:
        return page
    try:
        return orjson.dumps(orjson.loads(page))
    except orjson.JSONDecodeError as exc:
        raise DataError(f"conversation page {index} is not valid JSON: {exc}") from exc


def _next_seqs(count: int) -> pa.Array:
    """Process-unique, increasing numbers telling apart fetched versions of one conversation."""
    global _NEXT_SEQ
    with _SEQ_LOCK:
        first, _NEXT_SEQ = _NEXT_SEQ, _NEXT_SEQ + count
    return pa.array(np.arange(first, first + count, dtype=np.int64))


class _Keys:
    """Parent-key columns of one level, ready to be repeated for its children."""

    def __init__(self, columns: dict[str, pa.Array]) -> None:
        self.columns = columns

    def take(self, parents: pa.Array) -> _Keys:
        return _Keys({name: pc.take(col, parents) for name, col in self.columns.items()})

    def plus(self, **more: pa.Array) -> _Keys:
        return _Keys({**self.columns, **more})


def _flatten(conversations: pa.StructArray, *, source: str, fallback: bool) -> FlatResult:
    """Conversations → their table, then each level of children with its parents' keys."""
    tables: dict[str, pa.Table] = {}
    keys, drift = _add_conversations(tables, conversations, source, fallback)
    parts, part_parent = _explode(conversations, "participants")
    part_keys = keys.take(part_parent).plus(participant_id=_key(parts, "participantId"))
    drift += _add(
        tables,
        Level("participants", "participants.", pre_encoded_nested=fallback),
        parts,
        PARTICIPANT,
        SKIP_PARTICIPANT,
        part_keys,
    )
    tables["participant_attributes"] = _attributes(parts, part_keys)
    sessions, sess_parent = _explode(parts, "sessions")
    sess_keys = part_keys.take(sess_parent).plus(session_id=_key(sessions, "sessionId"))
    drift += _add_sessions(tables, sessions, sess_keys, fallback)
    segments = Level("segments", "segments.", pre_encoded_nested=fallback)
    drift += _add_indexed(tables, segments, sessions, "segments", SEGMENT, sess_keys)
    metrics = Level("session_metrics", "session_metrics.", pre_encoded_nested=fallback)
    drift += _add_indexed(tables, metrics, sessions, "metrics", METRIC, sess_keys)
    return FlatResult(tables, drift)


def _key(values: pa.StructArray, name: str) -> pa.Array:
    return conform(member(values, name, pa.null()), "s")


def _add_conversations(
    tables: dict[str, pa.Table], conversations: pa.StructArray, source: str, fallback: bool
) -> tuple[_Keys, list[DriftField]]:
    level = Level("conversations", "", pre_encoded_nested=fallback)
    start_text = conform(member(conversations, "conversationStart", pa.null()), "t")
    start, bad_start = parse_timestamps(start_text)
    if bad_start is not None:
        level.keep_unknown(bad_start, "conversationStart")
    keys = _Keys(
        {
            "conversation_id": _key(conversations, "conversationId"),
            "conversation_start": start,
            "fetch_seq": _next_seqs(len(conversations)),
        }
    )
    level.add_fields(conversations, CONVERSATION, skip=SKIP_CONVERSATION)
    count = len(conversations)
    level.columns["source"] = pa.array(np.full(count, source, dtype=object), pa.string())
    tables["conversations"] = _table(level, keys)
    return keys, level.drift


def _explode(parents: pa.StructArray, name: str) -> tuple[pa.StructArray, pa.Array]:
    lists = member(parents, name, pa.list_(pa.struct([])))
    if not pa.types.is_list(lists.type):
        raise Misread(f"{name} read as {lists.type}")
    return _structs(list_values(lists)), pc.list_parent_indices(lists)


def _positions(parents: pa.StructArray, name: str) -> pa.Array:
    """Index of each flattened child within its parent's list (0, 1, 2, … per parent)."""
    lists = member(parents, name, pa.list_(pa.struct([])))
    offsets = lists.offsets.to_numpy()
    parent = pc.list_parent_indices(lists).to_numpy()
    return pa.array(np.arange(len(parent), dtype=np.int64) + offsets[0] - offsets[parent])


def _add(
    tables: dict[str, pa.Table],
    level: Level,
    values: pa.StructArray,
    spec: Obj,
    skip: frozenset[str],
    keys: _Keys,
) -> list[DriftField]:
    level.add_fields(values, spec, skip=skip)
    tables[level.table] = _table(level, keys)
    return level.drift


def _add_sessions(
    tables: dict[str, pa.Table], sessions: pa.StructArray, keys: _Keys, fallback: bool
) -> list[DriftField]:
    level = Level("sessions", "sessions.", pre_encoded_nested=fallback)
    level.add_fields(sessions, SESSION, skip=SKIP_SESSION)
    flow = member(sessions, "flow", pa.struct([]))
    if not pa.types.is_struct(flow.type):
        flow = _structs(flow)
    level.add_fields(flow, FLOW, skip=frozenset(), prefix="flow_")
    tables["sessions"] = _table(level, keys)
    return level.drift


def _add_indexed(
    tables: dict[str, pa.Table],
    level: Level,
    sessions: pa.StructArray,
    member_name: str,
    spec: Obj,
    keys: _Keys,
) -> list[DriftField]:
    children, parent = _explode(sessions, member_name)
    index_name = "segment_index" if level.table == "segments" else "metric_index"
    child_keys = keys.take(parent).plus(**{index_name: _positions(sessions, member_name)})
    return _add(tables, level, children, spec, frozenset(), child_keys)


def _attributes(parts: pa.StructArray, keys: _Keys) -> pa.Table:
    """Participant `attributes` (job results only, §5.1) as long rows: one per (participant, key)."""
    schema = DETAIL_SCHEMAS["participant_attributes"]
    attrs = member(parts, "attributes", pa.null())
    if pa.types.is_list(attrs.type):  # (name, value) pairs from the fallback path
        pairs = list_values(attrs)
        row, names, values = (
            pc.list_parent_indices(attrs),
            member(pairs, "name"),
            member(pairs, "value"),
        )
    elif pa.types.is_struct(attrs.type) and attrs.type.num_fields:
        row, names, values = _stacked(attrs)
    else:
        return schema.empty_table()
    level = Level("participant_attributes", "")
    level.columns = {"name": names, "value": values}
    return _table(level, keys.take(row))


def _stacked(attrs: pa.StructArray) -> tuple[pa.Array, pa.Array, pa.Array]:
    """All keys at once: children stacked key after key; the present cells, read participant by
    participant (a transposed validity matrix), keep payload order within each participant."""
    children = [_as_text(child) for child in attrs.flatten()]
    count, width = len(attrs), len(children)
    stacked = pa.concat_arrays(children)
    by_row = np.ascontiguousarray(_validity(stacked).reshape(width, count).T)
    row, key = np.divmod(np.flatnonzero(by_row), width)
    names = pa.array([f.name for f in attrs.type], pa.string()).take(key)
    cells = stacked.take(key * count + row)
    return pa.array(row.astype(np.int64)), names, cells


def _validity(values: pa.Array) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """One bool per element (unpacked from the validity bitmap: bit by bit conversion is slow)."""
    bitmap = values.buffers()[0]
    if bitmap is None:
        return np.ones(len(values), dtype=np.bool_)
    bits = np.unpackbits(np.frombuffer(bitmap, np.uint8), bitorder="little")
    return bits[values.offset : values.offset + len(values)].view(np.bool_)


def _as_text(values: pa.Array) -> pa.Array:
    """Attribute values are strings (§4.2); anything else is kept as its JSON text."""
    return values if pa.types.is_string(values.type) else to_json_text(values)


def _table(level: Level, keys: _Keys) -> pa.Table:
    schema = DETAIL_SCHEMAS[level.table]
    columns = {**keys.columns, **level.columns}
    length = len(keys.columns["conversation_id"])
    columns["partition_date"] = pc.cast(columns["conversation_start"], pa.date32())
    columns["extra"] = level.extra(length)
    return pa.Table.from_arrays([columns[f.name] for f in schema], schema=schema)
