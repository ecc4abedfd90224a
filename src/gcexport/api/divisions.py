"""Which divisions the client cannot see (REFERENCE.md §16 item 5, §13).

A client whose role grants only some divisions is served only those divisions' conversations,
queues, users and wrap-up codes — silently, and parity still passes (the counts come from the same
client). gcexport cannot see more, but it says so: `GET /api/v2/authorization/divisions` lists every
division (needs `authorization:division:view`), `GET
/api/v2/authorization/divisionspermitted/me?permission=…` those the caller's role grants for the
permission conversation details need. Two requests; a refused listing is reported, never fatal.

Example::

    seen = division_visibility(client)
    if seen.not_visible:
        print(seen.line())
"""

from __future__ import annotations

from dataclasses import dataclass

from gcexport.api.paging import iter_numbered_pages
from gcexport.client import GenesysClient
from gcexport.errors import ApiError, GcExportError

__all__ = ["DIVISIONS_PATH", "PERMISSION", "PERMITTED_PATH", "Divisions", "division_visibility"]

DIVISIONS_PATH = "/api/v2/authorization/divisions"
PERMITTED_PATH = "/api/v2/authorization/divisionspermitted/me"
PERMISSION = "analytics:conversationDetail:view"  # REFERENCE.md §13: what details (and jobs) need
_PAGE_SIZE = 100


@dataclass(frozen=True)
class Divisions:
    """Every division's name and those the client cannot see; `unknown` says why it could not tell."""

    every: tuple[str, ...] = ()
    not_visible: tuple[str, ...] = ()
    unknown: str | None = None

    def line(self) -> str:
        """One sentence for `check`, the run's summary and logs."""
        if self.unknown is not None:
            return f"could not tell which divisions the client cannot see: {self.unknown}"
        if self.not_visible:
            return (
                f"the client cannot see {len(self.not_visible)} of {len(self.every)} divisions "
                f"({', '.join(self.not_visible)}): their conversations, queues and users are not exported"
            )
        return f"the client sees all {len(self.every)} divisions"


def division_visibility(client: GenesysClient, permission: str = PERMISSION) -> Divisions:
    """The org's divisions against those permitted to the client; any failure becomes `unknown`."""
    try:
        every: dict[str, str] = {}
        for page in iter_numbered_pages(client, DIVISIONS_PATH, page_size=_PAGE_SIZE):
            every.update((str(d.get("id")), str(d.get("name"))) for d in page.items)
        answer = client.request("GET", PERMITTED_PATH, params={"permission": permission}).json()
    except GcExportError as exc:
        return Divisions(unknown=_why(exc))
    permitted = answer if isinstance(answer, list) else (answer or {}).get("entities") or []
    ids = {str(d.get("id")) for d in permitted if isinstance(d, dict)}
    return Divisions(
        tuple(every.values()), tuple(name for key, name in every.items() if key not in ids)
    )


def _why(exc: GcExportError) -> str:
    status = getattr(exc, "status", None) if isinstance(exc, ApiError) else None
    if status == 403:
        return "listing them was refused (HTTP 403: the client's role lacks authorization:division:view)"
    if status is not None:
        return f"listing them failed (HTTP {status})"
    return f"listing them failed ({type(exc).__name__})"
