"""Lookup listings (queues, users, wrap-up codes) in the entity-listing envelope (REFERENCE.md §8)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from gcexport.emulator.http import Call, Reply
from gcexport.emulator.org import Org
from gcexport.emulator.problems import bad_request, invalid_value

MAX_PAGE_SIZE = 500
_USER_STATES = ("active", "inactive", "deleted", "any")


def listing(call: Call, entities: list[dict[str, Any]], *, extra_query: str = "") -> dict[str, Any]:
    """Slice `entities` by pageSize/pageNumber and wrap them with the envelope and its URIs."""
    size, number = call.int_arg("pageSize", 25), call.int_arg("pageNumber", 1)
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise bad_request(f"The page size must be between 1 and {MAX_PAGE_SIZE}.")
    if number < 1:
        raise bad_request("The page number must be 1 or greater.")
    pages = max(1, math.ceil(len(entities) / size))

    def uri(page: int) -> str:
        return f"{call.path}?pageSize={size}&pageNumber={page}{extra_query}"

    body: dict[str, Any] = {
        "entities": entities[(number - 1) * size : number * size], "pageSize": size, "pageNumber": number,
        "total": len(entities),
    }  # fmt: skip
    if number < pages:
        body["nextUri"] = uri(number + 1)
    if number > 1:
        body["previousUri"] = uri(number - 1)
    body.update(firstUri=uri(1), lastUri=uri(pages), selfUri=uri(number), pageCount=pages)
    return body


def users(org: Org, state: str) -> list[dict[str, Any]]:
    """Users in `state` (`any` = all, including inactive and deleted)."""
    return [dict(u) for u in org.users if state == "any" or u["state"] == state]


def add_routes(
    routes: Any, org: Org, visible: Callable[[dict[str, Any] | None], bool] = lambda _: True
) -> None:
    """Register GET queues, users and wrap-up codes: those of the divisions `visible` admits (all
    division objects: a client sees only its role's divisions' ones, mode division-scoped)."""

    def get_queues(call: Call) -> Reply:  # deleted queues are not listed (§16 item 9)
        return Reply.json(
            listing(call, [q.entity() for q in org.listed_queues() if visible(q.division)])
        )

    def get_users(call: Call) -> Reply:
        state = call.arg("state", "active") or "active"
        if state not in _USER_STATES:
            raise invalid_value(state, "UserState", _USER_STATES)
        extra = "" if state == "active" else f"&state={state}"
        seen = [u for u in users(org, state) if visible(u["division"])]
        return Reply.json(listing(call, seen, extra_query=extra))

    def get_wrapups(call: Call) -> Reply:  # nor system codes such as ININ-WRAP-UP-TIMEOUT
        return Reply.json(listing(call, [dict(w) for w in org.wrapups if visible(w["division"])]))

    routes.add("GET", "/api/v2/routing/queues", get_queues)
    routes.add("GET", "/api/v2/users", get_users)
    routes.add("GET", "/api/v2/routing/wrapupcodes", get_wrapups)
