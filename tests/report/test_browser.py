"""The report of the demo data, rendered in a real headless Chromium: charts drawn, numbers right, offline."""

from __future__ import annotations

import re
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gcexport.kpi_report import ReportResult, build_report

Demo = Any  # the `demo` fixture of conftest.py: out, warehouse_url, kpis, sql(query)

CHARTS = {"volume_by_hour", "service_level_by_interval", "handle_time_by_queue", "top_wrapup_codes"}
Q = "from conversation_aggregates where query_name = 'queue_hourly' and kind = 'metric'"


def pick(stat: str, metric: str) -> str:
    return f"sum(\"{stat}\") filter (where metric = '{metric}')"


@pytest.fixture(scope="module")
def report(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> ReportResult:
    out = tmp_path_factory.mktemp("report") / "report.html"
    return build_report(
        demo.warehouse_url, start=None, end=None, queues=[], out=out, custom_kpis=demo.kpis
    )


@pytest.fixture(scope="module")
def page(report: ReportResult, open_report: Callable[[Path], Any]) -> tuple[Any, list[str]]:
    opened = open_report(report.path)
    return opened.tab, opened.attempted


def test_every_chart_draws_marks_with_area(page: tuple[Any, list[str]]) -> None:
    tab, _ = page
    charts = tab.evaluate(
        """() => Array.from(document.querySelectorAll('svg.chart')).map(svg => ({
            id: svg.dataset.chart,
            size: [svg.getBoundingClientRect().width, svg.getBoundingClientRect().height],
            boxes: Array.from(svg.querySelectorAll('.mark')).map(m => {
                const r = m.getBoundingClientRect(); return [r.width, r.height]; })
        }))"""
    )
    assert {c["id"] for c in charts} == CHARTS
    for chart in charts:
        assert chart["size"][0] > 600 and chart["size"][1] > 100, chart["id"]
        assert len(chart["boxes"]) > 0, chart["id"]
        assert all(w > 0 and h > 0 for w, h in chart["boxes"]), chart["id"]


def test_volume_chart_has_one_segment_per_busy_hour_and_media(
    page: tuple[Any, list[str]], demo: Demo
) -> None:
    tab, _ = page
    (expected,) = demo.sql(
        f"select count(*) from (select interval_start, media_type {Q} and metric = 'nOffered' "
        "group by all having sum(count) > 0)"
    )[0]
    marks = tab.locator('svg[data-chart="volume_by_hour"] .mark').count()
    assert marks == expected > 24


def test_wrapup_and_handle_charts_match_the_warehouse(
    page: tuple[Any, list[str]], demo: Demo
) -> None:
    tab, _ = page
    top = demo.sql(
        "select w.name, sum(a.count) n from conversation_aggregates a join wrapup_codes w "
        "on w.id = a.wrap_up_code where a.query_name = 'wrapup_daily' and a.metric = 'tHandle' "
        "group by w.name order by n desc, w.name limit 10"
    )
    tips = tab.locator('svg[data-chart="top_wrapup_codes"] .mark title').all_text_contents()
    assert len(tips) == len(top) == 10
    assert tips[0] == f"{top[0][0]} · Handled interactions: {top[0][1]:,}"
    segments = demo.sql(
        f"select count(*) filter (where t > 0) + count(*) filter (where h > 0) "
        f"+ count(*) filter (where a > 0) from (select queue_id, {pick('sum', 'tTalk')} t, "
        f"{pick('sum', 'tHeld')} h, {pick('sum', 'tAcw')} a {Q} group by queue_id "
        f"having {pick('count', 'tHandle')} > 0)"
    )[0][0]
    assert tab.locator('svg[data-chart="handle_time_by_queue"] .mark').count() == segments


def _expected_headline(demo: Demo) -> dict[str, float]:
    names = ["offered", "answered", "abandoned", "sl_num", "sl_den", "asa", "aht"]
    names += ["talk", "hold", "acw", "handle"]
    row = demo.sql(
        f"select {pick('count', 'nOffered')}, {pick('count', 'tAnswered')}, "
        f"{pick('count', 'tAbandon')}, {pick('numerator', 'oServiceLevel')}, "
        f"{pick('denominator', 'oServiceLevel')}, "
        f"{pick('sum', 'tAnswered')} / {pick('count', 'tAnswered')}, "
        f"{pick('sum', 'tHandle')} / {pick('count', 'tHandle')}, "
        f"{pick('sum', 'tTalk')}, {pick('sum', 'tHeld')}, {pick('sum', 'tAcw')}, "
        f"{pick('sum', 'tHandle')} {Q}"
    )[0]
    v = {name: float(value) for name, value in zip(names, row, strict=True)}  # type: ignore[arg-type]
    return {
        "offered": v["offered"],
        "answered": v["answered"],
        "abandon_rate": v["abandoned"] / v["offered"],
        "service_level": v["sl_num"] / v["sl_den"],
        "avg_speed_of_answer_ms": v["asa"],
        "avg_handle_ms": v["aht"],
        "talk_share": v["talk"] / v["handle"],
        "hold_share": v["hold"] / v["handle"],
        "acw_share": v["acw"] / v["handle"],
    }


def _shown(key: str, value: float) -> str:
    if key in ("offered", "answered"):
        return f"{int(value):,}"
    if key in ("abandon_rate", "service_level") or key.endswith("_share"):
        return f"{100 * value:.1f}%"
    if key.endswith("_ms"):
        minutes, secs = divmod(round(value / 1000), 60)
        return f"{minutes} min {secs} s" if minutes else f"{secs} s"
    return f"{value:,.2f}"


def test_every_headline_number_equals_an_independent_sql_query(
    page: tuple[Any, list[str]], demo: Demo, report: ReportResult
) -> None:
    tab, _ = page
    shown = tab.evaluate(
        """() => Array.from(document.querySelectorAll('[data-kpi]')).map(k => [
            k.dataset.kpi, k.dataset.value, k.querySelector('.kpi-value').textContent])"""
    )
    expected = _expected_headline(demo)
    assert [key for key, _, _ in shown] == list(expected)
    for key, raw, text in shown:
        assert float(raw) == pytest.approx(expected[key], rel=1e-9), key
        assert text == _shown(key, expected[key]), key
        assert report.headline[key] == pytest.approx(expected[key], rel=1e-9), key
    target = tab.locator('[data-kpi="service_level"] .kpi-note').text_content()
    assert target is not None and target.startswith("Target 90.0%: ")


def test_agent_league_is_led_by_the_busiest_agent(page: tuple[Any, list[str]], demo: Demo) -> None:
    tab, _ = page
    name, handled = demo.sql(
        "select any_value(u.name), sum(a.count) n from conversation_aggregates a "
        "join users u on u.id = a.user_id where a.query_name = 'agent_daily' "
        "and a.metric = 'tHandle' group by a.user_id order by n desc, a.user_id limit 1"
    )[0]
    rows = tab.locator('table[data-table="agents"] tbody tr')
    assert rows.count() == 15
    first = rows.first.locator("th, td").all_text_contents()
    # an agent who shares a name with another is shown with their email (or an id suffix)
    assert first[0] == name or first[0].startswith(f"{name} ("), first
    assert first[1] == f"{handled:,}"


def test_quality_panel_reports_the_feeding_run(page: tuple[Any, list[str]], demo: Demo) -> None:
    tab, _ = page
    run_id, requests = demo.sql("select run_id, requests from gcexport_runs")[0]
    cells = tab.locator('table[data-table="runs"] tbody tr').first.locator("td")
    assert cells.nth(0).text_content() == run_id
    assert cells.nth(3).text_content() == "✓ ok"
    assert cells.nth(4).text_content() == f"{requests:,}"
    parity = tab.locator('[data-quality="parity"]').text_content() or ""
    assert parity.startswith("✓ parity holds for all")


def test_the_page_opens_offline_and_fetches_nothing(
    page: tuple[Any, list[str]], report: ReportResult
) -> None:
    tab, attempted = page
    assert attempted == []
    assert tab.locator("svg.chart").count() == len(CHARTS)
    html = report.path.read_text(encoding="utf-8")
    assert not re.search(r"https?://", html)
    assert not re.search(r"<(script|link|img|iframe)\b[^>]*\b(src|href)=", html, re.I)
    assert "@import" not in html
    assert set(re.findall(r"url\(([^)]*)\)", html)) <= {
        f"#{c}-p{i}" for c in CHARTS for i in range(7)
    }


def test_screenshot(page: tuple[Any, list[str]], tmp_path: Path) -> None:
    tab, _ = page
    shot = tmp_path / "report.png"
    tab.screenshot(path=str(shot), full_page=True)
    data = shot.read_bytes()
    width, height = struct.unpack(">II", data[16:24])
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert width == 1280 and height > 2000 and len(data) > 50_000
    # test_layout.py takes the 1400 px and 400 px shots and refreshes the README's picture


def test_prints_to_pdf_with_every_chart(
    report: ReportResult, open_report: Callable[[Path], Any]
) -> None:
    opened = open_report(report.path)
    opened.tab.emulate_media(media="print")
    drawn = opened.tab.evaluate(
        """() => Array.from(document.querySelectorAll('svg.chart')).map(svg =>
            Array.from(svg.querySelectorAll('.mark')).filter(m => {
                const r = m.getBoundingClientRect(); return r.width > 0 && r.height > 0; }).length)"""
    )
    assert len(drawn) == len(CHARTS) and all(n > 0 for n in drawn)
    pdf = opened.tab.pdf(format="A4", landscape=True)
    assert pdf[:5] == b"%PDF-" and len(pdf) > 20_000
    assert opened.attempted == []
