"""Request models: validated before any request, camelCase on the wire, helpful suggestions."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gcexport.errors import QueryValidationError
from gcexport.models import (
    AggregateQuery,
    DetailsJobQuery,
    DetailsQuery,
    Filter,
    Interval,
    Paging,
    Predicate,
    ReportExportRequest,
    parse_duration,
    validate_dimension_names,
    validate_metric_names,
)
from gcexport.models.names import AGGREGATE_METRICS, SESSION_METRICS, VIEW_TYPES

T0 = datetime(2026, 3, 1, tzinfo=timezone.utc)
DAY = Interval.of(T0, T0 + timedelta(days=1))


def test_interval_wire_format_and_day_alignment() -> None:
    iv = Interval.of(T0 + timedelta(hours=5, milliseconds=7), T0 + timedelta(days=1, hours=1))
    assert iv.to_api() == "2026-03-01T05:00:00.007Z/2026-03-02T01:00:00.000Z"
    assert iv.day_aligned() == Interval.of(T0, T0 + timedelta(days=2))
    assert DAY.day_aligned() == DAY


@pytest.mark.parametrize(
    ("start", "end", "fragment"),
    [
        (T0, T0, "not after start"),
        (T0 + timedelta(hours=1), T0, "not after start"),
        (datetime(2026, 3, 1), datetime(2026, 3, 2), "timezone-aware"),
    ],
)
def test_bad_interval_shapes(start: datetime, end: datetime, fragment: str) -> None:
    with pytest.raises(QueryValidationError, match=fragment):
        Interval.of(start, end)


@given(
    st.datetimes(
        min_value=datetime(2020, 1, 1),
        max_value=datetime(2030, 1, 1),
        timezones=st.just(timezone.utc),
    ),
    st.integers(min_value=1, max_value=60 * 24 * 40),
    st.integers(min_value=60, max_value=60 * 24 * 8),
)
@settings(deadline=None, max_examples=50)
def test_split_tiles_without_gap_or_overlap(start: datetime, minutes: int, piece: int) -> None:
    iv = Interval.of(start, start + timedelta(minutes=minutes))
    parts = list(iv.split(timedelta(minutes=piece)))
    assert parts[0].start == iv.start and parts[-1].end == iv.end
    assert all(a.end == b.start for a, b in itertools.pairwise(parts))
    assert all(p.duration <= timedelta(minutes=piece) for p in parts)


def test_details_query_body_is_camel_case() -> None:
    body = DetailsQuery(
        interval=DAY,
        segment_filters=[Filter(type="or", predicates=[Predicate(dimension="purpose", value="customer")])],
        order="asc", order_by="conversationStart", paging=Paging(page_size=100, page_number=3),
    ).to_api()  # fmt: skip
    assert body == {
        "interval": "2026-03-01T00:00:00.000Z/2026-03-02T00:00:00.000Z",
        "segmentFilters": [
            {"type": "or", "predicates": [{"dimension": "purpose", "value": "customer"}]}
        ],
        "order": "asc",
        "orderBy": "conversationStart",
        "paging": {"pageSize": 100, "pageNumber": 3},
    }


@pytest.mark.parametrize(
    ("build", "fragment"),
    [
        (lambda: DetailsQuery(interval=Interval.of(T0, T0 + timedelta(days=8))), "7-day limit"),
        (lambda: DetailsQuery(interval=Interval.of(T0, T0 + timedelta(days=32)),
                              conversation_filters=[Filter(type="and", predicates=[
                                  Predicate(dimension="originatingDirection", value="inbound")])]),
         "31-day limit"),
        (lambda: Paging(page_size=101), "less than or equal to 100"),
        (lambda: Paging(page_size=100, page_number=1001), "100000"),
        (lambda: DetailsQuery(interval=DAY, segment_filters=[Filter(type="and", predicates=[
            Predicate(dimension="queueID", value="x")])]), "did you mean queueId"),
        (lambda: DetailsQuery(interval=DAY, conversation_filters=[Filter(type="and", predicates=[
            Predicate(metric="tHandel", range={"gt": 1})])]), "did you mean tHandle"),
        (lambda: DetailsJobQuery(interval=DAY, order="sideways"), "order"),
        (lambda: AggregateQuery(interval=DAY, metrics=["handledCount"]), "unknown aggregate metric"),
        (lambda: AggregateQuery(interval=DAY, metrics=["nOffered"], group_by=["queue"]), "did you mean queueId"),
        (lambda: AggregateQuery(interval=DAY, metrics=["nOffered"], granularity="30 minutes"), "ISO-8601"),
        (lambda: AggregateQuery(interval=DAY, metrics=["nOffered"], time_zone="Europe/Londn"), "IANA"),
        (lambda: AggregateQuery(interval=DAY, metrics=["nOffered"], filter=Filter(type="and", predicates=[
            Predicate(dimension="mediaTyp", value="voice")])), "did you mean mediaType"),
        (lambda: ReportExportRequest(name="x", view_type="QUEUE_PERFORMANCE_SUMMARY", interval=DAY),
         "QUEUE_PERFORMANCE_SUMMARY_VIEW"),
        (lambda: ReportExportRequest(name="x", view_type="QUEUE_PERFORMANCE_SUMMARY_VIEW", interval=DAY,
                                     period="1D"), "ISO-8601"),
        (lambda: Predicate(dimension="mediaType", metric="tHandle"), "exactly one"),
    ],
)  # fmt: skip
def test_invalid_requests_are_rejected_before_sending(build: Any, fragment: str) -> None:
    with pytest.raises(QueryValidationError) as caught:
        build()
    assert fragment in str(caught.value)


def test_valid_aggregate_and_export_bodies() -> None:
    agg = AggregateQuery(interval=DAY, metrics=["nOffered", "oServiceLevel"], granularity="PT30M",
                         time_zone="Europe/London", group_by=["queueId", "mediaType"])  # fmt: skip
    assert agg.to_api()["timeZone"] == "Europe/London" and agg.to_api()["groupBy"] == [
        "queueId",
        "mediaType",
    ]
    export = ReportExportRequest(
        name="q", view_type="AGENT_STATUS_DETAIL_VIEW", interval=DAY
    ).to_api()
    assert export["viewType"] == "AGENT_STATUS_DETAIL_VIEW" and export["exportFormat"] == "CSV"
    assert export["locale"] == "en-US" and export["filter"] == {}


def test_name_lists_match_reference_counts() -> None:
    assert len(SESSION_METRICS) == 88 and len(VIEW_TYPES) == 137
    assert {"tHandle", "nOffered", "oServiceLevel", "tWait"} <= AGGREGATE_METRICS
    assert validate_metric_names(["tTalk"]) == ["tTalk"]
    assert validate_dimension_names(["queueId", "userId"]) == ["queueId", "userId"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("PT30M", timedelta(minutes=30)), ("P1D", timedelta(days=1)), ("P1DT12H", timedelta(hours=36)),
     ("P1W", timedelta(weeks=1)), ("P1M", None), ("P1Y", None)],
)  # fmt: skip
def test_durations(text: str, expected: timedelta | None) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["P", "PT", "30M", "P1H", "PT0M", "P-1D"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(QueryValidationError):
        parse_duration(text)
