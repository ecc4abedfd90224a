"""The report's agent-time section: occupancy and utilisation by agent and hour, and the league table
joined with them — values checked with independent SQL over DuckDB, layout in headless Chromium; the
section is left out of a warehouse without agent time."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from gcexport.clock import FakeClock
from gcexport.commands.demo import demo_settings
from gcexport.commands.export import run_export_command
from gcexport.emulator import Emulator, EmulatorConfig
from gcexport.kpi_report import build_report
from gcexport.kpi_report.formats import percent
from gcexport.kpi_report.queries import user_labels
from gcexport.run import ExportRequest
from gcexport.timespan import day_floor
from tests.conftest import TEST_NOW
from tests.report.conftest import Demo

ZONE, OFFSET_MS = (
    "Asia/Kolkata",
    19_800_000,
)  # +05:30 all year: half-hour buckets, whole local hours
CELL = re.compile(r'<td data-user="([^"]+)" data-hour="(\w+)" data-value="([^"]*)"')
WINDOW = re.compile(r'<time datetime="([^"]+)">')


@pytest.fixture(scope="module")
def agent_demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    """The demo's export (same seed, emulator and clock) with both agent-time datasets added."""
    out = tmp_path_factory.mktemp("agent-demo")
    settings = demo_settings(out)
    datasets = [*settings.export.datasets, "user_status_details", "user_status_aggregates"]
    settings = settings.model_copy(
        update={"export": settings.export.model_copy(update={"datasets": datasets})}
    )
    clock = FakeClock(TEST_NOW)
    config = EmulatorConfig(seed=7, conversations_per_day=150, availability_lag=timedelta(hours=24))
    emulator = Emulator(config, clock=clock)
    today = day_floor(clock.now())
    request = ExportRequest(start=today - timedelta(days=2), end=today)
    code = run_export_command(settings, request, quiet=True, json_output=False,
                              transport=emulator.transport(), clock=clock)  # fmt: skip
    assert code == 0
    url = settings.export.warehouse_url()
    assert url is not None
    return Demo(out=out, warehouse_url=url, kpis={})


