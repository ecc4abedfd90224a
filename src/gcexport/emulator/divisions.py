"""Divisions (REFERENCE.md §16 item 5): the org's divisions and those the client is permitted.

`GET /api/v2/authorization/divisions` lists every division; `GET
/api/v2/authorization/divisionspermitted/me?permission=…` answers a bare list of those the caller's
role grants. In mode `division-scoped` the client is granted only the home division — the case of
an OAuth client that silently exports a subset: every route then serves only what that division
covers (`Backend.divisions`): a conversation when any of its `divisionIds` is permitted (details
query, by-id, jobs, aggregates and the reporting exports built on them), the queues, users and
wrap-up codes of permitted divisions, and the agent time of those users. Another division's queue is
not found by id either (`GET /routing/queues/{id}` and its `/members`: 404 not.found, see
`lookups.find_queue` for why not 403). The division listing
itself stays whole (a client with `authorization:division:view` sees every division's name); a
client configured without that permission (`missing_permissions`) gets 403 for it.
"""

from __future__ import annotations

from typing import Any

from gcexport.emulator.config import EmulatorConfig
from gcexport.emulator.http import Call, Reply, Routes
from gcexport.emulator.lookups import listing
from gcexport.emulator.org import Org
from gcexport.emulator.problems import bad_request, missing_permissions


def entity(division: dict[str, str], *, home: bool) -> dict[str, Any]:
    """The AuthzDivision."""
    return {
        "id": division["id"],
        "name": division["name"],
        "description": f"{division['name']} division",
        "homeDivision": home,
        "selfUri": division["selfUri"],
    }


def permitted(org: Org, config: EmulatorConfig) -> list[dict[str, str]]:
    """The divisions the client's role grants."""
    return list(org.divisions[:1] if config.has("division-scoped") else org.divisions)


def add_routes(routes: Routes, org: Org, config: EmulatorConfig) -> None:
    """Register the division listing and the caller's permitted divisions."""

    def get_divisions(call: Call) -> Reply:
        if "authorization:division:view" in config.missing_permissions:
            raise missing_permissions("authorization:division:view")
        entities = [entity(d, home=i == 0) for i, d in enumerate(org.divisions)]
        return Reply.json(listing(call, entities))

    def get_permitted(call: Call) -> Reply:
        if not call.arg("permission"):
            raise bad_request("The query parameter [permission] is required.")
        home = org.divisions[0]["id"]
        return Reply.json([entity(d, home=d["id"] == home) for d in permitted(org, config)])

    routes.add("GET", "/api/v2/authorization/divisions", get_divisions)
    routes.add("GET", "/api/v2/authorization/divisionspermitted/me", get_permitted)
