"""How the report writes numbers: counts with separators, percentages, durations in seconds.

Example::

    percent(0.1264)      # '12.6%'
    duration_ms(380_400) # '6 min 20 s'
"""

from __future__ import annotations

__all__ = ["DASH", "count", "decimal", "duration_ms", "percent", "seconds"]

DASH = "–"


def count(value: float | int | None) -> str:
    return DASH if value is None else f"{round(value):,}"


def percent(value: float | int | None) -> str:
    """A fraction (0..1) as a percentage with one decimal."""
    return DASH if value is None else f"{100 * float(value):.1f}%"


def duration_ms(value: float | int | None) -> str:
    """Milliseconds as whole seconds, with minutes from one minute up."""
    if value is None:
        return DASH
    total = round(float(value) / 1000)
    minutes, secs = divmod(total, 60)
    return f"{total} s" if minutes == 0 else f"{minutes} min {secs} s"


def seconds(value: float) -> str:
    """An axis value already in seconds."""
    return f"{value:,.0f} s"


def decimal(value: float | int | None) -> str:
    """A user KPI: two decimals (they are ratios or scores of unknown scale)."""
    return DASH if value is None else f"{float(value):,.2f}"