@pytest.fixture(scope="module")
def agent_report(agent_demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("agent-report") / "report.html"
    build_report(agent_demo.warehouse_url, start=None, end=None, queues=[], out=out, time_zone=ZONE)
    return out


def _tables(html: str) -> dict[str, dict[tuple[str, str], float | None]]:
    found = {}
    for kpi in ("occupancy", "utilisation"):
        part = html.split(f'data-table="{kpi}-by-hour"', 1)[1].split("</table>", 1)[0]
        found[kpi] = {(u, h): float(v) if v else None for u, h, v in CELL.findall(part)}
    return found


def _window_ms(html: str) -> tuple[int, int]:
    start, end = WINDOW.findall(html)[:2]
    return (int(datetime.fromisoformat(start).timestamp() * 1000),
            int(datetime.fromisoformat(end).timestamp() * 1000))  # fmt: skip


SUMS = (
    "sum(interacting_ms), sum(idle_ms), sum(on_queue_ms), sum(logged_in_ms) "
    "from agent_interval_status where epoch_ms(interval_start) >= {lo} "
    "and epoch_ms(interval_start) < {hi}"
)


def _ratios(row: tuple[Any, ...]) -> tuple[float | None, float | None]:
    interacting, idle, on_queue, logged_in = (int(v) for v in row)
    occupancy = interacting / (interacting + idle) if interacting + idle else None
    return occupancy, on_queue / logged_in if logged_in else None


def test_hourly_occupancy_and_utilisation_equal_the_warehouse_sums(
    agent_report: Path, agent_demo: Demo
) -> None:
    html = agent_report.read_text(encoding="utf-8")
    lo, hi = _window_ms(html)
    hour = f"((epoch_ms(interval_start) + {OFFSET_MS}) // 3600000) % 24"
    rows = agent_demo.sql(f"select user_id, {hour}, {SUMS.format(lo=lo, hi=hi)} group by all")
    expected = {(user, str(h)): _ratios(tuple(sums)) for user, h, *sums in rows}
    shown = _tables(html)
    users = {u for u, _ in shown["occupancy"]}
    assert 5 <= len(users) <= 15
    for index, kpi in enumerate(("occupancy", "utilisation")):
        cells = {(u, h): v for (u, h), v in shown[kpi].items() if h != "all"}
        for cell, value in cells.items():  # each cell shown is the SQL ratio, or empty
            assert value == pytest.approx(expected.get(cell, (None, None))[index]), (kpi, cell)
        wanted = {
            c for c, values in expected.items() if c[0] in users and values[index] is not None
        }
        assert wanted <= set(cells) and len(wanted) > 50  # and no value is left out
        hours = {h for _, h in cells}  # columns: the hours with a value for some agent shown
        assert hours == {h for _, h in wanted}
    totals = agent_demo.sql(f"select user_id, {SUMS.format(lo=lo, hi=hi)} group by all")
    by_user = {row[0]: _ratios(row[1:]) for row in totals}
    for user in users:
        assert shown["occupancy"][(user, "all")] == pytest.approx(by_user[user][0])
        assert shown["utilisation"][(user, "all")] == pytest.approx(by_user[user][1])
    assert all(0 <= v <= 1 for kpi in shown.values() for v in kpi.values() if v is not None)
    assert any(v is not None and v > 0.05 for v in shown["occupancy"].values())


def test_league_table_carries_each_agents_occupancy_and_utilisation(
    agent_report: Path, agent_demo: Demo
) -> None:
    html = agent_report.read_text(encoding="utf-8")
    lo, hi = _window_ms(html)
    league = html.split('<table data-table="agents"', 1)[1].split("</table>", 1)[0]
    assert "<th>Occupancy</th><th>Utilisation</th>" in league
    people = {r[0]: (r[1], r[2]) for r in agent_demo.sql("select id, name, email from users")}
    user_by_label = {label: user for user, label in user_labels(people).items()}
    totals = agent_demo.sql(f"select user_id, {SUMS.format(lo=lo, hi=hi)} group by all")
    by_user = {row[0]: _ratios(row[1:]) for row in totals}
    rows = re.findall(r'<tr><th scope="row">([^<]+)</th>(.*?)</tr>', league)
    assert len(rows) >= 5
    for label, cells in rows:
        values = re.findall(r"<td>([^<]*)</td>", cells)
        occupancy, utilisation = by_user.get(
            user_by_label[label.replace("&#x27;", "'")], (None, None)
        )
        assert values[-2:] == [percent(occupancy), percent(utilisation)], label


def test_section_is_left_out_without_agent_tables(demo: Demo, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    build_report(demo.warehouse_url, start=None, end=None, queues=[], out=out)
    html = out.read_text(encoding="utf-8")
    assert "agent-time" not in html and "Occupancy" not in html
    assert 'data-table="agents"' in html


def test_agent_time_section_renders_in_chromium(
    agent_report: Path, open_report: Callable[[Path], Any]
) -> None:
    tab = open_report(agent_report).tab
    facts = tab.evaluate(
        """() => {
          const section = document.querySelector('[data-section="agent-time"]');
          const box = section.getBoundingClientRect();
          const cells = Array.from(section.querySelectorAll('td[data-value]'));
          const shaded = cells.filter(c => c.dataset.value && parseFloat(c.dataset.value) > 0
              && getComputedStyle(c).backgroundColor !== 'rgba(0, 0, 0, 0)').length;
          const filled = cells.filter(c => c.dataset.value && parseFloat(c.dataset.value) > 0).length;
          const tables = Array.from(section.querySelectorAll('table.heatmap')).map(t => t.dataset.table);
          return {height: box.height, width: box.width, shaded, filled, tables,
                  page: document.documentElement.scrollWidth, view: document.documentElement.clientWidth,
                  fonts: cells.map(c => parseFloat(getComputedStyle(c).fontSize))};
        }"""
    )
    assert facts["tables"] == ["occupancy-by-hour", "utilisation-by-hour"]
    assert facts["height"] > 200 and facts["width"] > 600
    assert facts["shaded"] == facts["filled"] > 20
    assert facts["page"] <= facts["view"]  # wide heatmaps scroll inside their box, not the page
    assert min(facts["fonts"]) >= 10


def test_snowflake_agent_section_equals_the_duckdb_one(
    agent_demo: Demo, agent_report: Path, fakesnow_server: dict[str, Any], tmp_path: Path
) -> None:
    """fakesnow's server through the real connector: the agent-time SQL is portable."""
    import duckdb
    import snowflake.connector

    from gcexport.sinks import open_warehouse

    schema = f"S_{secrets.token_hex(4).upper()}"
    conn = snowflake.connector.connect(**fakesnow_server)
    try:
        conn.cursor().execute("CREATE DATABASE IF NOT EXISTS GCX")
        conn.cursor().execute(f"CREATE SCHEMA IF NOT EXISTS GCX.{schema}")
    finally:
        conn.close()
    url = (
        f"snowflake://fake@fakesnow/GCX/{schema}?warehouse=W&role=R"
        f"&host=127.0.0.1&port={fakesnow_server['port']}&protocol=http"
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SNOWFLAKE_PASSWORD", "snow")
        warehouse = open_warehouse(url)
        try:
            with duckdb.connect(str(agent_demo.db_path), read_only=True) as con:
                for table in (
                    "conversation_aggregates",
                    "queues",
                    "users",
                    "agent_interval_status",
                ):
                    arrow = con.sql(f'select * from "{table}"').to_arrow_table()
                    warehouse.replace_table(table, [arrow], arrow.schema)
        finally:
            warehouse.close()
        out = tmp_path / "snow.html"
        build_report(url, start=None, end=None, queues=[], out=out, time_zone=ZONE)
    snow, duck = _tables(out.read_text(encoding="utf-8")), _tables(agent_report.read_text("utf-8"))
    for kpi in ("occupancy", "utilisation"):
        assert snow[kpi].keys() == duck[kpi].keys() and len(duck[kpi]) > 50
        for cell, value in duck[kpi].items():
            expected = None if value is None else pytest.approx(value, rel=1e-9)
            assert snow[kpi][cell] == expected, (kpi, cell)
