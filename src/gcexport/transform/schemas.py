"""The data contract: one explicit Arrow schema per output table, and each table's partition column.

Conventions (every table): snake_case names; timestamps `timestamp[ms, UTC]`; durations int64 ms;
booleans bool; lists and nested objects that are not their own table as JSON text (so every
column is a scalar that CSV, JSONL and every warehouse accept); child tables carry their parent
keys and `conversation_start`; the last two columns are `partition_date` (date32) and `extra`
(JSON text of fields the schema does not know, reported as drift; unknown members of the flattened
`flow` appear there as `"flow.<name>"`). The detail tables also carry `fetch_seq` (int64): a
process-unique, increasing number per fetched copy of a conversation, shared by all its rows, so
`dedupe_conversations` can tell versions apart (it differs between runs; it is not a key).
`conversations.source` names where the record came from (the `source` argument)::

    TABLE_SCHEMAS["segments"].names[:5]
    # ['conversation_id', 'conversation_start', 'participant_id', 'session_id', 'segment_index']
"""

from __future__ import annotations

import pyarrow as pa

from gcexport.transform.columns import TIMESTAMP, spec_schema_fields
from gcexport.transform.spec import CONVERSATION, FLOW, METRIC, PARTICIPANT, SEGMENT, SESSION

TAIL = [pa.field("partition_date", pa.date32()), pa.field("extra", pa.string())]
CONVERSATION_KEYS = [
    pa.field("conversation_id", pa.string()),
    pa.field("conversation_start", TIMESTAMP),
]
PARTICIPANT_KEYS = [*CONVERSATION_KEYS, pa.field("participant_id", pa.string())]
SESSION_KEYS = [*PARTICIPANT_KEYS, pa.field("session_id", pa.string())]
FETCH_SEQ = pa.field("fetch_seq", pa.int64())

SKIP_CONVERSATION = frozenset({"conversationId", "conversationStart", "participants"})
SKIP_PARTICIPANT = frozenset({"participantId", "sessions", "attributes"})
SKIP_SESSION = frozenset({"sessionId", "flow", "metrics", "segments"})


def _schema(*parts: list[pa.Field]) -> pa.Schema:
    fields = [f for part in parts for f in part]
    return pa.schema([*fields, FETCH_SEQ, *TAIL])


DETAIL_SCHEMAS: dict[str, pa.Schema] = {
    "conversations": _schema(
        CONVERSATION_KEYS,
        spec_schema_fields(CONVERSATION, skip=SKIP_CONVERSATION),
        [pa.field("source", pa.string())],
    ),
    "participants": _schema(
        PARTICIPANT_KEYS, spec_schema_fields(PARTICIPANT, skip=SKIP_PARTICIPANT)
    ),
    "sessions": _schema(
        SESSION_KEYS,
        spec_schema_fields(SESSION, skip=SKIP_SESSION),
        spec_schema_fields(FLOW, prefix="flow_"),
    ),
    "segments": _schema(
        SESSION_KEYS, [pa.field("segment_index", pa.int64())], spec_schema_fields(SEGMENT)
    ),
    "session_metrics": _schema(
        SESSION_KEYS, [pa.field("metric_index", pa.int64())], spec_schema_fields(METRIC)
    ),
    "participant_attributes": _schema(
        PARTICIPANT_KEYS, [pa.field("name", pa.string()), pa.field("value", pa.string())]
    ),
}
