"""Nothing is dropped: every scalar leaf of a real payload or a generated one is in some output cell."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from transform_support import (
    DETAIL_PAGES,
    SINGLE_CONVERSATIONS,
    load_sample,
    missing_leaves,
    sample_bytes,
)

from gcexport.transform import flatten_conversation_pages, flatten_conversations
from gcexport.transform.spec import CONVERSATION, Kind, ListOf, Obj

CONVERSATION_PAGE_KEYS = {"cursor", "totalHits", "dataAvailabilityDate"}


@pytest.mark.parametrize("name", DETAIL_PAGES)
def test_every_leaf_of_a_real_page_lands_in_a_cell(name: str) -> None:
    page = load_sample(name)
    result = flatten_conversation_pages([sample_bytes(name)], source=name)
    assert result.tables["conversations"].num_rows == len(page["conversations"])
    assert missing_leaves(page["conversations"], result.tables) == []


@pytest.mark.parametrize("name", SINGLE_CONVERSATIONS)
def test_every_leaf_of_a_single_conversation_lands_in_a_cell(name: str) -> None:
    conversation = load_sample(name)
    result = flatten_conversations([conversation], source=name)
    assert missing_leaves(conversation, result.tables) == []


def test_the_checker_itself_notices_a_lost_leaf() -> None:
    page = load_sample(DETAIL_PAGES[0])
    result = flatten_conversations(page["conversations"], source="t")
    tables = dict(result.tables)
    tables["segments"] = tables["segments"].drop_columns(["wrap_up_code"])
    assert missing_leaves(page["conversations"], tables) != []


# --- generated conversations ------------------------------------------------------------

_NAMES = st.text(alphabet="abcdefghijklmnopqrstuvwxyzXYZ", min_size=1, max_size=8)
_TEXT = st.text(max_size=12)
_STAMPS = st.datetimes(
    min_value=__import__("datetime").datetime(2020, 1, 1),
    max_value=__import__("datetime").datetime(2030, 1, 1),
).map(lambda d: d.isoformat(timespec="milliseconds") + "Z")
_SCALARS: dict[str, st.SearchStrategy[Any]] = {
    "s": _TEXT,
    "i": st.integers(-(2**53), 2**53),
    "f": st.floats(allow_nan=False, allow_infinity=False, width=64),
    "b": st.booleans(),
    "t": _STAMPS,
}
_ANY_SCALAR = st.one_of(_TEXT, st.integers(-1000, 1000), st.booleans(), st.floats(-1e6, 1e6))
_STRUCTURAL = {"participants", "sessions", "segments", "metrics"}


def _strategy(kind: Kind, depth: int) -> st.SearchStrategy[Any]:
    if isinstance(kind, str):
        return _SCALARS[kind]
    if isinstance(kind, ListOf):
        return st.lists(_strategy(kind.item, depth + 1), max_size=2 if depth < 3 else 1)
    return _object(kind, depth)


def _object(spec: Obj, depth: int) -> st.SearchStrategy[dict[str, Any]]:
    optional = {name: _strategy(kind, depth) for name, kind in spec.fields}
    known = st.fixed_dictionaries({}, optional=optional)
    unknown = st.dictionaries(
        _NAMES.filter(lambda n: n not in spec.names()), _ANY_SCALAR, max_size=1
    )
    return st.tuples(known, unknown).map(lambda pair: {**pair[1], **pair[0]})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_object(CONVERSATION, 0), min_size=1, max_size=3))
def test_every_leaf_of_a_generated_conversation_lands_in_a_cell(
    conversations: list[dict[str, Any]],
) -> None:
    result = flatten_conversations(conversations, source="hypothesis")
    assert result.tables["conversations"].num_rows == len(conversations)
    assert missing_leaves(conversations, result.tables) == []


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_object(CONVERSATION, 0), min_size=1, max_size=3))
def test_pages_and_dicts_give_the_same_rows(conversations: list[dict[str, Any]]) -> None:
    by_page = flatten_conversation_pages(
        [orjson.dumps({"conversations": conversations})], source="x"
    )
    by_dict = flatten_conversations(conversations, source="x")
    for name, table in by_page.tables.items():
        assert table.drop_columns(["fetch_seq"]).equals(
            by_dict.tables[name].drop_columns(["fetch_seq"])
        )
