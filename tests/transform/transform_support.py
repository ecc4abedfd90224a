"""Helpers for the transform tests: the real captured payloads and a leaf-coverage checker."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime, timezone
from typing import Any

import orjson
import pyarrow as pa

from tests.conftest import SAMPLES

DETAIL_PAGES = [
    "details-job-results.page-with-cursor.xfaith4-fixture.json",
    "details-job-results.xfaith4-2024-04-05.subset.json",
    "details-query-response.developer-tools-2016.json",
    "details-query-response.page2.splunk-mock.json",
]
SINGLE_CONVERSATIONS = ["conversation.blueprint-1.json", "conversation.blueprint-2.json"]


def load_sample(name: str) -> Any:
    return json.loads((SAMPLES / name).read_text())


def sample_bytes(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def _stamp(text: str) -> int | None:
    try:
        stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))  # 3.10 reads no Z
    except ValueError:
        return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=timezone.utc)
    return int(stamp.timestamp() * 1000 // 1)


def normalise(value: Any) -> set[tuple[str, Any]]:
    """The ways a scalar can appear in an output cell (typed, as text, or inside JSON text)."""
    if isinstance(value, bool):
        return {("b", value)}
    if isinstance(value, (int, float)):
        return {("n", float(value))}
    if isinstance(value, datetime):
        return {("t", int(value.timestamp() * 1000 // 1))}
    if isinstance(value, date):
        return {("d", value)}
    out = {("s", value)}
    stamp = _stamp(value)
    if stamp is not None:
        out.add(("t", stamp))
    return out


def leaves(value: Any) -> Iterator[Any]:
    """Every scalar leaf (nulls excluded) of parsed JSON."""
    if isinstance(value, dict):
        for child in value.values():
            yield from leaves(child)
    elif isinstance(value, list):
        for child in value:
            yield from leaves(child)
    elif value is not None:
        yield value


def _json_or_none(text: str) -> Any:
    """JSON-text cells unpack; plain text that merely starts with a bracket does not."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return None


def cell_values(tables: dict[str, pa.Table]) -> set[tuple[str, Any]]:
    """Everything a reader of the output tables can see: every cell, and JSON text unpacked."""
    seen: set[tuple[str, Any]] = set()
    for table in tables.values():
        for column in table.columns:
            for cell in column.to_pylist():
                if cell is None:
                    continue
                seen |= normalise(cell)
                if isinstance(cell, str) and cell[:1] in ("{", "["):
                    for leaf in leaves(_json_or_none(cell)):
                        seen |= normalise(leaf)
    return seen


def missing_leaves(payload: Any, tables: dict[str, pa.Table]) -> list[Any]:
    """Scalar leaves of `payload` found in no output cell (the done-when: this is empty)."""
    seen = cell_values(tables)
    return [leaf for leaf in leaves(payload) if not normalise(leaf) & seen]
