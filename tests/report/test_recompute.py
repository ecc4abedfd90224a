"""The demo's queue KPIs recomputed from its conversation details, a second path to the same numbers.

Nothing here reuses the exporter's SQL: the detail tables' Parquet files are read row by row and
the metrics counted in Python, by the rules the emulator documents (emulator/facts.py): a metric
counts in the hour of its `emitDate`, for the session's media type and the first queue on the
session's segments; `oServiceLevel` counts one per acd session with `tAcd`, answered within the
queue's duration and not abandoned. The result must equal `queue_kpis` cell by cell and the
report's headline and per-media rows.

Conversations that began before the exported days emit metrics into its first hours, yet are not
in its details; the comparison starts after the longest conversation's duration, so every metric
it counts belongs to an exported conversation.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow.dataset as ds
import pytest

from gcexport.emulator import Emulator, EmulatorConfig
from gcexport.kpi_report import ReportResult, build_report

Demo = Any  # the `demo` fixture of conftest.py
# the metrics the demo's queue query asks for (a cell exists when any of them was emitted)
METRICS = ("nOffered", "nTransferred", "tAnswered", "tAbandon", "tHandle", "tTalk", "tHeld", "tAcw")
METRICS += ("tAcd", "tAlert")
# queue_kpis column ← (Genesys metric, "count" or "sum"), written out independently of kpis.py
COLUMNS = {
    "offered": ("nOffered", "count"),
    "answered": ("tAnswered", "count"),
    "abandoned": ("tAbandon", "count"),
    "transferred": ("nTransferred", "count"),
    "answer_ms_sum": ("tAnswered", "sum"),
    "handle_count": ("tHandle", "count"),
    "handle_ms_sum": ("tHandle", "sum"),
    "talk_count": ("tTalk", "count"),
    "talk_ms_sum": ("tTalk", "sum"),
    "hold_count": ("tHeld", "count"),
    "hold_ms_sum": ("tHeld", "sum"),
    "acw_count": ("tAcw", "count"),
    "acw_ms_sum": ("tAcw", "sum"),
}
Cell = dict[str, float]


def _rows(out: Path, table: str, columns: list[str]) -> Iterator[dict[str, Any]]:
    """Every row of one exported table, read from its Parquet files (not the warehouse)."""
    dataset = ds.dataset(out / table, format="parquet", partitioning="hive")
    yield from dataset.to_table(columns=columns).to_pylist()


class Details:
    """The demo's detail tables, indexed by session."""

    def __init__(self, out: Path) -> None:
        key = ["conversation_id", "participant_id", "session_id"]
        self.purpose = {
            (r["conversation_id"], r["participant_id"]): r["purpose"]
            for r in _rows(out, "participants", ["conversation_id", "participant_id", "purpose"])
        }
        self.media = {
            tuple(r[k] for k in key): r["media_type"]
            for r in _rows(out, "sessions", [*key, "media_type"])
        }
        segments = sorted(
            _rows(out, "segments", [*key, "segment_index", "queue_id"]),
            key=lambda r: r["segment_index"],
        )
        self.queue: dict[tuple[str, ...], str] = {}
        for r in segments:
            if r["queue_id"] is not None:
                self.queue.setdefault(tuple(r[k] for k in key), r["queue_id"])
        self.metrics: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
        for r in _rows(out, "session_metrics", [*key, "name", "value", "emit_date"]):
            self.metrics[tuple(r[k] for k in key)].append(r)
        self.sl_ms = {
            r["id"]: r["call_service_level_duration_ms"]
            for r in _rows(out, "queues", ["id", "call_service_level_duration_ms"])
        }
        # queues deleted since are in no export (§16 item 9): their thresholds from the demo's org
        for queue in Emulator(EmulatorConfig(seed=7)).truth.deleted_queues():
            assert queue["id"] not in self.sl_ms
            self.sl_ms[queue["id"]] = queue["mediaSettings"]["call"]["serviceLevel"]["durationMs"]
        self.longest = max(
            r["conversation_end"] - r["conversation_start"]
            for r in _rows(out, "conversations", ["conversation_start", "conversation_end"])
            if r["conversation_end"] is not None
        )


def _hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def recompute(details: Details, start: datetime, end: datetime) -> dict[tuple[Any, ...], Cell]:
    """(hour, queue id, media type) → the counts and sums of the metrics emitted in [start, end)."""
    cells: dict[tuple[Any, ...], Cell] = defaultdict(lambda: defaultdict(float))
    for session, metrics in details.metrics.items():
        queue = details.queue.get(session)
        if queue is None:
            continue
        media = details.media[session]
        for m in metrics:
            if m["name"] in METRICS and start <= m["emit_date"] < end:
                counted = cells[(_hour(m["emit_date"]), queue, media)]
                counted[m["name"] + ".count"] += m["value"] if m["name"][0] == "n" else 1
                counted[m["name"] + ".sum"] += m["value"]
        by_name = {m["name"]: m for m in metrics}
        acd = by_name.get("tAcd")
        if details.purpose[session[:2]] == "acd" and acd and start <= acd["emit_date"] < end:
            counted = cells[(_hour(acd["emit_date"]), queue, media)]
            counted["sl.den"] += 1
            within = "tAbandon" not in by_name and acd["value"] <= details.sl_ms[queue]
            counted["sl.num"] += 1 if within else 0
    return cells


