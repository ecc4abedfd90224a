"""Lookup listings (queues, users, wrap-up codes) in the entity-listing envelope (REFERENCE.md §8),
and one queue by id.

A queue the listing leaves out is not found by id either (404 not.found): a deleted one, and one in a
division the client's role does not grant (mode division-scoped). REFERENCE.md §16 item 5 says such
a client "sees only those, silently" and documents no division-specific error; a 403 would tell it
that the queue exists, which the silent listing never does, so `find_queue` answers as for an id
that does not exist. Every per-queue route goes through it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from gcexport.emulator.http import Call, Reply
from gcexport.emulator.org import Org, Queue
from gcexport.emulator.problems import bad_request, invalid_value, not_found

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


Visible = Callable[[dict[str, Any] | None], bool]
"""Whether the client sees a division object of this division (`Backend.visible`)."""


def find_queue(org: Org, visible: Visible, queue_id: str) -> Queue:
    """The queue a per-queue route serves; 404 not.found when it does not exist, was deleted, or
    lies in a division the client cannot see (see the module docstring)."""
    queue = org.queue(queue_id)
    if queue is None or queue.id in org.deleted_queue_ids or not visible(queue.division):
        raise not_found()
    return queue


def add_routes(
    routes: Any, org: Org, visible: Callable[[dict[str, Any] | None], bool] = lambda _: True
) -> None:
    """Register GET queues (and one queue by id), users and wrap-up codes: those of the divisions
    `visible` admits (all division objects: a client sees only its role's divisions' ones, mode
    division-scoped)."""

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

    def get_queue(call: Call) -> Reply:
        return Reply.json(find_queue(org, visible, call.params["queueId"]).entity())

    routes.add("GET", "/api/v2/routing/queues", get_queues)
    routes.add("GET", "/api/v2/routing/queues/{queueId}", get_queue)
    routes.add("GET", "/api/v2/users", get_users)
    routes.add("GET", "/api/v2/routing/wrapupcodes", get_wrapups)
