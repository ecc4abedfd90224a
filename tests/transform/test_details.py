"""Conversation details → the six detail tables: keys, order, types, attributes, drift, errors."""

from __future__ import annotations

import copy
from datetime import date, datetime, timezone
from typing import Any

import orjson
import pyarrow as pa
import pytest
from transform_support import load_sample, sample_bytes

from gcexport.errors import DataError
from gcexport.transform import TABLE_SCHEMAS, flatten_conversation_pages, flatten_conversations

DETAIL_TABLES = [
    "conversations",
    "participants",
    "sessions",
    "segments",
    "session_metrics",
    "participant_attributes",
]


def _count(page: dict[str, Any], path: str) -> int:
    level: list[Any] = page["conversations"]
    for name in path.split("."):
        level = [child for item in level for child in item.get(name, [])]
    return len(level)


def test_every_table_has_its_contract_schema(job_page: dict[str, Any]) -> None:
    result = flatten_conversations(job_page["conversations"], source="job")
    assert sorted(result.tables) == sorted(DETAIL_TABLES)
    for name, table in result.tables.items():
        assert table.schema.equals(TABLE_SCHEMAS[name]), name
        assert table.schema.names[-2:] == ["partition_date", "extra"]


def test_row_counts_follow_the_record_tree(job_page: dict[str, Any]) -> None:
    tables = flatten_conversations(job_page["conversations"], source="job").tables
    assert tables["conversations"].num_rows == 10
    assert tables["participants"].num_rows == _count(job_page, "participants")
    assert tables["sessions"].num_rows == _count(job_page, "participants.sessions")
    assert tables["segments"].num_rows == _count(job_page, "participants.sessions.segments")
    assert tables["session_metrics"].num_rows == _count(job_page, "participants.sessions.metrics")
    attributes = sum(
        len(p.get("attributes", {})) for c in job_page["conversations"] for p in c["participants"]
    )
    assert tables["participant_attributes"].num_rows == attributes


def test_children_carry_their_parents_keys(job_page: dict[str, Any]) -> None:
    tables = flatten_conversations(job_page["conversations"], source="job").tables
    expected = [
        (c["conversationId"], p["participantId"], s["sessionId"], i, g["segmentType"])
        for c in job_page["conversations"]
        for p in c["participants"]
        for s in p["sessions"]
        for i, g in enumerate(s["segments"])
    ]
    segments = tables["segments"].select(
        ["conversation_id", "participant_id", "session_id", "segment_index", "segment_type"]
    )
    assert [tuple(row.values()) for row in segments.to_pylist()] == expected
    starts = dict(
        zip(
            *tables["conversations"]
            .select(["conversation_id", "conversation_start"])
            .to_pydict()
            .values(),
            strict=True,
        )
    )
    for row in (
        tables["session_metrics"].select(["conversation_id", "conversation_start"]).to_pylist()
    ):
        assert row["conversation_start"] == starts[row["conversation_id"]]


def test_values_are_typed() -> None:
    page = load_sample("details-query-response.page2.splunk-mock.json")
    tables = flatten_conversation_pages(
        [sample_bytes("details-query-response.page2.splunk-mock.json")], source="q"
    ).tables
    first = tables["conversations"].to_pylist()[0]
    source = page["conversations"][0]
    assert first["conversation_start"] == datetime.fromisoformat(
        source["conversationStart"].replace("Z", "+00:00")
    )
    assert first["conversation_start"].tzinfo is not None
    assert first["partition_date"] == date.fromisoformat(source["conversationStart"][:10])
    assert orjson.loads(first["division_ids"]) == source["divisionIds"]
    assert first["media_stats_min_conversation_mos"] == source["mediaStatsMinConversationMos"]
    metric = tables["session_metrics"].to_pylist()[0]
    assert isinstance(metric["value"], int) and metric["name"] == "nConnected"
    agent = next(s for s in tables["sessions"].to_pylist() if s["acw_skipped"] is not None)
    assert agent["acw_skipped"] is True
    assert tables["segments"].schema.field("conference").type == pa.bool_()


def test_ivr_flow_is_flattened_into_session_columns() -> None:
    tables = flatten_conversation_pages(
        [sample_bytes("details-query-response.page2.splunk-mock.json")], source="q"
    ).tables
    ivr = next(s for s in tables["sessions"].to_pylist() if s["flow_id"] is not None)
    assert ivr["flow_type"] == "INBOUNDCALL"
    assert ivr["flow_exit_reason"] == "TRANSFER"
    assert ivr["flow_transfer_type"] == "ACD"


def test_participant_attributes_are_long_rows_with_exact_keys(job_page: dict[str, Any]) -> None:
    conversation = job_page["conversations"][0]
    participant = next(p for p in conversation["participants"] if p.get("attributes"))
    tables = flatten_conversations([conversation], source="job").tables
    rows = [
        r
        for r in tables["participant_attributes"].to_pylist()
        if r["participant_id"] == participant["participantId"]
    ]
    assert {r["name"]: r["value"] for r in rows} == participant["attributes"]
    assert rows[0]["conversation_id"] == conversation["conversationId"]


