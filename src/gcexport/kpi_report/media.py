"""The per-media headline table: one row per media type beside the all-media total.

An all-media average mixes email (waits of half an hour) with voice (seconds), so the page shows
each media type's own numbers next to the total; each colour swatch is the media type's fixed
colour in the charts.

Example::

    html = media_table(BUILT_IN_BY_MEDIA, headline, [("voice", voice), ("email", email)], {})
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from html import escape

from gcexport.kpi_report import formats
from gcexport.kpi_report.charts import media_style
from gcexport.kpi_report.svg import PALETTE
from gcexport.transform.kpis import is_share

__all__ = ["BUILT_IN_BY_MEDIA", "Column", "media_table", "scroll"]

Values = Mapping[str, float | int | None]


@dataclass(frozen=True)
class Column:
    """A column of the table: its KPI key, header (saying per what for an average), formatter."""

    key: str
    header: str
    fmt: Callable[[float | int | None], str]


BUILT_IN_BY_MEDIA = [
    Column("offered", "Offered", formats.count),
    Column("answered", "Answered", formats.count),
    Column("abandon_rate", "Abandon rate", formats.percent),
    Column("service_level", "Service level", formats.percent),
    Column("avg_speed_of_answer_ms", "ASA per answered", formats.duration_ms),
    Column("avg_handle_ms", "AHT per handled", formats.duration_ms),
]


def _custom(name: str) -> Column:
    fmt = formats.percent if is_share(name) else formats.decimal
    return Column(name, name.replace("_", " ").capitalize(), fmt)


def scroll(inner: str) -> str:
    """A horizontal scroll container: wide tables and charts scroll on a phone, the page does not."""
    return f'<div class="scroll">{inner}</div>'


def media_table(
    columns: Sequence[Column],
    total: Values,
    by_media: Sequence[tuple[str, Values]],
    custom_kpis: Mapping[str, str],
) -> str:
    """The table as an HTML section: a row per media type (busiest first), then all media."""
    if not by_media:
        return ""
    cols = [
        *columns,
        *(_custom(name) for name in custom_kpis),
    ]
    head = "".join(
        f"<th>{escape(c.header)}</th>" for c in [Column("", "Media type", formats.count), *cols]
    )
    rows = [_row(media, values, cols, swatch=True) for media, values in by_media]
    rows.append(_row("All media", total, cols, swatch=False))
    table = (
        f'<table data-table="media"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )
    return (
        '<section aria-label="KPIs per media type"><h2>Per media type</h2>'
        f'{scroll(table)}<p class="caption">Each media type\'s own numbers (email waits are not '
        "voice waits); the last row is the headline above. Averages say per what: ASA per "
        "answered, AHT per handled interaction.</p></section>"
    )


def _row(media: str, values: Values, cols: Sequence[Column], *, swatch: bool) -> str:
    mark = ""
    if swatch:
        colour = PALETTE[media_style(media) % len(PALETTE)][0]
        mark = f'<span class="swatch" style="background:{colour}" aria-hidden="true"></span>'
    cells = "".join(
        f'<td data-col="{escape(c.key)}" data-value="{_raw(values.get(c.key))}">{escape(c.fmt(values.get(c.key)))}</td>'
        for c in cols
    )
    return (
        f'<tr data-media="{escape(media)}"><th scope="row">{mark}{escape(media)}</th>{cells}</tr>'
    )


def _raw(value: float | int | None) -> str:
    return "" if value is None else repr(value)
