"""One duration grammar (`timespan.duration_parts`) behind config's spans and the API's granularities."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gcexport import config, models
from gcexport.errors import ConfigError, QueryValidationError
from gcexport.timespan import duration_parts

_n = st.integers(min_value=0, max_value=400)


@settings(derandomize=True, max_examples=200)
@given(w=_n, d=_n, h=_n, m=_n, s=_n)
def test_config_and_api_read_every_exact_iso_duration_alike(
    w: int, d: int, h: int, m: int, s: int
) -> None:
    time = "".join(f"{v}{u}" for v, u in ((h, "H"), (m, "M"), (s, "S")) if v)
    text = (
        "P"
        + "".join(f"{v}{u}" for v, u in ((w, "W"), (d, "D")) if v)
        + (f"T{time}" if time else "")
    )
    expected = timedelta(weeks=w, days=d, hours=h, minutes=m, seconds=s)
    if text == "P":
        with pytest.raises(ConfigError):
            config.parse_duration(text)
        return
    assert duration_parts(text) == (0, expected)
    assert config.parse_duration(text) == expected
    if expected > timedelta(0):
        assert models.parse_duration(text) == expected


@pytest.mark.parametrize(
    ("text", "months", "span"),
    [("P1Y2M", 14, timedelta(0)), ("P1M", 1, timedelta(0)), ("P1MT1H", 1, timedelta(hours=1)),
     ("90s", 0, timedelta(seconds=90)), ("15m", 0, timedelta(minutes=15)), ("2d", 0, timedelta(days=2))],
)  # fmt: skip
def test_parts_split_calendar_months_from_the_exact_span(
    text: str, months: int, span: timedelta
) -> None:
    assert duration_parts(text) == (months, span)


@pytest.mark.parametrize("text", ["P", "PT", "P1DT", "6x", "", "1.5h", "P-1D", "PT1H30"])
def test_not_a_duration_is_one_sentence_in_both(text: str) -> None:
    with pytest.raises(ConfigError, match="is not a duration; use ISO-8601"):
        config.parse_duration(text)
    with pytest.raises(QueryValidationError, match="is not an ISO-8601 duration"):
        models.parse_duration(text)


def test_calendar_spans_are_granularities_but_not_config_durations() -> None:
    assert models.parse_duration("P1M") is None and models.parse_duration("P1Y") is None
    with pytest.raises(ConfigError, match=r"calendar duration .* use days like P30D"):
        config.parse_duration("P1M")


def test_short_forms_are_for_people_not_for_the_api() -> None:
    assert config.parse_duration(" 6h ") == timedelta(hours=6)
    with pytest.raises(QueryValidationError, match="'30m' is not an ISO-8601 duration"):
        models.parse_duration("30m")
    with pytest.raises(QueryValidationError, match="must be longer than zero"):
        models.parse_duration("PT0S")
