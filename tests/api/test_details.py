"""Details query against the emulator: exact rows for [start, end), under faults, and past the paging cap."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import orjson

from gcexport.api import details
from gcexport.models import Filter, Predicate, parse_instant

START = datetime(2026, 3, 5, 6, 30, tzinfo=timezone.utc)
END = datetime(2026, 3, 7, 18, tzinfo=timezone.utc)


def ids(rows: list[dict[str, Any]]) -> list[str]:
    return sorted(str(row["conversationId"]) for row in rows)


def export(
    org: Any, start: datetime = START, end: datetime = END, **kwargs: Any
) -> list[dict[str, Any]]:
    return [
        row
        for page in details.iter_query_pages(org.client, start, end, **kwargs)
        for row in page.items
    ]


def test_rows_are_exactly_the_window(make_org: Any) -> None:
    org = make_org()
    rows = export(org)
    truth = org.emulator.truth.conversations(START, END)
    assert len(truth) > 300
    assert ids(rows) == ids(truth)
    assert len(rows) == len(set(ids(rows)))
    assert all(START <= parse_instant(row["conversationStart"]) < END for row in rows)
    queries = [r for r in org.api_records() if r.endpoint == details.DETAILS_QUERY_PATH]
    assert all(r.status == 200 for r in queries)


def test_faults_change_nothing_and_429s_wait_retry_after(make_org: Any) -> None:
    calm = export(make_org(), page_size=20)
    stormy = make_org(faults="429=0.1,5xx=0.05,drop=0.05")
    rows = export(stormy, page_size=20)
    assert rows == calm
    statuses = [r.status for r in stormy.api_records()]
    assert statuses.count(429) >= 1 and None in statuses
    waits = stormy.waits_after_429()
    assert waits and all(asked == waited for asked, waited in waits)


def test_filters_are_sent_and_rows_still_windowed(make_org: Any) -> None:
    org = make_org()
    voice = Filter(type="and", predicates=[Predicate(dimension="mediaType", value="voice")])
    rows = export(org, segment_filters=[voice])
    truth = [
        c for c in org.emulator.truth.conversations(START, END)
        if any(s.get("mediaType") == "voice" for p in c["participants"] for s in p.get("sessions", []))
    ]  # fmt: skip
    assert ids(rows) == ids(truth)


def test_slice_over_the_paging_cap_is_split_and_complete(make_org: Any) -> None:
    """A day holding more than the cap is partitioned and read from both ends, each row once.

    The emulator's own cap is 100,000; the client's cap is lowered to 180 here so a small day
    exercises the same splitting path (REFERENCE.md §3.3).
    """
    org = make_org(conversations_per_day=400)
    day_start = datetime(2026, 3, 6, tzinfo=timezone.utc)
    day_end = datetime(2026, 3, 7, tzinfo=timezone.utc)
    rows = export(org, day_start, day_end, max_results=180, page_size=20)
    truth = org.emulator.truth.conversations(day_start, day_end)
    assert len(truth) > 2 * 180  # too many for both ends alone: partitioned first
    assert ids(rows) == ids(truth)
    assert len(rows) == len(set(ids(rows)))
    queries = [orjson.loads(body) for body in org.tap.bodies if body.startswith(b'{"interval"')]
    assert {q["order"] for q in queries} == {"asc", "desc"}
    partitions = [
        q["conversationFilters"][0]["predicates"][0] for q in queries if "conversationFilters" in q
    ]
    assert {p["dimension"] for p in partitions} == {"originatingDirection"}
    assert {p.get("value", p.get("operator")) for p in partitions} == {
        "inbound",
        "outbound",
        "notExists",
    }


def test_an_under_estimated_total_hits_does_not_stop_paging_early(make_org: Any) -> None:
    # 1010 conversations reported as 1000 ("approximate-total-hits"): 10 full pages by totalHits,
    # an 11th by the rows; the slice also ends 1 ms before midnight
    org = make_org(
        conversations_per_day=1010, weekly_curve=False, modes=("approximate-total-hits",)
    )
    day = (datetime(2026, 3, 5, tzinfo=timezone.utc), datetime(2026, 3, 6, tzinfo=timezone.utc))
    truth = org.emulator.truth.conversations(*day)
    assert len(truth) == 1010
    rows = export(org, *day, page_size=100)
    assert ids(rows) == ids(truth)
    bodies = [orjson.loads(b) for b in org.tap.bodies if b.startswith(b'{"interval"')]
    assert {b["interval"] for b in bodies} == {"2026-03-05T00:00:00.000Z/2026-03-05T23:59:59.999Z"}
    assert [b["paging"]["pageNumber"] for b in bodies] == list(range(1, 12))
