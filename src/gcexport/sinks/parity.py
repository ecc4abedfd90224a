"""Row parity: for every (table, partition) the API's rows = the files' rows = the warehouse's rows.

Example::

    report = check_parity(api={("segments", d): 120}, files={("segments", d): 120},
                          warehouse={("segments", d): 119})
    report.raise_for_mismatch()   # ParityError (exit 3) with a table of what differs
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from gcexport.errors import ParityError

__all__ = ["ParityReport", "ParityRow", "check_parity"]

Key = tuple[str, "date | None"]
Counts = Mapping[Key, int]


@dataclass(frozen=True)
class ParityRow:
    """One partition's counts; a side that was not checked is None."""

    table: str
    partition_date: date | None
    api: int | None
    files: int | None
    warehouse: int | None

    @property
    def ok(self) -> bool:
        return len({n for n in (self.api, self.files, self.warehouse) if n is not None}) <= 1

    def to_dict(self) -> dict[str, Any]:
        day = self.partition_date.isoformat() if self.partition_date else None
        return {
            "table": self.table,
            "partition_date": day,
            "api": self.api,
            "files": self.files,
            "warehouse": self.warehouse,
        }


@dataclass(frozen=True)
class ParityReport:
    """Every compared partition; `ok` when all sides agree everywhere."""

    rows: list[ParityRow]

    @property
    def ok(self) -> bool:
        return all(row.ok for row in self.rows)

    @property
    def mismatches(self) -> list[ParityRow]:
        return [row for row in self.rows if not row.ok]

    def table(self, rows: list[ParityRow] | None = None) -> str:
        """A plain-text table of `rows` (default: the mismatches)."""
        shown = self.mismatches if rows is None else rows
        header = ("table", "date", "api", "files", "warehouse")
        cells = [header] + [
            (
                r.table,
                r.partition_date.isoformat() if r.partition_date else "-",
                *(_cell(n) for n in (r.api, r.files, r.warehouse)),
            )
            for r in shown
        ]
        widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
        return "\n".join(
            "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
            for row in cells
        )

    def raise_for_mismatch(self) -> None:
        """ParityError listing every partition whose counts differ."""
        if self.ok:
            return
        bad = self.mismatches
        raise ParityError(
            f"row counts differ in {len(bad)} partition(s):\n{self.table(bad)}",
            mismatches=[row.to_dict() for row in bad],
        )


def _cell(count: int | None) -> str:
    return "-" if count is None else str(count)


def check_parity(
    *, api: Counts, files: Counts | None = None, warehouse: Counts | None = None
) -> ParityReport:
    """Compare counts per (table, partition date); a side given as None is not checked.

    A partition missing from a checked side counts as 0 rows there.
    """
    keys = set(api) | set(files or {}) | set(warehouse or {})
    ordered = sorted(keys, key=lambda k: (k[0], k[1] or date.min))
    rows = [
        ParityRow(
            table,
            day,
            api.get((table, day), 0),
            _side(files, (table, day)),
            _side(warehouse, (table, day)),
        )
        for table, day in ordered
    ]
    return ParityReport(rows)


def _side(counts: Counts | None, key: Key) -> int | None:
    if counts is None:
        return None
    return counts.get(key, 0)
