"""The demo's report at desktop (1400 px) and phone (400 px) width: legible, nothing cut off.

Legible: no drawn text under 10 px (SVG text measured at its rendered scale). Nothing cut off:
no element reaches past the viewport unless it sits in a horizontal scroll container, and the
page itself never scrolls sideways. Screenshots of both widths are taken every run;
GCEXPORT_UPDATE_SCREENSHOT=1 refreshes the README's picture from the 1400 px one.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gcexport.kpi_report import ReportResult, build_report

Demo = Any  # the `demo` fixture of conftest.py
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "images" / "report.png"

SMALL_TEXT = """() => {
  const small = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, el = node.parentElement;
    if (!node.textContent.trim() || el.closest('title')) continue;  // tooltips are not drawn
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden') continue;
    let size = parseFloat(style.fontSize);
    if (el.closest('svg')) { const m = el.getScreenCTM(); size *= Math.hypot(m.a, m.b); }
    if (size < 10) small.push([el.tagName, node.textContent.trim().slice(0, 40), size]);
  }
  return small;
}"""
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth, out = [];
  const scrolls = el => {
    for (let p = el.parentElement; p; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX;
      if (o === 'auto' || o === 'scroll') return true;
    }
    return false;
  };
  for (const el of document.body.querySelectorAll('*')) {
    if (el.closest('svg') && el.tagName !== 'svg') continue;  // the svg box stands for its parts
    const r = el.getBoundingClientRect();
    if (!r.width || (r.left >= -0.5 && r.right <= width + 0.5) || scrolls(el)) continue;
    out.push(`${el.tagName}.${el.className.baseVal ?? el.className} ${r.left}-${r.right}`);
  }
  return {page: document.documentElement.scrollWidth, width, out: out.slice(0, 10)};
}"""


@pytest.fixture(scope="module")
def report(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> ReportResult:
    out = tmp_path_factory.mktemp("layout") / "report.html"
    return build_report(
        demo.warehouse_url, start=None, end=None, queues=[], out=out, custom_kpis=demo.kpis
    )


@pytest.fixture(scope="module", params=[1400, 400], ids=["desktop-1400", "phone-400"])
def tab(request: pytest.FixtureRequest, browser: Any, report: ReportResult) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": request.param, "height": 900}, offline=True)
    page = context.new_page()
    page.goto(report.path.resolve().as_uri(), wait_until="load", timeout=30_000)
    yield page
    context.close()


def test_no_text_is_smaller_than_10_px(tab: Any) -> None:
    small = tab.evaluate(SMALL_TEXT)
    assert small == []
    drawn = tab.evaluate("() => document.querySelectorAll('svg.chart text').length")
    assert drawn > 100  # the check did see the charts' text


def test_nothing_overflows_except_inside_scroll_containers(tab: Any) -> None:
    found = tab.evaluate(OVERFLOW)
    assert found["out"] == []
    assert found["page"] == found["width"]
    scrolled = tab.evaluate(
        """() => Array.from(document.querySelectorAll('.scroll')).filter(
            s => s.scrollWidth > s.clientWidth).length"""
    )
    width = tab.viewport_size["width"]
    assert (scrolled > 0) == (width < 800), scrolled  # phones scroll wide parts, desktops do not


def test_every_chart_mark_shows_its_value_on_hover(tab: Any) -> None:
    marks = tab.evaluate(
        """() => Array.from(document.querySelectorAll('svg.chart .mark')).map(m => {
            const t = m.querySelector(':scope > title');
            return t ? t.textContent : null; })"""
    )
    assert len(marks) > 100
    assert all(m for m in marks)
    low = tab.locator("svg.chart .mark.low title").all_text_contents()
    assert low and all("(low volume: " in t for t in low)


def test_screenshots_at_both_widths(tab: Any, tmp_path: Path) -> None:
    width = tab.viewport_size["width"]
    shot = tmp_path / f"report-{width}.png"
    tab.screenshot(path=str(shot), full_page=True)
    data = shot.read_bytes()
    shot_width, height = struct.unpack(">II", data[16:24])
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot_width == width and height > 2000 and len(data) > 50_000
    if width == 1400 and os.environ.get("GCEXPORT_UPDATE_SCREENSHOT"):
        SCREENSHOT.write_bytes(data)


def test_agents_who_share_a_name_are_told_apart(demo: Demo, report: ReportResult) -> None:
    html = report.path.read_text(encoding="utf-8")
    table = html.split('<table data-table="agents">', 1)[1].split("</table>", 1)[0]
    shown = [row.split("</th>", 1)[0] for row in table.split('<tr><th scope="row">')[1:]]
    assert len(shown) == 15 and len(set(shown)) == 15
    shared = demo.sql("select name from users group by name having count(*) > 1")
    assert shared  # the demo org has namesakes
    for (name,) in shared:
        labelled = [s for s in shown if s.startswith(f"{name} (")]
        assert all(s.endswith("@example.com)") for s in labelled)
        assert name not in shown  # a shared name never stands alone


def test_an_impossible_share_is_flagged_in_the_quality_panel(demo: Demo, tmp_path: Path) -> None:
    kpis = {**demo.kpis, "handle_share": "avg_handle_ms / avg_talk_ms"}  # an average of averages
    result = build_report(
        demo.warehouse_url,
        start=None,
        end=None,
        queues=[],
        out=tmp_path / "report.html",
        custom_kpis=kpis,
    )
    html = result.path.read_text(encoding="utf-8")
    flags = html.split('data-panel="quality"', 1)[1]
    assert flags.count('data-kpi-flag="') == 1
    assert 'data-kpi-flag="handle_share">✗ handle_share is a share but lies outside [0, 1]' in flags
    assert result.headline["handle_share"] is not None and result.headline["handle_share"] > 1
    clean = build_report(
        demo.warehouse_url,
        start=None,
        end=None,
        queues=[],
        out=tmp_path / "clean.html",
        custom_kpis=demo.kpis,
    )
    assert "✓ every share" in clean.path.read_text(encoding="utf-8")
