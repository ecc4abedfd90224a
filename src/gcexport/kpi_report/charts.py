"""The report's charts: query results turned into series and drawn with `svg`.

Time runs in the configured time zone; buckets with no data are drawn as zero (volume) or a gap
(rates), and windows longer than four days of hourly data are shown per day.

Example::

    html = volume_chart(timeline(buckets, scope))
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from gcexport.config import parse_duration
from gcexport.errors import ConfigError
from gcexport.kpi_report import formats
from gcexport.kpi_report.queries import BucketRow, QueueHandle
from gcexport.kpi_report.scope import Scope
from gcexport.kpi_report.svg import Frame, Series, bars, line_chart, stacked_columns

__all__ = [
    "MEDIA_STYLES",
    "Timeline",
    "handle_chart",
    "media_style",
    "rates_chart",
    "timeline",
    "volume_chart",
    "wrapup_chart",
]

MAX_COLUMNS = 96
# One palette entry per media type, the same in every report (never by volume rank).
MEDIA_STYLES = {"voice": 0, "chat": 1, "email": 2, "message": 3, "callback": 4, "video": 5}
OTHER_STYLE = 6


def media_style(media_type: str) -> int:
    """The fixed palette index of a media type (one shared index for rare and unknown types)."""
    return MEDIA_STYLES.get(media_type, OTHER_STYLE)


@dataclass(frozen=True)
class Slot:
    """One column of the time axis: its label and the totals of the buckets that fall in it."""

    label: str
    offered: dict[str, int]
    abandoned: int
    sl_numerator: float
    sl_denominator: float


@dataclass(frozen=True)
class Timeline:
    """The time axis in the configured zone, and what each slot holds."""

    unit: str  # "Hour starting" or "Day"
    time_zone: str
    slots: list[Slot]
    media: list[str]


def timeline(buckets: Sequence[BucketRow], scope: Scope) -> Timeline:
    """Buckets grouped into hour (or, for long windows, day) slots of local time, gaps filled."""
    step = _step(scope.kinds.granularity)
    starts = _every_start(buckets, step)
    daily = len(starts) > MAX_COLUMNS or step >= timedelta(days=1)
    labels: dict[object, str] = {}
    for start in starts:
        key, label = _slot_key(start, scope.zone, daily=daily)
        labels.setdefault(key, label)
    grouped: dict[object, list[BucketRow]] = defaultdict(list)
    for row in buckets:
        grouped[_slot_key(row.interval_start, scope.zone, daily=daily)[0]].append(row)
    slots = [_slot(label, grouped.get(key, [])) for key, label in labels.items()]
    unit = "Day" if daily else "Hour starting"
    return Timeline(unit=unit, time_zone=scope.time_zone, slots=slots, media=_media(buckets))


def _slot_key(moment: datetime, zone: ZoneInfo, *, daily: bool) -> tuple[object, str]:
    """Hours are keyed by their instant (so the repeated hour of a DST change stays two slots)."""
    local = moment.astimezone(zone)
    if daily:
        return local.date(), local.strftime("%a %d %b")
    return moment, local.strftime("%a %H:%M")


def _media(buckets: Sequence[BucketRow]) -> list[str]:
    """Media types in their fixed order (the same stacking and colours in every report)."""
    return sorted({row.media_type for row in buckets}, key=lambda m: (media_style(m), m))


def _step(granularity: str) -> timedelta:
    try:
        return parse_duration(granularity)
    except ConfigError:
        return timedelta(days=1)


def _every_start(buckets: Sequence[BucketRow], step: timedelta) -> list[datetime]:
    if not buckets:
        return []
    first, last = buckets[0].interval_start, max(b.interval_start for b in buckets)
    count = min(int((last - first) / step) + 1, 24 * 400)
    return [first + step * i for i in range(count)]


def _slot(label: str, rows: list[BucketRow]) -> Slot:
    offered: dict[str, int] = defaultdict(int)
    for row in rows:
        offered[row.media_type] += row.offered
    return Slot(
        label=label,
        offered=dict(offered),
        abandoned=sum(r.abandoned for r in rows),
        sl_numerator=sum(r.sl_numerator for r in rows),
        sl_denominator=sum(r.sl_denominator for r in rows),
    )


def volume_chart(line: Timeline) -> str:
    """Offered interactions per slot, stacked by media type."""
    series = [
        Series(m, [s.offered.get(m, 0) for s in line.slots], style=media_style(m))
        for m in line.media
    ]
    per = "hour" if line.unit.startswith("Hour") else "day"
    frame = Frame(
        "volume_by_hour", f"{line.unit} ({line.time_zone})", f"Interactions offered per {per}"
    )
    return stacked_columns(frame, [s.label for s in line.slots], series, fmt=formats.count)


def rates_chart(line: Timeline, *, target: float | None, min_volume: int = 0) -> str:
    """Service level and abandon rate per slot, in percent, with the service-level target.

    A point resting on fewer than `min_volume` interactions (eligible for the service level,
    offered for the abandon rate) is marked as low volume.
    """
    service = [_pct(s.sl_numerator, s.sl_denominator) for s in line.slots]
    offered = [float(sum(s.offered.values())) for s in line.slots]
    abandon = [_pct(s.abandoned, n) for s, n in zip(line.slots, offered, strict=True)]
    series = [
        Series("Service level", service, volume=[s.sl_denominator for s in line.slots]),
        Series("Abandon rate", abandon, volume=offered),
    ]
    frame = Frame(
        "service_level_by_interval",
        f"{line.unit} ({line.time_zone})",
        "Percent of interactions (%)",
    )
    reference = (
        None if target is None else (f"Service-level target {100 * target:.0f}%", 100 * target)
    )
    return line_chart(
        frame,
        [s.label for s in line.slots],
        series,
        top=100,
        fmt=lambda v: f"{v:.0f}%",
        reference=reference,
        min_volume=min_volume,
    )


def _pct(numerator: float, denominator: float) -> float | None:
    return None if not denominator else 100 * numerator / denominator


def handle_chart(rows: Sequence[QueueHandle], names: dict[str, str]) -> str:
    """Talk, hold and after-call work per handled interaction, one stacked bar per queue."""
    labels = [names.get(r.queue_id, r.queue_id) for r in rows]
    series = [
        Series("Talk", [r.talk_ms / 1000 for r in rows]),
        Series("Hold", [r.hold_ms / 1000 for r in rows]),
        Series("After-call work", [r.acw_ms / 1000 for r in rows]),
    ]
    frame = Frame("handle_time_by_queue", "Seconds per handled interaction (s)", "Queue")
    return bars(frame, labels, series, fmt=formats.seconds)


def wrapup_chart(rows: Sequence[tuple[str, int]], names: dict[str, str]) -> str:
    """The most used wrap-up codes, by handled interactions."""
    labels = [names.get(code, code) for code, _ in rows]
    series = [Series("Handled interactions", [n for _, n in rows])]
    frame = Frame("top_wrapup_codes", "Handled interactions (count)", "Wrap-up code")
    return bars(frame, labels, series, fmt=formats.count)
