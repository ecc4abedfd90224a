"""Pages parse nothing up front: items on first use, a few top-level fields without the items."""

from __future__ import annotations

from typing import Any

import httpx
import pyarrow as pa
import pytest

from gcexport.errors import DataError

TOP = {"cursor": pa.string(), "dataAvailabilityDate": pa.string(), "totalHits": pa.int64()}
RESULTS = "/api/v2/analytics/conversations/details/jobs/j1/results"


def serve(body: bytes) -> Any:
    def api(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body, headers={"Content-Type": "application/json"})

    return api


@pytest.mark.parametrize(
    "body",
    [
        b'{"conversations":[{"conversationId":"a","x":[1,"mixed",{"y":null}]}],"cursor":"c2",'
        b'"dataAvailabilityDate":"2026-03-10T06:00:00Z","totalHits":7}',
        b'{\n  "totalHits": 7,\n  "cursor": "c2",\n  "conversations": [{"conversationId": "a"}],\n'
        b'  "dataAvailabilityDate": "2026-03-10T06:00:00Z"\n}\n',
    ],
    ids=["compact", "pretty"],
)
def test_top_level_fields_are_read_without_the_items(make_client: Any, body: bytes) -> None:
    client, _ = make_client(serve(body))
    page = client.request("GET", RESULTS, items_key="conversations")
    top = page.top_level(TOP)
    assert top == {"cursor": "c2", "dataAvailabilityDate": "2026-03-10T06:00:00Z", "totalHits": 7}
    assert "items" not in vars(page)  # not parsed into dicts
    assert [c["conversationId"] for c in page.items] == ["a"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            b'{"conversations":[],"totalHits":"7"}',
            {"cursor": None, "totalHits": "7"},
        ),  # another type
        (b'{"conversations":[]}', {"cursor": None, "totalHits": None}),  # absent
        (
            b'{"conversations":[],"cursor":{"a":[1,"b",null]},"totalHits":[2.5,true]}',
            {"cursor": {"a": [1, "b", None]}, "totalHits": [2.5, True]},
        ),  # nested values come back as plain Python
        (b'[{"cursor":"c"}]', {"cursor": None, "totalHits": None}),  # not an object
        (b"", {"cursor": None, "totalHits": None}),  # empty body
    ],
)
def test_top_level_falls_back_to_a_full_parse(make_client: Any, body: bytes, expected: Any) -> None:
    client, _ = make_client(serve(body))
    page = client.request("GET", RESULTS, items_key="conversations")
    assert page.top_level({"cursor": pa.string(), "totalHits": pa.int64()}) == expected


def test_a_body_that_is_not_json_is_a_data_error_when_read(make_client: Any) -> None:
    client, _ = make_client(serve(b'{"conversations": [ oops'))
    page = client.request("GET", RESULTS, items_key="conversations")
    assert page.raw == b'{"conversations": [ oops'
    with pytest.raises(DataError, match="answered with a body that is not JSON"):
        page.top_level(TOP)
    with pytest.raises(DataError, match="answered with a body that is not JSON"):
        _ = page.items


def test_a_body_without_the_list_is_a_data_error_when_read(make_client: Any) -> None:
    client, _ = make_client(serve(b'{"conversations": {"a": 1}}'))
    page = client.request("GET", RESULTS, items_key="conversations")
    with pytest.raises(DataError, match="without a list in 'conversations'"):
        _ = page.items
