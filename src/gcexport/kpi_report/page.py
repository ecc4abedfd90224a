"""The report page: one self-contained HTML document (inline CSS and SVG, nothing fetched).

Example::

    html = render_page(data)
    Path("report.html").write_text(html, encoding="utf-8")
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from html import escape

from gcexport.kpi_report import charts, formats
from gcexport.kpi_report.agent_time import AgentTime
from gcexport.kpi_report.agent_time_panel import hours, render_agent_time
from gcexport.kpi_report.checks import KpiFlag
from gcexport.kpi_report.media import BUILT_IN_BY_MEDIA, media_table, scroll
from gcexport.kpi_report.names import Unnamed
from gcexport.kpi_report.quality import Quality
from gcexport.kpi_report.quality_panel import render_quality
from gcexport.kpi_report.queries import AgentRow, BucketRow, QueueHandle
from gcexport.kpi_report.scope import Scope
from gcexport.kpi_report.scope import zone as zone_of
from gcexport.kpi_report.style import CSS
from gcexport.transform.kpis import is_share

__all__ = ["BUILT_IN", "ReportData", "render_page"]


@dataclass(frozen=True)
class Kpi:
    """A headline number: its key in the headline dict, label, formatter and definition."""

    key: str
    label: str
    fmt: Callable[[float | int | None], str]
    definition: str


BUILT_IN = [
    Kpi(
        "offered", "Offered", formats.count, "Interactions offered to the queues (nOffered count)."
    ),
    Kpi(
        "answered",
        "Answered",
        formats.count,
        "Offered interactions an agent answered (tAnswered count).",
    ),
    Kpi(
        "abandon_rate",
        "Abandon rate",
        formats.percent,
        "Abandoned (tAbandon count) ÷ offered (nOffered count).",
    ),
    Kpi(
        "service_level",
        "Service level",
        formats.percent,
        "Answered within the queue's threshold ÷ eligible (oServiceLevel numerator ÷ denominator).",
    ),
    Kpi(
        "avg_speed_of_answer_ms",
        "Avg speed of answer, per answered",
        formats.duration_ms,
        "Wait before an agent answered, per answered interaction: tAnswered sum ÷ tAnswered count.",
    ),
    Kpi(
        "avg_handle_ms",
        "Avg handle time, per handled",
        formats.duration_ms,
        "Talk + hold + after-call work per handled interaction: tHandle sum ÷ tHandle count.",
    ),
]


@dataclass(frozen=True)
class ReportData:
    """Everything the page shows, already queried."""

    scope: Scope
    headline: Mapping[str, float | int | None]
    service_level_target: float | None
    buckets: Sequence[BucketRow]
    queue_handle: Sequence[QueueHandle]
    wrapups: Sequence[tuple[str, int]]
    agents: Sequence[AgentRow]
    quality: Quality
    custom_kpis: Mapping[str, str] = field(default_factory=dict)
    users: Mapping[str, str] = field(
        default_factory=dict
    )  # id → label, told apart when names clash
    wrapup_names: Mapping[str, str] = field(default_factory=dict)
    by_media: Sequence[tuple[str, Mapping[str, float | int | None]]] = ()
    kpi_flags: Sequence[KpiFlag] = ()
    min_volume: int = 0
    agent_time: AgentTime = field(default_factory=lambda: AgentTime(available=False))
    unnamed: Unnamed = field(default_factory=Unnamed)  # ids no lookup names, shown as ids


def render_page(data: ReportData) -> str:
    """The whole report as one HTML string."""
    sections = [
        _header(data.scope),
        _kpis(data),
        media_table(BUILT_IN_BY_MEDIA, data.headline, data.by_media, data.custom_kpis),
        _charts(data),
        _agents(data),
        render_agent_time(data.agent_time, data.users, data.scope.time_zone),
        render_quality(data.quality, data.kpi_flags, data.unnamed),
    ]
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Contact-centre KPI report</title><style>{CSS}</style></head><body><main>"
        + "".join(sections)
        + "</main></body></html>"
    )


def _local(moment: datetime, zone: str) -> str:
    return moment.astimezone(zone_of(zone)).strftime("%a %d %b %Y %H:%M")


def _header(scope: Scope) -> str:
    queues = ", ".join(sorted(scope.queue_names.get(q, q) for q in scope.queue_ids)) or "all queues"
    return (
        "<header><h1>Contact-centre KPI report</h1>"
        f'<p class="window">From <time datetime="{scope.start.isoformat()}">{escape(_local(scope.start, scope.time_zone))}</time> '
        f'to <time datetime="{scope.end.isoformat()}">{escape(_local(scope.end, scope.time_zone))}</time> '
        f"({escape(scope.time_zone)}, end exclusive) · {escape(queues)} · "
        f"aggregates <code>{escape(scope.queue_query)}</code> ({escape(scope.kinds.granularity)})</p></header>"
    )


def _kpis(data: ReportData) -> str:
    cards = [
        _card(
            k,
            data.headline.get(k.key),
            k.definition,
            _target(data) if k.key == "service_level" else "",
        )
        for k in BUILT_IN
    ]
    for name, expression in data.custom_kpis.items():
        fmt = formats.percent if is_share(name) else formats.decimal
        custom = Kpi(name, name.replace("_", " ").capitalize(), fmt, "")
        cards.append(_card(custom, data.headline.get(name), f"Your KPI: {expression}", custom=True))
    return f'<section class="kpis" aria-label="Headline KPIs">{"".join(cards)}</section>'


def _target(data: ReportData) -> str:
    target, level = data.service_level_target, data.headline.get("service_level")
    if target is None:
        return "No target recorded."
    if level is None:
        return f"Target {formats.percent(target)}."
    verdict = "met ✓" if level >= target else "missed ✗"
    return f"Target {formats.percent(target)}: {verdict}"


def _card(
    kpi: Kpi, value: float | int | None, definition: str, note: str = "", *, custom: bool = False
) -> str:
    raw = "" if value is None else repr(value)
    extra = f'<p class="kpi-note">{escape(note)}</p>' if note else ""
    return (
        f'<div class="kpi{" custom" if custom else ""}" data-kpi="{escape(kpi.key)}" data-value="{raw}">'
        f'<div class="kpi-label">{escape(kpi.label)}</div>'
        f'<div class="kpi-value">{escape(kpi.fmt(value))}</div>{extra}'
        f'<p class="kpi-def">{escape(definition)}</p></div>'
    )


def _figure(title: str, caption: str, svg: str | None) -> str:
    body = (
        scroll(svg) if svg else '<p class="empty">No data for this chart in the chosen window.</p>'
    )
    return (
        f"<figure><h2>{escape(title)}</h2>{body}<figcaption>{escape(caption)}</figcaption></figure>"
    )


def _charts(data: ReportData) -> str:
    line = charts.timeline(data.buckets, data.scope)
    handle_names = dict(data.scope.queue_names)
    return "".join(
        [
            _figure(
                "Volume by hour and media type",
                "Interactions offered in each interval, stacked by media type (nOffered count).",
                charts.volume_chart(line) if line.slots else None,
            ),
            _figure(
                "Service level and abandon rate by interval",
                "Service level = oServiceLevel numerator ÷ denominator; abandon rate = tAbandon ÷ nOffered. "
                "Gaps: no eligible interactions. Hollow points rest on fewer than "
                f"{data.min_volume:,} interactions (eligible, or offered) and are left off the line.",
                charts.rates_chart(
                    line, target=data.service_level_target, min_volume=data.min_volume
                )
                if line.slots
                else None,
            ),
            _figure(
                "Handle time by queue: talk, hold and after-call work",
                "Per handled interaction: each part's total (tTalk, tHeld, tAcw sum) ÷ handled "
                "interactions (tHandle count), longest first.",
                charts.handle_chart(data.queue_handle, handle_names) if data.queue_handle else None,
            ),
            _figure(
                "Top wrap-up codes",
                "Handled interactions (tHandle count) by the wrap-up code the agent chose; daily "
                "buckets count when their day starts in the window.",
                charts.wrapup_chart(data.wrapups, dict(data.wrapup_names))
                if data.wrapups
                else None,
            ),
        ]
    )


def _agents(data: ReportData) -> str:
    head = "".join(
        f"<th>{h}</th>"
        for h in (
            "Agent",
            "Handled",
            "AHT per handled",
            "Talk per talk",
            "Hold per held",
            "Hold per handled",
            "ACW per ACW",
            "Transfers",
            *(_AGENT_TIME_HEADERS if data.agent_time.available else ()),
        )
    )
    rows = "".join(_agent_row(a, data.users, data.agent_time) for a in data.agents)
    note = (
        " Agent aggregates are not split by queue: the queue filter does not apply here."
        if data.scope.queue_ids
        else ""
    )
    body = (
        scroll(
            f'<table data-table="agents"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'
        )
        if rows
        else ('<p class="empty">No agent aggregates in the chosen window.</p>')
    )
    return (
        f'<section><h2>Agent league table</h2>{body}<p class="caption">Agents who handled most '
        "(tHandle count). Each average is a timer's sum ÷ its own count, so it is per interaction "
        "with that timer (hold per held interaction); hold per handled = tHeld sum ÷ tHandle count. "
        "Names shared by several agents carry their email. Daily buckets count when their day "
        f"starts in the window.{escape(note)}{_AGENT_TIME_NOTE if data.agent_time.available else ''}"
        "</p></section>"
    )


_AGENT_TIME_HEADERS = ("Logged in", "Occupancy", "Utilisation")
_AGENT_TIME_NOTE = (
    " Logged in (any presence but OFFLINE), occupancy and utilisation: the agent's time in the "
    "window from agent_interval_status, defined under Agent time below."
)


def _agent_row(agent: AgentRow, users: Mapping[str, str], agent_time: AgentTime) -> str:
    cells = [
        formats.count(agent.handled),
        formats.duration_ms(agent.aht_ms),
        formats.duration_ms(agent.talk_ms),
        formats.duration_ms(agent.hold_ms),
        formats.duration_ms(agent.hold_per_handled_ms),
        formats.duration_ms(agent.acw_ms),
        formats.count(agent.transfers),
    ]
    if agent_time.available:
        time = agent_time.totals.get(agent.user_id)
        cells += (
            [hours(time.logged_in_ms), formats.percent(time.occupancy),
             formats.percent(time.utilisation)]
            if time else [formats.DASH] * 3
        )  # fmt: skip
    name = escape(users.get(agent.user_id, agent.user_id))
    return f'<tr><th scope="row">{name}</th>{"".join(f"<td>{c}</td>" for c in cells)}</tr>'
