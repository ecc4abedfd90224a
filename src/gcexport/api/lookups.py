"""Lookups that name the ids in analytics data: queues, users (all states), wrap-up codes (REFERENCE.md §8).

Example::

    for page in iter_users(client):
        names.update({user["id"]: user["name"] for user in page.items})
"""

from __future__ import annotations

from collections.abc import Iterator

from gcexport.api.paging import iter_numbered_pages
from gcexport.client import GenesysClient, Page

__all__ = ["LOOKUP_PAGE_SIZE", "iter_queues", "iter_users", "iter_wrapup_codes"]

LOOKUP_PAGE_SIZE = (
    500  # REFERENCE.md §8: 500 commonly works (documented max only for divisionviews)
)


def iter_queues(client: GenesysClient, *, page_size: int = LOOKUP_PAGE_SIZE) -> Iterator[Page]:
    """Every routing queue, one page of entities at a time."""
    return iter_numbered_pages(client, "/api/v2/routing/queues", page_size=page_size)


def iter_users(
    client: GenesysClient, state: str = "any", *, page_size: int = LOOKUP_PAGE_SIZE
) -> Iterator[Page]:
    """Every user; ``state=any`` so deleted agents in historical data still resolve (§8)."""
    return iter_numbered_pages(
        client, "/api/v2/users", page_size=page_size, params={"state": state}
    )


def iter_wrapup_codes(
    client: GenesysClient, *, page_size: int = LOOKUP_PAGE_SIZE
) -> Iterator[Page]:
    """Every wrap-up code (segments carry their ids, REFERENCE.md §4.2)."""
    return iter_numbered_pages(client, "/api/v2/routing/wrapupcodes", page_size=page_size)
