"""Chart primitives: ticks cover the data, zero values draw nothing, text is escaped, series look different."""

from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gcexport.kpi_report import formats
from gcexport.kpi_report.svg import (
    PALETTE,
    Frame,
    Series,
    bars,
    line_chart,
    nice_ticks,
    stacked_columns,
)


@given(st.floats(min_value=1e-3, max_value=1e9, allow_nan=False))
def test_ticks_start_at_zero_cover_the_top_and_step_evenly(top: float) -> None:
    ticks = nice_ticks(top)
    assert ticks[0] == 0 and ticks[-1] >= top
    steps = {round(b - a, 9) for a, b in itertools.pairwise(ticks)}
    assert len(steps) == 1 and 2 <= len(ticks) <= 12


def test_stacked_columns_skip_zero_segments_and_escape_labels() -> None:
    svg = stacked_columns(
        Frame("volume_by_hour", "Hour starting (UTC)", "Interactions offered per hour"),
        ["<b>00:00</b>", "01:00"],
        [Series("voice", [3, 0]), Series("chat & co", [1, 2])],
    )
    assert svg.count('class="mark"') == 3
    assert "<b>" not in svg and "&lt;b&gt;00:00&lt;/b&gt; · voice: 3" in svg
    assert "chat &amp; co" in svg
    assert 'data-chart="volume_by_hour"' in svg and ">Interactions offered per hour<" in svg


def test_lines_leave_gaps_and_differ_by_dash_and_marker() -> None:
    svg = line_chart(
        Frame("rates", "Hour", "Percent (%)"),
        ["a", "b", "c"],
        [Series("Service level", [50, None, 70]), Series("Abandon rate", [10, 20, 30])],
        top=100,
        reference=("Target 80%", 80),
    )
    assert svg.count('<circle class="mark"') == 2  # None leaves a gap: no point for "b"
    first = re.search(r'class="mark line" d="([^"]*)"', svg)
    assert first is not None and first.group(1).count("M") == 2  # and breaks the line there
    dashes = re.findall(r'class="mark line"[^>]*stroke-dasharray="([^"]*)"', svg)
    assert dashes == ["", "7 4"]
    assert ">Target 80%<" in svg


def test_stacked_bars_use_distinct_patterns() -> None:
    svg = bars(
        Frame("handle", "Seconds (s)", "Queue"),
        ["Billing"],
        [Series("Talk", [300]), Series("Hold", [30]), Series("After-call work", [40])],
        fmt=formats.seconds,
    )
    fills = re.findall(r'class="mark"[^>]*fill="url\(#handle-p(\d)\)"', svg)
    assert fills == ["0", "1", "2"]
    assert ">370 s<" in svg  # the total is written at the end of the bar


def test_palette_lightness_is_distinct_for_greyscale() -> None:
    def lightness(hex_colour: str) -> float:
        r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    first = sorted(lightness(colour) for colour, _ in PALETTE[:5])
    assert min(b - a for a, b in itertools.pairwise(first)) > 15


@pytest.mark.parametrize(
    ("value", "text"),
    [(None, "–"), (0, "0 s"), (59_499, "59 s"), (60_000, "1 min 0 s"), (380_400, "6 min 20 s")],
)
def test_durations(value: float | None, text: str) -> None:
    assert formats.duration_ms(value) == text


def test_counts_and_percentages() -> None:
    assert (formats.count(1891), formats.percent(0.12641), formats.percent(None)) == (
        "1,891",
        "12.6%",
        "–",
    )
