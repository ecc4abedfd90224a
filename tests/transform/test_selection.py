"""Selecting a page's conversations from its Arrow tables: window, already seen, last copy, live."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import orjson
import pytest

from gcexport.errors import DataError
from gcexport.transform import flatten_conversation_pages
from gcexport.transform.selection import select_conversations

START = datetime(2026, 11, 20, tzinfo=timezone.utc)
END = datetime(2026, 11, 21, tzinfo=timezone.utc)


def conversation(
    cid: str, start: str, *, end: str | None = "2026-11-20T12:00:00Z", sessions: int = 1
) -> dict[str, Any]:
    found: dict[str, Any] = {"conversationId": cid, "conversationStart": start}
    if end is not None:
        found["conversationEnd"] = end
    found["participants"] = [
        {
            "participantId": f"{cid}-p",
            "purpose": "customer",
            "sessions": [
                {
                    "sessionId": f"{cid}-s{i}",
                    "mediaType": "voice",
                    "segments": [{"segmentType": "interact", "segmentStart": start}],
                }
                for i in range(sessions)
            ],
        }
    ]
    return found


def tables(*conversations: dict[str, Any]) -> Any:
    raw = orjson.dumps({"conversations": list(conversations)})
    return flatten_conversation_pages([raw], source="job").tables


def test_only_conversations_starting_in_the_window_are_kept() -> None:
    page = tables(
        conversation("before", "2026-11-19T23:59:59.999Z"),
        conversation("first", "2026-11-20T00:00:00Z"),
        conversation("last", "2026-11-20T23:59:59.999Z"),
        conversation("after", "2026-11-21T00:00:00Z"),
    )
    chosen = select_conversations(page, start=START, end=END, seen=set())
    assert chosen.tables["conversations"].column("conversation_id").to_pylist() == ["first", "last"]
    assert chosen.tables["sessions"].column("conversation_id").to_pylist() == ["first", "last"]
    assert (chosen.kept, chosen.in_window, chosen.live) == (2, 2, False)


def test_ids_seen_before_are_dropped_and_the_new_ones_remembered() -> None:
    seen = {"a"}
    page = tables(
        conversation("a", "2026-11-20T01:00:00Z"), conversation("b", "2026-11-20T02:00:00Z")
    )
    chosen = select_conversations(page, start=START, end=END, seen=seen)
    assert chosen.tables["conversations"].column("conversation_id").to_pylist() == ["b"]
    assert chosen.tables["segments"].column("conversation_id").to_pylist() == ["b"]
    assert seen == {"a", "b"} and (chosen.kept, chosen.in_window) == (1, 2)
    again = select_conversations(page, start=START, end=END, seen=seen)
    assert again.kept == 0 and again.tables["segments"].num_rows == 0


def test_the_last_copy_in_a_page_wins_with_its_own_children() -> None:
    live = conversation("a", "2026-11-20T01:00:00Z", end=None, sessions=1)
    ended = conversation("a", "2026-11-20T01:00:00Z", sessions=3)
    chosen = select_conversations(tables(live, ended), start=START, end=END, seen=set())
    assert chosen.tables["conversations"].num_rows == 1
    assert chosen.tables["sessions"].column("session_id").to_pylist() == ["a-s0", "a-s1", "a-s2"]
    assert (chosen.kept, chosen.in_window, chosen.live) == (1, 2, False)
    flipped = select_conversations(tables(ended, live), start=START, end=END, seen=set())
    assert flipped.tables["sessions"].num_rows == 1 and flipped.live


def test_a_conversation_without_an_end_makes_the_page_live() -> None:
    page = tables(conversation("a", "2026-11-20T01:00:00Z", end=None))
    assert select_conversations(page, start=START, end=END, seen=set()).live


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"conversationStart": "2026-11-20T01:00:00Z"}, "without a conversationId"),
        ({"conversationId": "x"}, "conversation x has no"),
    ],
)
def test_a_conversation_without_id_or_start_is_a_data_error(
    record: dict[str, Any], message: str
) -> None:
    with pytest.raises(DataError, match=message):
        select_conversations(tables(record), start=START, end=END, seen=set())


def test_canonical_uuids_are_remembered_as_numbers_and_other_ids_as_text() -> None:
    from gcexport.transform.selection import compact_id

    cid = "8e2a5c1f-3b4d-4e6f-9a0b-1c2d3e4f5a6b"
    assert compact_id(cid) == 0x8E2A5C1F3B4D4E6F9A0B1C2D3E4F5A6B
    # Only the canonical text maps to the number: other spellings stay distinct keys.
    assert compact_id(cid.upper()) == cid.upper()
    assert compact_id(cid.replace("-", "")) == cid.replace("-", "")
    assert compact_id("{" + cid[1:-1] + "}") == "{" + cid[1:-1] + "}"
    assert (
        compact_id("not-a-uuid-but-thirty-six-characters") == "not-a-uuid-but-thirty-six-characters"
    )
    assert len({compact_id(cid), compact_id(cid.upper())}) == 2