def test_unknown_fields_land_in_extra_and_are_reported_as_drift(job_page: dict[str, Any]) -> None:
    conversation = copy.deepcopy(job_page["conversations"][0])
    conversation["brandNewField"] = "hello"
    session = conversation["participants"][0]["sessions"][0]
    session["segments"][0]["segmentColour"] = 7
    session["flow"] = {"flowId": "f1", "flowShape": "round"}
    session.setdefault("mediaEndpointStats", []).append({"minMos": 4.1, "jitterMs": 3})
    result = flatten_conversations([conversation], source="job")
    paths = {(d.table, d.field_path) for d in result.drift}
    assert ("conversations", "brandNewField") in paths
    assert ("segments", "segments.segmentColour") in paths
    assert ("sessions", "sessions.flow.flowShape") in paths
    assert ("sessions", "sessions.mediaEndpointStats[].jitterMs") in paths
    assert orjson.loads(result.tables["conversations"].column("extra")[0].as_py()) == {
        "brandNewField": "hello"
    }
    assert orjson.loads(result.tables["segments"].column("extra")[0].as_py()) == {
        "segmentColour": 7
    }
    session_row = result.tables["sessions"].to_pylist()[0]
    assert orjson.loads(session_row["extra"]) == {"flow.flowShape": "round"}
    assert {"minMos": 4.1, "jitterMs": 3} in orjson.loads(session_row["media_endpoint_stats"])


def test_a_known_field_of_the_wrong_type_is_kept_in_extra(job_page: dict[str, Any]) -> None:
    conversations = copy.deepcopy(job_page["conversations"][:2])
    conversations[0]["participants"][0]["sessions"][0]["recording"] = "yes"
    conversations[1]["odd"] = 1
    conversations[0]["odd"] = "one"
    result = flatten_conversations(conversations, source="job")
    sessions = result.tables["sessions"].to_pylist()
    assert sessions[0]["recording"] is None
    assert orjson.loads(sessions[0]["extra"]) == {"recording": "yes"}
    extras = [orjson.loads(e) for e in result.tables["conversations"].column("extra").to_pylist()]
    assert extras == [{"odd": "one"}, {"odd": 1}]
    assert result.tables["segments"].num_rows == sum(
        len(s["segments"]) for c in conversations for p in c["participants"] for s in p["sessions"]
    )


def test_a_malformed_timestamp_is_null_and_kept_verbatim() -> None:
    conversation = load_sample("conversation.blueprint-2.json")
    result = flatten_conversations([conversation], source="blueprint")
    bad = [r for r in result.tables["segments"].to_pylist() if r["segment_start"] is None]
    assert bad and orjson.loads(bad[0]["extra"])["segmentStart"] == "2021-04-2T15:30:51.418Z"
    assert any(d.field_path == "segments.segmentStart" for d in result.drift)


def test_a_live_conversation_has_no_end() -> None:
    conversation = load_sample("conversation.blueprint-2.json")
    row = flatten_conversations([conversation], source="b").tables["conversations"].to_pylist()[0]
    assert row["conversation_end"] is None
    assert row["conversation_start"] == datetime(
        2021, 4, 2, 15, 30, 51, 418000, tzinfo=timezone.utc
    )


def test_pretty_printed_and_compact_pages_agree() -> None:
    raw = sample_bytes("details-job-results.page-with-cursor.xfaith4-fixture.json")
    pretty = flatten_conversation_pages([raw], source="p").tables
    compact = flatten_conversation_pages([orjson.dumps(orjson.loads(raw))], source="p").tables
    for name in DETAIL_TABLES:
        assert (
            pretty[name]
            .drop_columns(["fetch_seq"])
            .equals(compact[name].drop_columns(["fetch_seq"]))
        )


def test_several_pages_at_once_and_empty_pages() -> None:
    raw = sample_bytes("details-query-response.page2.splunk-mock.json")
    result = flatten_conversation_pages(
        [raw, b'{"totalHits":0}', raw, b'{"conversations":[]}'], source="q"
    )
    assert result.tables["conversations"].num_rows == 28
    for pages in ([b'{"totalHits":0}'], [], [b""]):
        empty = flatten_conversation_pages(pages, source="q")
        assert all(t.num_rows == 0 for t in empty.tables.values())
        assert empty.tables["segments"].schema.equals(TABLE_SCHEMAS["segments"])


def test_a_page_that_is_not_json_is_a_data_error() -> None:
    with pytest.raises(DataError, match="not valid JSON"):
        flatten_conversation_pages([b'{"conversations": [\n{"conversationId": '], source="job 7")


def test_date_like_text_is_kept_verbatim_not_retyped(job_page: dict[str, Any]) -> None:
    conversation = copy.deepcopy(job_page["conversations"][0])
    participant = next(p for p in conversation["participants"] if p.get("attributes"))
    participant["attributes"] = {"Birthday": "2024-04-05", "When": "2024-04-29 04:10:03", "x": "y"}
    conversation["newDate"] = "2024-04-05"
    conversation["conversationStart"] = "2024-04-05T10:00:00Z"  # no milliseconds
    result = flatten_conversations([conversation], source="x")
    rows = result.tables["participant_attributes"].to_pylist()
    assert [(r["name"], r["value"]) for r in rows] == list(participant["attributes"].items())
    row = result.tables["conversations"].to_pylist()[0]
    assert orjson.loads(row["extra"]) == {"newDate": "2024-04-05"}
    assert row["conversation_start"] == datetime(2024, 4, 5, 10, tzinfo=timezone.utc)


def test_absent_levels_give_empty_tables() -> None:
    result = flatten_conversations(
        [{"conversationId": "c1"}, {"conversationId": "c2", "participants": []}], source="x"
    )
    assert result.tables["conversations"].column("conversation_id").to_pylist() == ["c1", "c2"]
    assert all(result.tables[name].num_rows == 0 for name in DETAIL_TABLES[1:])
    assert result.tables["sessions"].schema.equals(TABLE_SCHEMAS["sessions"])
