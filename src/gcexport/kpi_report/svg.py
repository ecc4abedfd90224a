"""Chart primitives drawn as inline SVG: stacked columns, lines, horizontal (stacked) bars.

Every chart is `<svg class="chart" data-chart=NAME>` and every drawn datum carries `class="mark"`
and a `<title>` tooltip. Series differ by lightness *and* by pattern or dash, so a greyscale
print still tells them apart; axes carry their units.

Example::

    svg = stacked_columns(Frame("volume", "Hour starting (UTC)", "Interactions offered"),
                          ["00:00", "01:00"], [Series("voice", [3, 4]), Series("chat", [1, 0])])
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

__all__ = ["Frame", "Series", "bars", "line_chart", "nice_ticks", "stacked_columns"]

# (fill, pattern) pairs chosen for distinct greyscale lightness (dark → light) plus a texture.
PALETTE = [
    ("#1b3a6b", "solid"),
    ("#e69f00", "hatch"),
    ("#8fc4e8", "dots"),
    ("#6a3d9a", "cross"),
    ("#f0e442", "lines"),
    ("#3f8f5a", "hatch2"),
    ("#c9c9c9", "dots2"),
]
DASHES = ["", "7 4", "2 3", "10 3 2 3"]
W, PAD_L, PAD_R, PAD_T, PAD_B = 960, 78, 24, 44, 58
LEFT, ROW_H = 210, 26  # horizontal bars: room for the row labels, height of one row

Fmt = Callable[[float], str]


@dataclass(frozen=True)
class Series:
    """One named row of values, one per category.

    `style` fixes the series' palette entry (e.g. one colour per media type in every report);
    `volume[i]` is how many interactions the value rests on: a line point below `min_volume`
    is drawn hollow, off the line, and its tooltip says so.
    """

    name: str
    values: Sequence[float | None]
    style: int | None = None
    volume: Sequence[float] = ()


def _style(series: Series, index: int) -> int:
    return index if series.style is None else series.style


@dataclass(frozen=True)
class Frame:
    """A chart's identity and axis titles (with units)."""

    chart_id: str
    x_label: str
    y_label: str
    height: int = 340


def nice_ticks(top: float, count: int = 5) -> list[float]:
    """Round tick values from 0 to at least `top` (1-2-5 steps)."""
    if top <= 0:
        return [0.0, 1.0]
    raw = top / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    steps = math.ceil(top / step)
    steps += 1 if steps * step < top else 0  # float rounding must not leave the top uncovered
    return [i * step for i in range(steps + 1)]


