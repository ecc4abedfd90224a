"""Resolving conversations fetched more than once (live, then ended) to their newest version."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

DETAIL_TABLES = (
    "conversations",
    "participants",
    "sessions",
    "segments",
    "session_metrics",
    "participant_attributes",
)


def dedupe_conversations(tables: dict[str, pa.Table]) -> dict[str, pa.Table]:
    """Keep one version per `conversation_id`; child rows follow the version kept.

    Newest wins: an ended conversation beats a live one (REFERENCE.md §3.4: live conversations
    are returned without `conversationEnd`), then the later `conversation_end`, then the later
    metric `emit_date` (metrics are emitted as activities end, §4.3), then the later fetch.
    Versions are told apart by `fetch_seq`, so identical re-fetches collapse too::

        merged = {name: pa.concat_tables([a.tables[name], b.tables[name]]) for name in a.tables}
        latest = dedupe_conversations(merged)
    """
    conversations = tables["conversations"]
    keep = _newest_versions(conversations, tables.get("session_metrics"))
    out = dict(tables)
    for name in DETAIL_TABLES:
        if name in tables:
            out[name] = tables[name].filter(pc.is_in(tables[name].column("fetch_seq"), keep))
    return out


def _newest_versions(conversations: pa.Table, metrics: pa.Table | None) -> pa.Array:
    """The `fetch_seq` of the newest version of each conversation."""
    ranked = conversations.select(["conversation_id", "conversation_end", "fetch_seq"])
    ranked = ranked.append_column("ended", pc.is_valid(ranked.column("conversation_end")))
    ranked = ranked.append_column("last_emit", _last_emit(ranked, metrics))
    order = ranked.sort_by(
        [
            ("conversation_id", "ascending"),
            ("ended", "descending"),
            ("conversation_end", "descending"),
            ("last_emit", "descending"),
            ("fetch_seq", "descending"),
        ]
    )
    # sort_by puts nulls last whatever the order, which is what "descending" wants here.
    ids = order.column("conversation_id").combine_chunks()
    first = pc.not_equal(ids.slice(1), ids.slice(0, len(ids) - 1)) if len(ids) else ids
    is_first = (
        pa.concat_arrays([pa.array([True]), pc.fill_null(first, True)]) if len(ids) else first
    )
    return order.column("fetch_seq").combine_chunks().filter(is_first)


def _last_emit(ranked: pa.Table, metrics: pa.Table | None) -> pa.ChunkedArray:
    stamp = pa.timestamp("ms", tz="UTC")
    if metrics is None or metrics.num_rows == 0:
        return pa.chunked_array([pa.nulls(ranked.num_rows, stamp)], stamp)
    last = metrics.group_by("fetch_seq").aggregate([("emit_date", "max")])
    where = pc.index_in(ranked.column("fetch_seq"), last.column("fetch_seq"))
    return pc.take(last.column("emit_date_max"), where)
