"""The data-quality panel: parity of the runs that fed the report, provisional days, drift, 429s,
and the ids shown without a name.

Status is written in words and symbols (✓ / ✗), never in colour alone, so it survives printing.

Example::

    html = render_quality(fetch_quality(source, scope, tables))
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from gcexport.kpi_report.checks import KpiFlag
from gcexport.kpi_report.media import scroll
from gcexport.kpi_report.names import Unnamed
from gcexport.kpi_report.quality import PartitionFact, Quality, RunFact

__all__ = ["render_quality"]


def render_quality(
    quality: Quality, kpi_flags: Sequence[KpiFlag] = (), unnamed: Unnamed = Unnamed()
) -> str:
    """The panel as an HTML section (a short note when the warehouse has no run history)."""
    if not quality.available:
        body = (
            '<p class="empty">This warehouse holds no run history (gcexport_runs): it was not '
            "loaded by gcexport export, so parity and request counts are unknown.</p>"
        )
    else:
        body = _summary(quality) + _runs(quality.runs) + _problems(quality)
    body = _kpi_range(kpi_flags) + _unnamed(unnamed) + body
    return f'<section class="quality" data-panel="quality"><h2>Data quality</h2>{body}</section>'


def _kpi_range(flags: Sequence[KpiFlag]) -> str:
    """Shares outside [0, 1]: a KPI that cannot be true (often an average of averages)."""
    if not flags:
        text = "✓ every share (abandon rate, service level, KPIs named *_share) lies within [0, 1]"
        return f'<ul class="facts"><li data-quality="kpi-range">{escape(text)}</li></ul>'
    items = "".join(
        f'<li data-quality="kpi-range" data-kpi-flag="{escape(f.kpi)}">{escape(_flag_text(f))}</li>'
        for f in flags
    )
    return f'<ul class="facts">{items}</ul>'


def _unnamed(unnamed: Unnamed) -> str:
    """Ids no lookup names (a queue deleted since, a system wrap-up code): shown as ids."""
    if not unnamed.total:
        text = "✓ every queue, wrap-up code and agent in the window has a name in the lookups"
        return f'<ul class="facts"><li data-quality="unnamed" data-unnamed="0">{escape(text)}</li></ul>'
    kinds = [("queue", unnamed.queues), ("wrap-up code", unnamed.wrapup_codes)]
    kinds += [("agent", unnamed.agents)]
    parts = [
        f"{len(ids)} {kind}{'' if len(ids) == 1 else 's'} ("
        + ", ".join(f"<code>{escape(i)}</code>" for i in ids)
        + ")"
        for kind, ids in kinds
        if ids
    ]
    text = (
        f"{unnamed.total} id{'' if unnamed.total == 1 else 's'} had no name in the lookups and "
        "show as ids (queues deleted since, system wrap-up codes, …): "
    )
    return (
        f'<ul class="facts"><li data-quality="unnamed" data-unnamed="{unnamed.total}">'
        f"{escape(text)}{'; '.join(parts)}</li></ul>"
    )


def _flag_text(flag: KpiFlag) -> str:
    return (
        f"✗ {flag.kpi} is a share but lies outside [0, 1] in {flag.count} of {flag.checked} "
        f"values (e.g. {flag.where}: {flag.worst:.3g}); check it is a ratio of sums, not of averages"
    )


def _summary(quality: Quality) -> str:
    total, failed = len(quality.partitions), len(quality.parity_failures)
    parity = (
        f"✓ parity holds for all {total} partitions"
        if not failed
        else f"✗ parity failed for {failed} of {total} partitions"
    )
    requests = sum(r.requests for r in quality.runs)
    limited = sum(r.rate_limited for r in quality.runs)
    waited = sum(r.waited_s for r in quality.runs)
    items = [
        f'<li data-quality="parity">{escape(parity)} (API rows = file rows = warehouse rows)</li>',
        f'<li data-quality="provisional">{len(quality.provisional)} provisional partitions '
        "(days not yet complete when exported; the next run replaces them)</li>",
        f'<li data-quality="drift">{len(quality.drift)} schema drift findings</li>',
        f'<li data-quality="requests">{requests:,} API requests; {limited:,} answered 429 '
        f"(rate limited), {waited:,.1f} s waited</li>",
    ]
    return f'<ul class="facts">{"".join(items)}</ul>'


def _runs(runs: list[RunFact]) -> str:
    if not runs:
        return '<p class="empty">No runs recorded for this window.</p>'
    head = "".join(
        f"<th>{h}</th>"
        for h in (
            "Run",
            "Finished (UTC)",
            "Status",
            "Parity",
            "Requests",
            "429s",
            "Waited",
            "Drift",
        )
    )
    rows = "".join(_run_row(r) for r in runs)
    return "<h3>Runs that fed this report</h3>" + scroll(
        f'<table data-table="runs"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'
    )


def _run_row(run: RunFact) -> str:
    finished = run.finished_at.strftime("%Y-%m-%d %H:%M:%S") if run.finished_at else "–"
    parity = {True: "✓ ok", False: "✗ failed", None: "–"}[run.parity_ok]
    cells = [
        f"<code>{escape(run.run_id)}</code>",
        escape(finished),
        escape(run.status),
        parity,
        f"{run.requests:,}",
        f"{run.rate_limited:,}",
        f"{run.waited_s:,.1f} s",
        escape(", ".join(run.drift)) or "none",
    ]
    return f"<tr>{''.join(f'<td>{c}</td>' for c in cells)}</tr>"


def _problems(quality: Quality) -> str:
    parts = []
    if quality.parity_failures:
        parts.append(_partition_list("Parity failures", quality.parity_failures, counts=True))
    if quality.provisional:
        parts.append(_partition_list("Provisional partitions", quality.provisional, counts=False))
    if quality.drift:
        items = "".join(f"<li>{escape(d)}</li>" for d in quality.drift)
        parts.append(f"<h3>Schema drift</h3><ul>{items}</ul>")
    return "".join(parts)


def _partition_list(title: str, facts: list[PartitionFact], *, counts: bool) -> str:
    def line(f: PartitionFact) -> str:
        text = f"{f.table} {f.day or '(snapshot)'}"
        if counts:
            text += f": API {f.api_rows}, files {f.file_rows}, warehouse {f.warehouse_rows}"
        return f"<li>{escape(text)}</li>"

    return f"<h3>{escape(title)}</h3><ul>{''.join(line(f) for f in facts)}</ul>"