def _num(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 10 or value == int(value) else f"{value:.1f}"


def _defs(chart_id: str) -> str:
    patterns = {
        "solid": "",
        "hatch": '<path d="M0,8 L8,0" stroke="#000" stroke-opacity=".55" stroke-width="1.4"/>',
        "dots": '<circle cx="4" cy="4" r="1.5" fill="#000" fill-opacity=".55"/>',
        "cross": '<path d="M0,0 L8,8 M8,0 L0,8" stroke="#fff" stroke-opacity=".7" stroke-width="1.2"/>',
        "lines": '<path d="M0,4 L8,4" stroke="#000" stroke-opacity=".5" stroke-width="1.2"/>',
        "hatch2": '<path d="M0,0 L8,8" stroke="#fff" stroke-opacity=".7" stroke-width="1.4"/>',
        "dots2": '<circle cx="4" cy="4" r="2" fill="#fff"/>',
    }
    out = [
        f'<pattern id="{chart_id}-p{i}" width="8" height="8" patternUnits="userSpaceOnUse">'
        f'<rect width="8" height="8" fill="{fill}"/>{patterns[kind]}</pattern>'
        for i, (fill, kind) in enumerate(PALETTE)
    ]
    return f"<defs>{''.join(out)}</defs>"


def _fill(chart_id: str, index: int) -> str:
    return f"url(#{chart_id}-p{index % len(PALETTE)})"


def _open(frame: Frame, title: str) -> list[str]:
    h = frame.height
    return [
        f'<svg class="chart" data-chart="{escape(frame.chart_id)}" viewBox="0 0 {W} {h}" '
        f'width="100%" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        _defs(frame.chart_id),
    ]


def _legend(frame: Frame, series: Sequence[Series], *, lines: bool = False, extra: str = "") -> str:
    parts, x = [], PAD_L
    for i, s in enumerate(series):
        k = _style(s, i)
        if lines:
            parts.append(_legend_line(x, k))
            x += 10
        else:
            parts.append(
                f'<rect x="{x}" y="12" width="16" height="14" fill="{_fill(frame.chart_id, k)}" '
                'stroke="#333" stroke-width=".6"/>'
            )
        parts.append(f'<text class="legend" x="{x + 22}" y="24">{escape(s.name)}</text>')
        x += 44 + 8 * len(s.name)
    if extra:
        parts.append(_marker("hollow", x + 6, 19, "#333", ""))
        parts.append(f'<text class="legend" x="{x + 16}" y="24">{escape(extra)}</text>')
    return "".join(parts)


def _legend_line(x: int, index: int) -> str:
    colour = PALETTE[index % len(PALETTE)][0]
    dash = DASHES[index % len(DASHES)]
    shape = "circle" if index % 2 == 0 else "rect"
    # the sample repeats the line's dash and marker shape, so the key works in greyscale too
    return (
        f'<line x1="{x}" y1="19" x2="{x + 28}" y2="19" stroke="{colour}" stroke-width="2.4" '
        f'stroke-dasharray="{dash}"/>' + _marker(shape, x + 14, 19, colour, "")
    )


def _y_axis(frame: Frame, ticks: list[float], fmt: Fmt) -> list[str]:
    h, top = frame.height, ticks[-1]
    out = []
    for tick in ticks:
        y = PAD_T + (h - PAD_T - PAD_B) * (1 - tick / top)
        out.append(
            f'<line class="grid" x1="{PAD_L}" x2="{W - PAD_R}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text class="tick" x="{PAD_L - 6}" y="{y + 4:.1f}" text-anchor="end">{escape(fmt(tick))}</text>'
        )
    mid = PAD_T + (h - PAD_T - PAD_B) / 2
    out.append(
        f'<text class="axis-title" transform="translate(16,{mid:.0f}) rotate(-90)" '
        f'text-anchor="middle">{escape(frame.y_label)}</text>'
    )
    return out


def _x_labels(frame: Frame, categories: Sequence[str], slot: float) -> list[str]:
    every = max(1, math.ceil(len(categories) / 12))
    base = frame.height - PAD_B
    out = [
        f'<text class="tick" x="{PAD_L + slot * (i + 0.5):.1f}" y="{base + 16}" '
        f'text-anchor="middle">{escape(label)}</text>'
        for i, label in enumerate(categories)
        if i % every == 0
    ]
    out.append(
        f'<line class="axis" x1="{PAD_L}" x2="{W - PAD_R}" y1="{base}" y2="{base}"/>'
        f'<text class="axis-title" x="{(PAD_L + W - PAD_R) / 2:.0f}" y="{frame.height - 10}" '
        f'text-anchor="middle">{escape(frame.x_label)}</text>'
    )
    return out


def stacked_columns(
    frame: Frame, categories: Sequence[str], series: Sequence[Series], *, fmt: Fmt = _num
) -> str:
    """Vertical columns per category, one stacked segment per series (zero segments skipped)."""
    totals = [sum(s.values[i] or 0 for s in series) for i in range(len(categories))]
    ticks = nice_ticks(max(totals, default=0))
    slot = (W - PAD_L - PAD_R) / max(1, len(categories))
    scale = (frame.height - PAD_T - PAD_B) / ticks[-1]
    out = _open(frame, f"{frame.y_label} by {frame.x_label}")
    out += _y_axis(frame, ticks, fmt)
    for i, label in enumerate(categories):
        values = [s.values[i] or 0.0 for s in series]
        out += _column(
            frame,
            label,
            values,
            series,
            x=PAD_L + slot * i,
            slot=slot,
            scale=scale,
            fmt=fmt,
        )
    out += _x_labels(frame, categories, slot)
    out.append(_legend(frame, series))
    return "".join(out) + "</svg>"


def _column(
    frame: Frame,
    label: str,
    values: list[float],
    series: Sequence[Series],
    *,
    x: float,
    slot: float,
    scale: float,
    fmt: Fmt,
) -> list[str]:
    """One stacked column; zero or negative segments are not drawn."""
    out, y = [], float(frame.height - PAD_B)
    for k, (value, s) in enumerate(zip(values, series, strict=True)):
        if value <= 0:
            continue
        height = value * scale
        y -= height
        out.append(
            f'<rect class="mark" x="{x + slot * 0.12:.1f}" y="{y:.1f}" width="{slot * 0.76:.1f}" '
            f'height="{height:.1f}" fill="{_fill(frame.chart_id, _style(s, k))}">'
            f"<title>{escape(label)} · {escape(s.name)}: {escape(fmt(value))}</title></rect>"
        )
    return out


def line_chart(
    frame: Frame,
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    top: float,
    fmt: Fmt = _num,
    reference: tuple[str, float] | None = None,
    min_volume: float = 0,
) -> str:
    """One line per series with point markers; gaps where a value is None; optional reference line.

    Points resting on fewer than `min_volume` interactions are hollow and break the line.
    """
    ticks = nice_ticks(top)
    slot = (W - PAD_L - PAD_R) / max(1, len(categories))
    plot_h = frame.height - PAD_T - PAD_B

    def y_of(v: float) -> float:
        return PAD_T + plot_h * (1 - v / ticks[-1])

    out = _open(frame, f"{frame.y_label} by {frame.x_label}")
    out += _y_axis(frame, ticks, fmt)
    if reference is not None:
        out.append(_reference(reference, y_of(reference[1])))
    low_any = False
    for k, s in enumerate(series):
        points = [
            Point(i, PAD_L + slot * (i + 0.5), y_of(v), v, categories[i])
            for i, v in enumerate(s.values)
            if v is not None
        ]
        low = {p.index for p in points if s.volume and s.volume[p.index] < min_volume}
        low_any = low_any or bool(low)
        solid = [p for p in points if p.index not in low]
        out.append(_polyline(_style(s, k), s.name, solid, fmt))
        out += [_low_point(_style(s, k), s, p, fmt) for p in points if p.index in low]
    out += _x_labels(frame, categories, slot)
    extra = f"fewer than {min_volume:,.0f} interactions" if low_any else ""
    out.append(_legend(frame, series, lines=True, extra=extra))
    return "".join(out) + "</svg>"


def _low_point(style: int, s: Series, p: Point, fmt: Fmt) -> str:
    colour = PALETTE[style % len(PALETTE)][0]
    tip = (
        f"{p.label} · {s.name}: {fmt(p.value)} (low volume: {s.volume[p.index]:,.0f} interactions)"
    )
    return _marker("hollow", p.x, p.y, colour, tip, low=True)


def _reference(reference: tuple[str, float], y: float) -> str:
    label, _ = reference
    return (
        f'<line class="reference" x1="{PAD_L}" x2="{W - PAD_R}" y1="{y:.1f}" y2="{y:.1f}"/>'
        f'<text class="tick" x="{W - PAD_R}" y="{y - 4:.1f}" text-anchor="end">{escape(label)}</text>'
    )


@dataclass(frozen=True)
class Point:
    """A drawn value of a line: its category index and label, position and value."""

    index: int
    x: float
    y: float
    value: float
    label: str


def _path(points: list[Point]) -> str:
    """Line segments between neighbouring categories; a missing value breaks the line."""
    steps = [
        f"{'L' if i and p.index == points[i - 1].index + 1 else 'M'}{p.x:.1f},{p.y:.1f}"
        for i, p in enumerate(points)
    ]
    return " ".join(steps)


def _polyline(index: int, name: str, points: list[Point], fmt: Fmt) -> str:
    if not points:
        return ""
    colour, dash = PALETTE[index % len(PALETTE)][0], DASHES[index % len(DASHES)]
    shape = "circle" if index % 2 == 0 else "rect"
    markers = "".join(
        _marker(shape, p.x, p.y, colour, f"{p.label} · {name}: {fmt(p.value)}") for p in points
    )
    return (
        f'<path class="mark line" d="{_path(points)}" fill="none" stroke="{colour}" '
        f'stroke-width="2.4" stroke-dasharray="{dash}"><title>{escape(name)}</title></path>{markers}'
    )


def _marker(shape: str, x: float, y: float, colour: str, tip: str, *, low: bool = False) -> str:
    """A point of a line (class "mark", with a tooltip), or without `tip` a legend sample."""
    title = f"<title>{escape(tip)}</title>" if tip else ""
    mark = (' class="mark low"' if low else ' class="mark"') if tip else ""
    if shape == "hollow":
        return (
            f'<circle{mark} cx="{x:.1f}" cy="{y:.1f}" r="4" fill="#fff" stroke="{colour}" '
            f'stroke-width="1.4" stroke-dasharray="2 1.5">{title}</circle>'
        )
    if shape == "circle":
        return f'<circle{mark} cx="{x:.1f}" cy="{y:.1f}" r="3.2" fill="{colour}">{title}</circle>'
    return (
        f'<rect{mark} x="{x - 3:.1f}" y="{y - 3:.1f}" width="6" height="6" fill="#fff" '
        f'stroke="{colour}" stroke-width="1.6">{title}</rect>'
    )


def bars(frame: Frame, labels: Sequence[str], series: Sequence[Series], *, fmt: Fmt = _num) -> str:
    """Horizontal bars, one row per label, stacked when there are several series; totals at the end."""
    top = PAD_T if len(series) > 1 else 12  # room for the legend only when there is one
    sized = Frame(frame.chart_id, frame.x_label, frame.y_label, top + PAD_B + ROW_H * len(labels))
    totals = [sum(s.values[i] or 0 for s in series) for i in range(len(labels))]
    ticks = nice_ticks(max(totals, default=0))
    scale = (W - LEFT - PAD_R - 60) / ticks[-1]
    out = _open(sized, f"{frame.x_label} by {frame.y_label}")
    out += _x_ticks(sized, ticks, top, scale, fmt)
    for i, label in enumerate(labels):
        y = top + ROW_H * i
        out += _bar_row(sized, series, i, label, scale=scale, y=y, fmt=fmt)
        out.append(
            f'<text class="value" x="{LEFT + totals[i] * scale + 6:.1f}" y="{y + 17}">'
            f"{escape(fmt(totals[i]))}</text>"
        )
    if len(series) > 1:
        out.append(_legend(sized, series))
    return "".join(out) + "</svg>"


def _bar_row(
    frame: Frame,
    series: Sequence[Series],
    i: int,
    label: str,
    *,
    scale: float,
    y: int,
    fmt: Fmt,
) -> list[str]:
    out = [
        f'<text class="tick" x="{LEFT - 8}" y="{y + 17}" text-anchor="end">{escape(label[:30])}</text>'
    ]
    x = float(LEFT)
    for k, s in enumerate(series):
        value = s.values[i] or 0
        if value <= 0:
            continue
        out.append(
            f'<rect class="mark" x="{x:.1f}" y="{y + 4}" width="{value * scale:.1f}" height="18" '
            f'fill="{_fill(frame.chart_id, _style(s, k))}" stroke="#333" stroke-width=".4">'
            f"<title>{escape(label)} · {escape(s.name)}: {escape(fmt(value))}</title></rect>"
        )
        x += value * scale
    return out


def _x_ticks(frame: Frame, ticks: list[float], top: int, scale: float, fmt: Fmt) -> list[str]:
    base = frame.height - PAD_B
    out = [
        f'<line class="grid" x1="{LEFT + t * scale:.1f}" x2="{LEFT + t * scale:.1f}" y1="{top}" y2="{base}"/>'
        f'<text class="tick" x="{LEFT + t * scale:.1f}" y="{base + 16}" text-anchor="middle">{escape(fmt(t))}</text>'
        for t in ticks
    ]
    out.append(
        f'<text class="axis-title" x="{(LEFT + W - PAD_R) / 2:.0f}" y="{frame.height - 12}" '
        f'text-anchor="middle">{escape(frame.x_label)}</text>'
    )
    return out
