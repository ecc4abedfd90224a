"""The dims pack that names agent-time ids (DATASETS.md §3) → snapshot tables.

`presence_definitions.system_presence` is normalised to the analytics casing (`OnQueue`,
`On Queue` → `ON_QUEUE`) so it joins `user_presence.system_presence`; the definition's own
spelling stays in `definition_system_presence`. Unknown fields stay, as JSON, in `extra`::

    table = flatten_agent_lookup("teams", entities, as_of=date(2026, 3, 4))
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Any

import orjson
import pyarrow as pa

from gcexport.transform.schemas import TAIL

__all__ = ["AGENT_LOOKUP_SCHEMAS", "flatten_agent_lookup", "normalise_presence"]

_S, _I, _B = pa.string(), pa.int64(), pa.bool_()
Column = tuple[str, tuple[str, ...], pa.DataType]
_COLUMNS: dict[str, list[Column]] = {
    "presence_definitions": [
        ("id", ("id",), _S), ("name", ("name",), _S), ("type", ("type",), _S),
        ("definition_system_presence", ("systemPresence",), _S), ("division_id", ("divisionId",), _S),
        ("deactivated", ("deactivated",), _B),
    ],
    "queue_members": [
        ("queue_id", ("queueId",), _S), ("user_id", ("id",), _S), ("name", ("name",), _S),
        ("ring_number", ("ringNumber",), _I), ("joined", ("joined",), _B), ("member_by", ("memberBy",), _S),
    ],
    "skills": [
        ("id", ("id",), _S), ("name", ("name",), _S), ("division_id", ("division", "id"), _S),
        ("state", ("state",), _S), ("date_modified", ("dateModified",), _S),
    ],
    "divisions": [
        ("id", ("id",), _S), ("name", ("name",), _S), ("description", ("description",), _S),
        ("home_division", ("homeDivision",), _B),
    ],
    "teams": [
        ("id", ("id",), _S), ("name", ("name",), _S), ("division_id", ("division", "id"), _S),
        ("description", ("description",), _S), ("member_count", ("memberCount",), _I),
    ],
    "groups": [
        ("id", ("id",), _S), ("name", ("name",), _S), ("type", ("type",), _S), ("state", ("state",), _S),
        ("member_count", ("memberCount",), _I), ("visibility", ("visibility",), _S),
    ],
}  # fmt: skip
_EXTRA_COLUMNS = {"presence_definitions": [pa.field("system_presence", _S)]}
AGENT_LOOKUP_SCHEMAS: dict[str, pa.Schema] = {
    name: pa.schema([*(pa.field(c, t) for c, _, t in cols), *_EXTRA_COLUMNS.get(name, []), *TAIL])
    for name, cols in _COLUMNS.items()
}


def normalise_presence(value: str | None) -> str | None:
    """`OnQueue` / `On Queue` / `on_queue` → `ON_QUEUE`: the analytics spelling (DATASETS.md §1.5)."""
    if value is None:
        return None
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", "_", value.strip())
    return re.sub(r"[\s_]+", "_", spaced).upper()


def flatten_agent_lookup(
    name: str, entities: Sequence[dict[str, Any]], *, as_of: date | None = None
) -> pa.Table:
    """One dims table from its entities (queue members carry `queueId`, added by the caller)."""
    columns, schema = _COLUMNS[name], AGENT_LOOKUP_SCHEMAS[name]
    rows = []
    for entity in entities:
        rest = dict(entity)
        row: dict[str, Any] = {"partition_date": as_of}
        for column, path, kind in columns:
            value = _take(rest, path)
            row[column] = value if _fits(value, kind) else None
        if name == "presence_definitions":
            row["system_presence"] = normalise_presence(row["definition_system_presence"])
        rest.pop("selfUri", None)
        row["extra"] = orjson.dumps(rest, option=orjson.OPT_SORT_KEYS).decode() if rest else None
        rows.append(row)
    return pa.Table.from_pylist(rows, schema=schema)


def _take(entity: dict[str, Any], path: tuple[str, ...]) -> Any:
    if len(path) == 1:
        return entity.pop(path[0], None)
    inner = entity.get(path[0])
    return inner.get(path[1]) if isinstance(inner, dict) else None


def _fits(value: Any, kind: pa.DataType) -> bool:
    if value is None:
        return True
    if kind == pa.bool_():
        return isinstance(value, bool)
    if kind == pa.int64():
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, str)
