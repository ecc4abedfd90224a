"""Ids no lookup names (REFERENCE.md §16 item 9): queues deleted since and system wrap-up codes are
in the demo's aggregates, not in its lookups; the report shows the ids (never blank or "None"),
the data-quality panel counts them, and nothing is invented for them."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import duckdb

from gcexport.emulator import Emulator, EmulatorConfig
from gcexport.kpi_report import build_report

Demo = Any  # the `demo` fixture of conftest.py
SYSTEM_CODES = ["ININ-OUTBOUND-PREVIEW-SKIPPED", "ININ-WRAP-UP-TIMEOUT"]


def _report(warehouse_url: str, out: Path) -> str:
    result = build_report(warehouse_url, start=None, end=None, queues=[], out=out)
    return result.path.read_text(encoding="utf-8")


def _visible_text(html: str) -> list[str]:
    return re.sub(r"<title>.*?</title>|<[^>]+>", " ", html).split()


def test_the_report_shows_deleted_queues_and_system_wrapup_codes_by_id(
    demo: Demo, tmp_path: Path
) -> None:
    org = Emulator(EmulatorConfig(seed=7)).truth  # the demo's org
    deleted = sorted(q["id"] for q in org.deleted_queues())
    assert len(deleted) == 2
    used = sorted(
        str(r[0])
        for r in demo.sql(
            "select distinct queue_id from conversation_aggregates where queue_id in "
            f"({', '.join(repr(q) for q in deleted)})"
        )
    )
    assert used == deleted  # the demo's conversations use both
    codes = sorted(
        str(r[0])
        for r in demo.sql(
            "select distinct wrap_up_code from conversation_aggregates "
            "where wrap_up_code like 'ININ-%'"
        )
    )
    assert codes == SYSTEM_CODES
    # nothing invented: the lookups hold no row for them, and queue_kpis keeps their rows unnamed
    listed = {str(r[0]) for r in demo.sql("select id from queues")}
    assert not listed & set(deleted)
    assert demo.sql("select count(*) from wrapup_codes where id like 'ININ-%'") == [(0,)]
    kpis = demo.sql(
        "select queue_id, count(*), count(queue_name) from queue_kpis "
        f"where queue_id in ({', '.join(repr(q) for q in deleted)}) group by 1 order by 1"
    )
    assert [(q, n > 0, named) for q, n, named in kpis] == [(q, True, 0) for q in deleted]

    html = _report(demo.warehouse_url, tmp_path / "report.html")
    panel = html.split('data-panel="quality"', 1)[1]
    fact = re.search(r'<li data-quality="unnamed" data-unnamed="(\d+)">(.*?)</li>', panel)
    assert fact is not None, "the data-quality panel counts the ids without a name"
    assert int(fact.group(1)) == 4
    assert "4 ids had no name in the lookups" in fact.group(2)
    for shown in [*deleted, *SYSTEM_CODES]:
        assert f"<code>{shown}</code>" in fact.group(2)
    handle = html.split('id="handle_time_by_queue', 1)[1].split("</svg>", 1)[0]
    for queue_id in deleted:  # the chart's label is the id (cut to fit), its tooltip all of it
        assert f"<title>{queue_id} · Talk:" in handle
        assert f">{queue_id[:24]}" in handle
    assert "None" not in _visible_text(html)


def test_a_queue_whose_name_is_null_shows_its_id_not_none(demo: Demo, tmp_path: Path) -> None:
    db = tmp_path / "gcexport.duckdb"
    shutil.copy(demo.db_path, db)
    with duckdb.connect(str(db)) as con:
        busiest = con.execute(
            "select queue_id from queue_kpis where queue_name is not null "
            "group by 1 order by sum(handle_count) desc limit 1"
        ).fetchall()[0][0]
        con.execute("update queues set name = null where id = ?", [busiest])
    html = _report(f"duckdb:///{db}", tmp_path / "report.html")
    assert "None" not in _visible_text(html)
    assert f"<title>{busiest} · Talk:" in html
    fact = re.search(r'<li data-quality="unnamed" data-unnamed="(\d+)">(.*?)</li>', html)
    assert fact is not None and int(fact.group(1)) == 5
    assert f"<code>{busiest}</code>" in fact.group(2)
