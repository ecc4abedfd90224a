"""Impossible KPI values: a share (a built-in rate or a user KPI named `*_share`) outside [0, 1].

Checked over the window's total, each media type, and every queue × media type, so a
user KPI written as an average of averages (e.g. `avg_hold_ms / avg_handle_ms`) shows up in the
data-quality panel instead of passing for a share.

Example::

    flags = impossible_shares([("all media", headline), ("voice", voice_values)])
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from gcexport.transform.kpis import is_share

__all__ = ["KpiFlag", "impossible_shares"]


@dataclass(frozen=True)
class KpiFlag:
    """One share KPI whose values leave [0, 1]: how often, and the worst value and where."""

    kpi: str
    count: int
    checked: int
    worst: float
    where: str


def impossible_shares(
    rows: Sequence[tuple[str, Mapping[str, float | int | None]]],
) -> list[KpiFlag]:
    """One flag per share KPI with any value outside [0, 1], in the order the KPIs appear."""
    names = [n for n in (rows[0][1] if rows else {}) if is_share(n)]
    flags = []
    for name in names:
        present = [
            (where, float(v)) for where, values in rows if (v := values.get(name)) is not None
        ]
        bad = [(where, v) for where, v in present if not 0 <= v <= 1 or math.isnan(v)]
        if bad:
            where, worst = max(bad, key=lambda b: abs(b[1] - 0.5) if not math.isnan(b[1]) else 1e9)
            flags.append(KpiFlag(name, len(bad), len(present), worst, where))
    return flags