def expected_columns(cell: Cell) -> dict[str, float | None]:
    """queue_kpis's columns from one recomputed cell (or a sum of cells)."""
    out: dict[str, float | None] = {
        name: cell.get(f"{metric}.{stat}", 0.0) for name, (metric, stat) in COLUMNS.items()
    }
    out["service_level_numerator"] = cell.get("sl.num", 0.0)
    out["service_level_denominator"] = cell.get("sl.den", 0.0)

    def share(numerator: str, denominator: str) -> float | None:
        den = out[denominator]
        return None if not den else float(out[numerator] or 0) / den

    out["abandon_rate"] = share("abandoned", "offered")
    out["service_level"] = share("service_level_numerator", "service_level_denominator")
    out["avg_speed_of_answer_ms"] = share("answer_ms_sum", "answered")
    out["avg_handle_ms"] = share("handle_ms_sum", "handle_count")
    out["avg_hold_ms"] = share("hold_ms_sum", "hold_count")
    out["transfer_rate"] = share("transferred", "answered")
    out["hold_share"] = share("hold_ms_sum", "handle_ms_sum")
    return out


def assert_same(got: dict[str, Any], want: dict[str, float | None], where: object) -> None:
    assert set(got) == set(want), where
    for name, value in want.items():
        if value is None:
            assert got[name] is None, (where, name)
        else:
            assert got[name] == pytest.approx(value, rel=1e-12), (where, name)


def _total(cells: list[Cell]) -> Cell:
    total: Cell = defaultdict(float)
    for cell in cells:
        for key, value in cell.items():
            total[key] += value
    return total


@pytest.fixture(scope="module")
def checked(demo: Demo) -> tuple[Details, datetime, datetime]:
    """The details and the comparable window: from the first whole hour after the longest
    conversation past the first exported day, to the end of the export."""
    details = Details(demo.out)
    first, end = demo.sql("select min(interval_start), max(interval_end) from queue_kpis")[0]
    hours = math.ceil(details.longest / timedelta(hours=1))
    return details, first + timedelta(hours=hours), end  # type: ignore[operator]


def test_queue_kpis_equal_the_details_recomputed_cell_by_cell(
    demo: Demo, checked: tuple[Details, datetime, datetime]
) -> None:
    details, start, end = checked
    expected = recompute(details, start, end)
    columns = [*COLUMNS, "service_level_numerator", "service_level_denominator"]
    columns += ["abandon_rate", "service_level", "avg_speed_of_answer_ms", "avg_handle_ms"]
    columns += ["avg_hold_ms", "transfer_rate", "hold_share"]
    rows = demo.sql(
        f"select interval_start, queue_id, media_type, {', '.join(columns)} from queue_kpis "
        f"where interval_start >= '{start.isoformat()}' and interval_start < '{end.isoformat()}'"
    )
    assert len(rows) == len(expected) > 24
    assert end - start > timedelta(hours=36)  # most of the two days are compared
    for row in rows:
        key, values = row[:3], dict(zip(columns, row[3:], strict=True))
        want = expected_columns(expected[key])
        assert_same(values, want, key)
    assert sum(c.get("nOffered.count", 0) for c in expected.values()) > 300


def test_the_report_shows_the_recomputed_totals_and_media_rows(
    demo: Demo,
    checked: tuple[Details, datetime, datetime],
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    details, start, end = checked
    cells = recompute(details, start, end)
    report: ReportResult = build_report(
        demo.warehouse_url,
        start=start,
        end=end,
        queues=[],
        out=tmp_path_factory.mktemp("recompute") / "report.html",
        custom_kpis=demo.kpis,
    )
    total = expected_columns(_total(list(cells.values())))
    assert_same({k: report.headline[k] for k in total}, total, "headline")
    html = report.path.read_text(encoding="utf-8")
    media = sorted({media for _, _, media in cells})
    assert len(media) >= 4
    for name in media:
        want = expected_columns(_total([c for (_, _, m), c in cells.items() if m == name]))
        row = html.split(f'<tr data-media="{name}">', 1)[1].split("</tr>", 1)[0]
        offered = row.split('data-col="offered" data-value="', 1)[1].split('"', 1)[0]
        level = row.split('data-col="service_level" data-value="', 1)[1].split('"', 1)[0]
        assert int(offered) == want["offered"], name
        assert (float(level) if level else None) == pytest.approx(want["service_level"]), name
