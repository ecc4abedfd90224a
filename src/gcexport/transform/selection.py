"""Which conversations of a flattened page a day keeps: starting in its window, not met before, last copy.

The details path works from the Arrow tables the transform built (every detail table carries
`conversation_id`, `conversation_start` and `fetch_seq`), so a page is parsed once, by Arrow::

    seen: set[str | int] = set()
    chosen = select_conversations(flat.tables, start=day_start, end=day_end, seen=seen)
    chosen.tables["segments"], chosen.in_window, chosen.live
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import pyarrow as pa
import pyarrow.compute as pc

from gcexport.errors import DataError
from gcexport.transform.columns import TIMESTAMP

__all__ = ["Selection", "compact_id", "select_conversations"]


@dataclass(frozen=True)
class Selection:
    """The rows of the kept conversations, and what the page said about the window."""

    tables: dict[str, pa.Table]
    kept: int  # conversations kept (new to the day, starting in the window)
    in_window: int  # conversations of the page starting in the window, repeats included
    live: bool  # a kept conversation has no conversationEnd yet (REFERENCE.md §3.4)


_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def compact_id(cid: str | None) -> str | int:
    """A canonical (lowercase, hyphenated) UUID as its 128-bit number, any other id as it is.

    A day remembers every conversation id it kept; as numbers they take about half the memory
    (44 instead of 85 bytes each), and the mapping is one-to-one: only the canonical text of a
    UUID becomes a number, so no two distinct ids share a key.
    """
    assert cid is not None  # checked by _inside
    if _CANONICAL_UUID.fullmatch(cid):
        return int(cid.replace("-", ""), 16)
    return cid


def select_conversations(
    tables: dict[str, pa.Table], *, start: datetime, end: datetime, seen: set[str | int]
) -> Selection:
    """Keep conversations starting in ``[start, end)`` whose id is not in `seen`; marks them seen
    (by `compact_id`).

    Jobs match overlapping lifetimes and pages may repeat a conversation (REFERENCE.md §5), so
    both filters are needed; within one page the last copy of an id wins. DataError for a
    conversation without an id or a start.
    """
    conversations = tables["conversations"]
    ids = conversations.column("conversation_id").to_pylist()
    inside = _inside(conversations, ids, start, end)
    latest: dict[str | int, int] = {}
    for row, (cid, ok) in enumerate(zip(ids, inside, strict=True)):
        key = compact_id(cid)
        if ok and key not in seen:
            latest[key] = row  # a later copy in the page replaces an earlier one
    seen.update(latest)
    rows = sorted(latest.values())
    kept = tables if len(rows) == len(ids) else _only_rows(tables, conversations, rows)
    ends = kept["conversations"].column("conversation_end")
    return Selection(kept, len(rows), sum(inside), live=ends.null_count > 0)


def _inside(
    conversations: pa.Table, ids: list[str | None], start: datetime, end: datetime
) -> list[bool]:
    if None in ids:
        raise DataError("a conversation without a conversationId reached the export")
    starts = conversations.column("conversation_start")
    if starts.null_count:
        row = starts.is_null().to_pylist().index(True)
        raise DataError(f"conversation {ids[row]} has no (readable) conversationStart")
    low, high = pa.scalar(start, TIMESTAMP), pa.scalar(end, TIMESTAMP)
    mask = pc.and_(pc.greater_equal(starts, low), pc.less(starts, high))
    return [bool(ok) for ok in mask.to_pylist()]


def _only_rows(
    tables: dict[str, pa.Table], conversations: pa.Table, rows: list[int]
) -> dict[str, pa.Table]:
    """Every table's rows of the conversation versions at `rows` (told apart by `fetch_seq`)."""
    seqs = conversations.column("fetch_seq").take(pa.array(rows, pa.int64()))
    return {
        name: table.filter(pc.is_in(table.column("fetch_seq"), value_set=seqs.combine_chunks()))
        for name, table in tables.items()
    }
