"""Impossible shares flagged, agents told apart, low-volume points marked, media colours fixed."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from gcexport.kpi_report.charts import rates_chart, timeline, volume_chart
from gcexport.kpi_report.checks import impossible_shares
from gcexport.kpi_report.quality import Quality
from gcexport.kpi_report.quality_panel import render_quality
from gcexport.kpi_report.queries import BucketRow, user_labels
from gcexport.kpi_report.scope import QueryKinds, Scope

START = datetime(2026, 11, 20, tzinfo=UTC)


def _scope(hours: int) -> Scope:
    kinds = QueryKinds(queue="queue_hourly", granularity="PT1H")
    return Scope(start=START, end=START + timedelta(hours=hours), kinds=kinds)


def test_a_share_outside_0_1_is_flagged_with_its_worst_value_and_where() -> None:
    rows = [
        ("all media", {"service_level": 0.4, "hold_share": 0.2, "hold_ratio": 3.0, "x": 9.0}),
        ("voice", {"service_level": 0.5, "hold_share": 1.7, "hold_ratio": 2.0, "x": None}),
        ("Billing · email", {"service_level": None, "hold_share": -0.1, "hold_ratio": 0.1}),
    ]
    flags = impossible_shares(rows)
    assert [(f.kpi, f.count, f.checked, f.worst, f.where) for f in flags] == [
        ("hold_share", 2, 3, 1.7, "voice")
    ]  # hold_ratio is not declared a share; service_level stays within [0, 1]
    html = render_quality(Quality(available=False), flags)
    assert 'data-kpi-flag="hold_share"' in html
    assert "✗ hold_share is a share but lies outside [0, 1] in 2 of 3 values" in html
    assert "(e.g. voice: 1.7)" in html


def test_no_flag_says_every_share_is_within_range() -> None:
    flags = impossible_shares([("all media", {"abandon_rate": 0.1, "talk_share": 1.0})])
    assert flags == []
    assert "✓ every share" in render_quality(Quality(available=False), flags)


def test_non_finite_shares_are_impossible() -> None:
    flags = impossible_shares([("a", {"talk_share": float("inf")}), ("b", {"talk_share": 0.5})])
    assert [(f.kpi, f.count, f.where) for f in flags] == [("talk_share", 1, "a")]


def test_agents_sharing_a_name_get_their_email_or_an_id_suffix() -> None:
    labels = user_labels(
        {
            "u-1": ("Robin Nguyen", "robin.nguyen.001@example.com"),
            "u-2": ("Robin Nguyen", "robin.nguyen.042@example.com"),
            "u-3aaaaaa123456": ("Sam Smith", None),
            "u-4bbbbbb654321": ("sam smith", None),
            "u-5": ("Kai Rossi", "kai@example.com"),
        }
    )
    assert labels == {
        "u-1": "Robin Nguyen (robin.nguyen.001@example.com)",
        "u-2": "Robin Nguyen (robin.nguyen.042@example.com)",
        "u-3aaaaaa123456": "Sam Smith #123456",
        "u-4bbbbbb654321": "sam smith #654321",
        "u-5": "Kai Rossi",
    }


def _bucket(hour: int, media: str, offered: int, eligible: float) -> BucketRow:
    return BucketRow(START + timedelta(hours=hour), media, offered, 1, eligible / 2, eligible)


def test_low_volume_points_are_hollow_off_the_line_and_say_so() -> None:
    rows = [
        _bucket(0, "voice", 40, 30.0),
        _bucket(1, "voice", 2, 2.0),
        _bucket(2, "voice", 50, 40.0),
    ]
    svg = rates_chart(timeline(rows, _scope(3)), target=0.8, min_volume=10)
    low = re.findall(r'<circle class="mark low"[^>]*><title>([^<]*)</title>', svg)
    assert low == [
        "Fri 01:00 · Service level: 50% (low volume: 2 interactions)",
        "Fri 01:00 · Abandon rate: 50% (low volume: 2 interactions)",
    ]
    lines = re.findall(r'<path class="mark line" d="([^"]*)"', svg)
    assert len(lines) == 2 and all(d.count("M") == 2 and "L" not in d for d in lines)
    assert "fewer than 10 interactions" in svg
    everything = rates_chart(timeline(rows, _scope(3)), target=0.8, min_volume=0)
    assert "mark low" not in everything and "fewer than" not in everything


def test_every_mark_has_a_title() -> None:
    rows = [_bucket(h, m, 5 + h, 4.0) for h in range(3) for m in ("voice", "email")]
    line = timeline(rows, _scope(3))
    for svg in (volume_chart(line), rates_chart(line, target=None, min_volume=5)):
        marks = re.findall(r'<(?:rect|circle|path) class="mark[^"]*"[^>]*>(.{0,7})', svg)
        assert marks and all(m == "<title>" for m in marks)


def test_media_colours_are_fixed_whatever_the_volumes() -> None:
    def fills(voice: int, email: int) -> dict[str, str]:
        rows = [_bucket(0, "voice", voice, 1.0), _bucket(0, "email", email, 1.0)]
        svg = volume_chart(timeline(rows, _scope(1)))
        found = re.findall(r'fill="url\(#volume_by_hour-p(\d)\)"><title>[^·]*· (\w+):', svg)
        return {media: index for index, media in found}

    assert fills(voice=90, email=3) == fills(voice=3, email=90) == {"voice": "0", "email": "2"}
