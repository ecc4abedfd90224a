"""One timestamp parser, the same on Python 3.10 and 3.13: `Z`, offsets and fractions of any length."""

from __future__ import annotations

import sys
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from gcexport.timespan import parse_timestamp

UTC = timezone.utc  # datetime.UTC is Python 3.11+


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-01T10:00:00.000Z", datetime(2026, 3, 1, 10, tzinfo=UTC)),
        ("2026-03-01T10:00:00Z", datetime(2026, 3, 1, 10, tzinfo=UTC)),
        ("2026-03-01T10:00:00.5z", datetime(2026, 3, 1, 10, 0, 0, 500000, tzinfo=UTC)),
        ("2026-03-01T10:00:00.123456789Z", datetime(2026, 3, 1, 10, 0, 0, 123456, tzinfo=UTC)),
        ("2026-03-01T10:00:00+0530", datetime(2026, 3, 1, 10, tzinfo=timezone(timedelta(hours=5, minutes=30)))),
        ("2026-03-01T10:00-05:00", datetime(2026, 3, 1, 10, tzinfo=timezone(-timedelta(hours=5)))),
        ("2026-03-01T10:00:00+00", datetime(2026, 3, 1, 10, tzinfo=UTC)),
        ("2026-03-01 10:00", datetime(2026, 3, 1, 10)),
        ("2026-03-01", datetime(2026, 3, 1)),
        ("2028-02-29T23:59:59.999Z", datetime(2028, 2, 29, 23, 59, 59, 999000, tzinfo=UTC)),
    ],
)  # fmt: skip
def test_parses_every_form_the_api_and_users_write(text: str, expected: datetime) -> None:
    parsed = parse_timestamp(text)
    assert parsed == expected
    assert parsed.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize(
    ("text", "outcome"),
    [
        ("2027-02-29T00:00:00Z", pytest.raises(ValueError, match="day is out of range")),
        ("2026-13-01", pytest.raises(ValueError, match=r"month must be in 1\.\.12")),
        ("2021-04-2T15:30:51.418Z", pytest.raises(ValueError, match="is not an ISO-8601 timestamp")),
        ("2026-03-01T10:00:00+24:00", pytest.raises(ValueError, match="out of range")),
        ("yesterday", pytest.raises(ValueError, match="is not an ISO-8601 timestamp")),
        ("2026-03-01T10:00:00.000Z/2026-03-02T00:00:00.000Z", pytest.raises(ValueError)),
        (" 2026-03-01T10:00:00Z ", nullcontext()),
    ],
)  # fmt: skip
def test_rejects_what_is_not_a_timestamp(text: str, outcome: AbstractContextManager[Any]) -> None:
    with outcome:
        parse_timestamp(text)


def test_agrees_with_fromisoformat_where_this_python_accepts_the_text() -> None:
    samples = ["2026-03-01T10:00:00.000+00:00", "2026-11-01T01:30:00-04:00", "2026-03-01T10:00"]
    if sys.version_info >= (3, 11):
        samples += ["2026-03-01T10:00:00.000Z", "2026-03-01T10:00:00.5+05:30"]
    for text in samples:
        assert parse_timestamp(text) == datetime.fromisoformat(text), text
