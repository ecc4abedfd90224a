"""Ids the report shows without a name: queues deleted since, system wrap-up codes, gone agents.

A real org's aggregates reference queues `/routing/queues` no longer lists and system wrap-up codes
(`ININ-WRAP-UP-TIMEOUT`, REFERENCE.md §16 item 9) that no listing names. The report shows those
ids as they are (nothing is invented for them) and the data-quality panel counts them.

Example::

    unnamed = fetch_unnamed(source, scope, wrapup_names={}, users={})
    unnamed.queues  # ('a52cbf87-…',): in the window's aggregates, absent from the queues lookup
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from gcexport.kpi_report.scope import AGG, Scope, col
from gcexport.kpi_report.source import Source

__all__ = ["Unnamed", "fetch_unnamed"]


@dataclass(frozen=True)
class Unnamed:
    """The window's ids that have no name in the lookups, sorted, per kind."""

    queues: tuple[str, ...] = ()
    wrapup_codes: tuple[str, ...] = ()
    agents: tuple[str, ...] = ()

    @property
    def total(self) -> int:
        return len(self.queues) + len(self.wrapup_codes) + len(self.agents)


def fetch_unnamed(
    source: Source, scope: Scope, *, wrapup_names: Mapping[str, str], users: Mapping[str, str]
) -> Unnamed:
    """The queues, wrap-up codes and agents of the window's aggregates that no lookup names."""
    kinds = scope.kinds
    return Unnamed(
        queues=_missing(source, "queue_id", scope.where(kinds.queue), scope.queue_names),
        wrapup_codes=_missing(source, "wrap_up_code", _where(scope, kinds.wrapup), wrapup_names),
        agents=_missing(source, "user_id", _where(scope, kinds.agent, by_queue=False), users),
    )


def _where(scope: Scope, query_name: str | None, *, by_queue: bool = True) -> str | None:
    return None if query_name is None else scope.where(query_name, by_queue=by_queue)


def _missing(
    source: Source, column: str, where: str | None, names: Mapping[str, str]
) -> tuple[str, ...]:
    if where is None:
        return ()
    ids = source.query(
        f"select distinct {col(column)} from {AGG} where {where} and {col(column)} is not null"
    )
    return tuple(sorted({str(r[0]) for r in ids} - set(names)))
