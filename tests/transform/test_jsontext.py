"""JSON text of nested values: exact text for each shortcut (always-present members, plain-string
lists, escapes) and the same values as orjson gives for random nested data."""

from __future__ import annotations

from typing import Any

import orjson
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from gcexport.transform.jsontext import to_json_text

ITEM = pa.struct([("id", pa.string()), ("n", pa.int64()), ("ok", pa.bool_())])


def test_objects_leave_out_absent_members_whichever_is_always_present() -> None:
    rows = [{"id": "a", "n": 1}, {"id": None, "n": 2, "ok": True}, None, {"n": 3, "ok": False}]
    assert to_json_text(pa.array(rows, ITEM)).to_pylist() == [
        '{"id":"a","n":1}',
        '{"n":2,"ok":true}',
        None,
        '{"n":3,"ok":false}',
    ]
    sometimes = [{"id": "a"}, {"ok": True}, {}]
    assert to_json_text(pa.array(sometimes, ITEM)).to_pylist() == [
        '{"id":"a"}',
        '{"ok":true}',
        "{}",
    ]


def test_lists_of_strings_with_empty_null_and_escaped_items() -> None:
    plain = pa.array([["a", "b"], ["c"]], pa.list_(pa.string()))
    assert to_json_text(plain).to_pylist() == ['["a","b"]', '["c"]']
    mixed = pa.array([["a"], [], None, ["x", None]], pa.list_(pa.string()))
    assert to_json_text(mixed).to_pylist() == ['["a"]', "[]", None, '["x",null]']
    escaped = pa.array([['say "hi"', "back\\slash", "tab\tnew\nline", "bell\x07"]])
    assert orjson.loads(to_json_text(escaped)[0].as_py()) == escaped[0].as_py()
    assert to_json_text(pa.array([["a", "b"], ["c"]]).slice(1)).to_pylist() == ['["c"]']
    sliced = pa.array([[1], [2, 3], None, []], pa.list_(pa.int64())).slice(1)
    assert to_json_text(sliced).to_pylist() == ["[2,3]", None, "[]"]


_RECORD = st.fixed_dictionaries(
    {}, optional={"id": st.one_of(st.none(), st.text(max_size=6)), "n": st.integers(0, 9)}
)


def _without_nulls(value: Any) -> Any:
    """The API omits absent members: the text has no `"k":null` inside objects."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.none(),
            st.fixed_dictionaries(
                {},
                optional={
                    "tags": st.one_of(
                        st.none(), st.lists(st.one_of(st.none(), st.text(max_size=4)))
                    ),
                    "items": st.lists(_RECORD, max_size=3),
                    "leaf": st.one_of(st.none(), st.text(max_size=6)),
                },
            ),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_text_parses_back_to_the_values(rows: list[dict[str, Any] | None]) -> None:
    kind = pa.struct(
        [
            ("tags", pa.list_(pa.string())),
            ("items", pa.list_(pa.struct([("id", pa.string()), ("n", pa.int64())]))),
            ("leaf", pa.string()),
        ]
    )
    values = pa.array(rows, kind)
    texts = to_json_text(values).to_pylist()
    expected = [None if row is None else _without_nulls(row) for row in values.to_pylist()]
    assert [None if t is None else orjson.loads(t) for t in texts] == expected
