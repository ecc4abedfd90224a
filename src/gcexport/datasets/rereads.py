"""Re-reading conversations that ended since the previous incremental run (REFERENCE.md §16 item 4).

Emails, messages and callbacks stay open for days, are re-opened, and get their wrap-up late. A
day is final once its conversations have ended by the watermark; an open one is exported without
its end and its day stays final, because one details query per incremental run — newest
`conversationEnd` first, paged only back to the previous run's re-read — finds the conversations
that ended since, and their days are exported again (by a job, which holds them by then).

Example::

    extra = reread_ended_days(ctx, due_days, dataset="conversation_details")
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from gcexport.api import details as details_api
from gcexport.datasets.base import ExportContext
from gcexport.models.queries import MAX_PAGING_RESULTS
from gcexport.state import State
from gcexport.timespan import Interval, Window, parse_timestamp

__all__ = ["REREAD_DAYS", "REREAD_MARGIN", "reread_ended_days"]

REREAD_DAYS = 31  # conversations re-read for a new end: the longest filtered query (§3.1)
REREAD_MARGIN = timedelta(minutes=5)  # ends this much before the previous run are read again
PAGE = 100


def reread_ended_days(ctx: ExportContext, due: list[Window], *, dataset: str) -> list[Window]:
    """Final days with a conversation that ended (again: re-opened, or first: long-lived) since
    the previous incremental run's re-read; they are marked provisional, so they stay due until
    exported.

    Ends are read up to the jobs' watermark, so the job that exports the day again holds the
    conversation; later ends wait for the next run (state `ended_through`).
    """
    state = ctx.state.load().dataset(dataset)
    through = min(ctx.watermark or ctx.now, ctx.now)
    since = state.ended_through - REREAD_MARGIN if state.ended_through else None
    # a state from before the re-read knows no history start: re-read from the mark on
    first = state.first_day or (state.final_through.date() if state.final_through else None)
    days: set[date] = set()
    if since is not None and first is not None and since < through:
        taken = {w.day for w in due}
        ends = _recent_ends(ctx, since, through, first)
        days = {d for d in ends if d >= first and d not in taken and state.is_final(d)}
        ctx.audit.write("details_reread", since=since.isoformat(), ended=len(ends), days=len(days))

    def remember(s: State) -> None:
        ds = s.dataset(dataset)
        ds.provisional.update(days)
        ds.first_day = ds.first_day or first
        ds.ended_through = max(through, ds.ended_through or through)

    ctx.state.update(remember)
    return [Window.for_day(d) for d in sorted(days)]


def _recent_ends(ctx: ExportContext, since: datetime, through: datetime, first: date) -> list[date]:
    """The start days of conversations that started on or after `first` (at most REREAD_DAYS
    back) and ended in [since, through), newest end first."""
    oldest = max(first, (ctx.now - timedelta(days=REREAD_DAYS - 1)).date())
    start = Window.for_day(oldest).start
    body: dict[str, Any] = {
        "interval": Interval.of(start, ctx.now).to_api(),
        "order": "desc",
        "orderBy": "conversationEnd",
        "conversationFilters": [
            {"type": "and", "predicates": [{"dimension": "conversationEnd", "operator": "exists"}]}
        ],
    }
    days: list[date] = []
    for number in range(1, MAX_PAGING_RESULTS // PAGE + 1):
        body["paging"] = {"pageSize": PAGE, "pageNumber": number}
        page = ctx.client.request(
            "POST", details_api.DETAILS_QUERY_PATH, json=body, items_key="conversations"
        )
        ctx.audit.page(endpoint="details/query", rows=0, context=page.context)
        for conversation in page.items:
            end = parse_timestamp(conversation["conversationEnd"])
            if end < since:
                return days
            if end < through:
                days.append(parse_timestamp(conversation["conversationStart"]).date())
        if len(page.items) < PAGE:
            break
    return days
