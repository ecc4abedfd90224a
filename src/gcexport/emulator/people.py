"""The lookups that name agent-time ids (DATASETS.md §3): presence definitions, queue members, skills,
teams (cursor paging) and groups, built deterministically from the seed and the org. The divisions
of the dims pack are `divisions.py`'s listing (one route for the run's division check and the pack)."""

from __future__ import annotations

import base64
import binascii
import random
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from gcexport.emulator.agents import SYSTEM_PRESENCE_IDS
from gcexport.emulator.http import Call, Reply, Routes
from gcexport.emulator.lookups import Visible, find_queue, listing
from gcexport.emulator.org import Org
from gcexport.emulator.problems import bad_request, not_found
from gcexport.emulator.wire import new_uuid

# Presence definitions spell system presences differently from analytics (DATASETS.md §1.5).
DEFINITION_CASING = {
    "AVAILABLE": "Available", "AWAY": "Away", "BUSY": "Busy", "OFFLINE": "Offline", "IDLE": "Idle",
    "ON_QUEUE": "OnQueue", "MEAL": "Meal", "TRAINING": "Training", "MEETING": "Meeting", "BREAK": "Break",
}  # fmt: skip
_LABELS = {"ON_QUEUE": "On Queue"}
_CUSTOM = (("Lunch at desk", "MEAL"), ("Coaching", "TRAINING"), ("Team huddle", "MEETING"))
_SKILLS = ("English", "Spanish", "French", "Billing", "Mortgages", "Hardware", "Software",
           "Escalations", "Retention", "Sales", "VIP", "Claims")  # fmt: skip
_TEAMS = ("North", "South", "East", "West", "Night Owls", "Digital Squad", "Tier 2")
_GROUPS = (("All Agents", "official"), ("Team Leads", "official"), ("Bilingual", "official"),
           ("Social Club", "social"), ("Mentors", "social"))  # fmt: skip
_STAMP = "2025-02-03T10:15:00.000Z"
MAX_MEMBER_PAGE = 100  # queue members: "Max value is 100" (DATASETS.md §3)


@dataclass(frozen=True)
class People:
    """Everything the dims pack lists, derived from the org and the seed."""

    org: Org
    seed: int

    @cached_property
    def presence_definitions(self) -> list[dict[str, Any]]:
        rng = random.Random(f"presence-{self.seed}")
        home = self.org.divisions[0]["id"]
        rows = [(pid, system, "System", _LABELS.get(system, DEFINITION_CASING[system].title()))
                for system, pid in SYSTEM_PRESENCE_IDS.items()]  # fmt: skip
        rows += [(new_uuid(rng), system, "User", label) for label, system in _CUSTOM]
        return [
            {"id": pid, "name": label, "type": kind, "languageLabels": {"en_US": label},
             "systemPresence": DEFINITION_CASING[system], "divisionId": home, "deactivated": False,
             "selfUri": f"/api/v2/presence/definitions/{pid}"}
            for pid, system, kind, label in rows
        ]  # fmt: skip

    @cached_property
    def skills(self) -> list[dict[str, Any]]:
        rng = random.Random(f"skills-{self.seed}")
        return [
            {"id": sid, "name": name, "division": self.org.divisions[0], "dateModified": _STAMP,
             "state": "active", "version": str(rng.randint(1, 9)), "selfUri": f"/api/v2/routing/skills/{sid}"}
            for name in _SKILLS for sid in [new_uuid(rng)]
        ]  # fmt: skip

    @cached_property
    def teams(self) -> list[dict[str, Any]]:
        rng = random.Random(f"teams-{self.seed}")
        ids = [new_uuid(rng) for _ in _TEAMS]
        counts = [0] * len(ids)
        for index, _ in enumerate(self.org.users):
            counts[index % len(ids)] += 1
        return [
            {"id": tid, "name": name, "division": rng.choice(self.org.divisions),
             "description": f"Team {name}", "dateCreated": _STAMP, "dateModified": _STAMP,
             "memberCount": count, "selfUri": f"/api/v2/teams/{tid}"}
            for tid, name, count in zip(ids, _TEAMS, counts, strict=True)
        ]  # fmt: skip

    @cached_property
    def groups(self) -> list[dict[str, Any]]:
        rng = random.Random(f"groups-{self.seed}")
        return [
            {"id": gid, "name": name, "type": kind, "state": "active", "memberCount": rng.randint(3, 90),
             "visibility": "public", "dateModified": _STAMP, "version": rng.randint(1, 9),
             "selfUri": f"/api/v2/groups/{gid}"}
            for name, kind in _GROUPS for gid in [new_uuid(rng)]
        ]  # fmt: skip

    def queue_members(self, queue_id: str) -> list[dict[str, Any]]:
        queue = self.org.queue(queue_id)
        if queue is None:
            raise not_found()
        users = {u["id"]: u for u in self.org.users}
        return [
            {"id": uid, "name": users[uid]["name"], "user": {"id": uid, "name": users[uid]["name"],
             "selfUri": f"/api/v2/users/{uid}"}, "ringNumber": 1, "joined": True, "memberBy": "user",
             "selfUri": f"/api/v2/users/{uid}"}
            for uid in queue.member_ids
        ]  # fmt: skip


def _team_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"teams:{offset}".encode()).decode().rstrip("=")


def _team_offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        tag, value = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode().split(":")
        offset = int(value)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        tag, offset = "", -1
    if tag != "teams" or offset < 0:
        raise bad_request(f"The cursor [{cursor}] is not valid.")
    return offset


def teams_page(call: Call, teams: list[dict[str, Any]]) -> dict[str, Any]:
    """`GET /api/v2/teams`: cursor paging with `after`, no total (DATASETS.md §3)."""
    size = call.int_arg("pageSize", 25)
    if not 1 <= size <= 100:
        raise bad_request("The page size must be between 1 and 100.")
    offset = _team_offset(call.arg("after"))
    body: dict[str, Any] = {"entities": teams[offset : offset + size]}
    if offset + size < len(teams):
        body["nextUri"] = f"{call.path}?pageSize={size}&after={_team_cursor(offset + size)}"
    body["selfUri"] = f"{call.path}?pageSize={size}"
    return body


def add_routes(routes: Routes, people: People, visible: Visible = lambda _: True) -> None:
    """Register the dims listings (the divisions' is `divisions.add_routes`); a queue's members only
    for a queue the client may see (`lookups.find_queue`: else 404 not.found)."""

    def get_definitions(call: Call) -> Reply:
        defs = people.presence_definitions
        return Reply.json({"total": len(defs), "entities": defs, "selfUri": call.path})

    def get_members(call: Call) -> Reply:
        size = call.int_arg("pageSize", 25)
        if size > MAX_MEMBER_PAGE:
            raise bad_request(f"The page size must be between 1 and {MAX_MEMBER_PAGE}.")
        queue = find_queue(people.org, visible, call.params["queueId"])
        body = listing(call, people.queue_members(queue.id))
        for key in ("total", "lastUri", "pageCount"):  # QueueMemberEntityListing has none of them
            body.pop(key)
        return Reply.json(body)

    routes.add("GET", "/api/v2/presence/definitions", get_definitions)
    routes.add("GET", "/api/v2/routing/queues/{queueId}/members", get_members)
    routes.add("GET", "/api/v2/routing/skills", lambda c: Reply.json(listing(c, people.skills)))
    routes.add("GET", "/api/v2/teams", lambda c: Reply.json(teams_page(c, people.teams)))
    routes.add("GET", "/api/v2/groups", lambda c: Reply.json(listing(c, people.groups)))
