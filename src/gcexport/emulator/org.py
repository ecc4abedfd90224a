"""The synthetic contact-centre org: divisions, queues, agents, wrap-up codes, IVR flows and DNIS numbers.

Like a real org (REFERENCE.md §16 item 9) it has ids no listing names: a few queues were deleted
(conversations still reference them; `/routing/queues` does not list them), and system wrap-up
codes with non-UUID ids (`ININ-OUTBOUND-PREVIEW-SKIPPED`, `ININ-WRAP-UP-TIMEOUT`) end some agent
legs while `/routing/wrapupcodes` lists only the org's own codes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from gcexport.emulator.wire import new_uuid

_QUEUE_NAMES = (
    "Billing", "Sales - Voice", "Sales - Digital", "Technical Support", "Customer Care",
    "Retentions", "Collections", "Claims", "Onboarding", "VIP Support", "Appointments",
    "Returns", "Fraud", "Escalations", "Partners", "Renewals", "Account Changes", "Outage Line",
    "Spanish Line", "Priority Care", "Enterprise", "Small Business", "Orders", "Logistics",
    "Warranty", "Insurance", "Moves", "Payments", "Feedback", "Loyalty",
)  # fmt: skip
_WRAPUP_NAMES = (
    "Resolved", "Follow-up Required", "Escalated", "Payment Taken", "Information Only",
    "Sale Completed", "No Sale", "Complaint", "Wrong Number", "Transferred", "Callback Booked",
    "Account Updated", "Technical Fix", "Cancelled Service", "Other",
)  # fmt: skip
_FIRST = ("Alex", "Sam", "Jordan", "Taylor", "Morgan", "Casey", "Riley", "Jamie", "Avery", "Quinn",
          "Robin", "Drew", "Kai", "Noa", "Lee", "Ari", "Eden", "Rowan", "Sky", "Jules")  # fmt: skip
_LAST = ("Garcia", "Smith", "Nguyen", "Okafor", "Rossi", "Kowalski", "Silva", "Tanaka", "Murphy",
         "Dubois", "Schmidt", "Haddad", "Larsen", "Patel", "Cohen", "Novak", "Reyes", "Brown")  # fmt: skip
_DIVISIONS = ("Home", "Consumer", "Business")
_FLOWS = ("Main IVR", "Billing IVR", "Support IVR", "After Hours IVR")
_CREATED = "2024-01-15T09:30:00.000Z"
DELETED_QUEUES = 2  # queues deleted since: referenced by conversations, listed nowhere
PREVIEW_SKIPPED = "ININ-OUTBOUND-PREVIEW-SKIPPED"  # an agent skipped an outbound preview
WRAPUP_TIMEOUT = "ININ-WRAP-UP-TIMEOUT"  # the wrap-up timer ran out before the agent chose
SYSTEM_WRAPUP_CODES = (PREVIEW_SKIPPED, WRAPUP_TIMEOUT)
_MODIFIED = "2025-06-02T14:12:45.120Z"


@dataclass(frozen=True)
class Queue:
    """A routing queue and the media service levels conversations are judged against."""

    id: str
    name: str
    division: dict[str, str]
    sl_percentage: float
    sl_duration_ms: int
    member_ids: tuple[str, ...]
    wrapup_ids: tuple[str, ...]

    def entity(self) -> dict[str, Any]:
        """The `/api/v2/routing/queues` entity (REFERENCE.md §8)."""
        media = {"alertingTimeoutSeconds": 8, "serviceLevel": self.service_level()}
        email = {
            "alertingTimeoutSeconds": 300,
            "serviceLevel": {"percentage": self.sl_percentage, "durationMs": 86_400_000},
        }
        return {
            "id": self.id, "name": self.name, "division": self.division,
            "description": f"{self.name} queue", "dateCreated": _CREATED, "dateModified": _MODIFIED,
            "memberCount": len(self.member_ids), "userMemberCount": len(self.member_ids),
            "joinedMemberCount": len(self.member_ids),
            "mediaSettings": {"call": media, "callback": media, "chat": media, "email": email, "message": media},
            "acwSettings": {"wrapupPrompt": "MANDATORY_TIMEOUT", "timeoutMs": 60000},
            "skillEvaluationMethod": "BEST",
            "selfUri": f"/api/v2/routing/queues/{self.id}",
        }  # fmt: skip

    def service_level(self) -> dict[str, Any]:
        return {"percentage": self.sl_percentage, "durationMs": self.sl_duration_ms}


@dataclass(frozen=True)
class Org:
    """Everything named in conversations, built once per seed."""

    divisions: tuple[dict[str, str], ...]
    queues: tuple[Queue, ...]
    users: tuple[dict[str, Any], ...]
    wrapups: tuple[dict[str, Any], ...]
    flows: tuple[dict[str, str], ...]
    dnis: tuple[str, ...]
    deleted_queue_ids: frozenset[str] = frozenset()  # in `queues`, used by conversations, unlisted

    def queue(self, queue_id: str) -> Queue | None:
        """The queue with this id, if any (deleted ones included)."""
        return next((q for q in self.queues if q.id == queue_id), None)

    def listed_queues(self) -> tuple[Queue, ...]:
        """The queues `/routing/queues` lists: every queue but the deleted ones."""
        return tuple(q for q in self.queues if q.id not in self.deleted_queue_ids)


def build_org(seed: int) -> Org:
    """A deterministic org for `seed`: 3 divisions, 12–24 queues, 200–320 users, 15 wrap-up codes."""
    rng = random.Random(f"org-{seed}")
    divisions = tuple(_division(rng, name) for name in _DIVISIONS)
    users = tuple(_user(rng, i, divisions) for i in range(rng.randint(200, 320)))
    # wrap-up codes are division objects too: most in the home division, every fifth elsewhere
    wrapups = tuple(
        _wrapup(rng, name, divisions[0] if i % 5 else divisions[i // 5 % len(divisions)])
        for i, name in enumerate(_WRAPUP_NAMES)
    )
    active = [u["id"] for u in users if u["state"] == "active"]
    queues = tuple(
        _queue(rng, name, divisions, active, wrapups)
        for name in rng.sample(_QUEUE_NAMES, rng.randint(12, 24))
    )
    flows = tuple(
        {"flowId": new_uuid(rng), "flowName": name, "flowVersion": f"{rng.randint(2, 40)}.0"}
        for name in _FLOWS
    )
    dnis = tuple(f"tel:+1555{rng.randint(1000000, 9999999)}" for _ in range(6))
    # a stream of its own, so the org and every conversation stay as they were before
    deleted = random.Random(f"org-{seed}-deleted").sample(queues, DELETED_QUEUES)
    return Org(divisions, queues, users, wrapups, flows, dnis, frozenset(q.id for q in deleted))


def _division(rng: random.Random, name: str) -> dict[str, str]:
    division_id = new_uuid(rng)
    return {
        "id": division_id,
        "name": name,
        "selfUri": f"/api/v2/authorization/divisions/{division_id}",
    }


def _user(rng: random.Random, index: int, divisions: tuple[dict[str, str], ...]) -> dict[str, Any]:
    user_id = new_uuid(rng)
    name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
    email = f"{name.lower().replace(' ', '.')}.{index:03d}@example.com"
    draw = rng.random()
    state = "deleted" if draw < 0.04 else "inactive" if draw < 0.12 else "active"
    return {
        "id": user_id, "name": name, "division": rng.choice(divisions), "email": email,
        "state": state, "title": "Team Lead" if index % 12 == 0 else "Contact Center Agent",
        "username": email, "version": rng.randint(1, 40), "selfUri": f"/api/v2/users/{user_id}",
    }  # fmt: skip


def _wrapup(rng: random.Random, name: str, division: dict[str, str]) -> dict[str, Any]:
    code_id = new_uuid(rng)
    return {
        "id": code_id, "name": name, "division": division, "dateCreated": _CREATED,
        "createdBy": "00000000-0000-4000-8000-000000000001", "selfUri": f"/api/v2/routing/wrapupcodes/{code_id}",
    }  # fmt: skip


def _queue(
    rng: random.Random,
    name: str,
    divisions: tuple[dict[str, str], ...],
    active: list[str],
    wrapups: tuple[dict[str, Any], ...],
) -> Queue:
    members = tuple(rng.sample(active, min(len(active), rng.randint(12, 40))))
    codes = tuple(w["id"] for w in rng.sample(list(wrapups), 6))
    return Queue(
        id=new_uuid(rng), name=name, division=rng.choice(divisions),
        sl_percentage=rng.choice((0.8, 0.8, 0.9, 0.7)), sl_duration_ms=rng.choice((20000, 30000, 60000)),
        member_ids=members, wrapup_ids=codes,
    )  # fmt: skip


def add_system_wrapups(conversation: dict[str, Any]) -> None:
    """Give some agent legs a system wrap-up code instead of the one drawn: outbound previews the
    agent skipped, callbacks (and now and then another leg) whose wrap-up timer ran out.

    Chosen by the agent session's id (random already), so no draw of the seeded stream is used."""
    outbound = conversation["originatingDirection"] == "outbound"
    for part in conversation["participants"]:
        if part["purpose"] != "agent":
            continue
        for session in part["sessions"]:
            draw = int(session["sessionId"][-6:], 16) % 40
            code = _system_code(outbound, session["mediaType"], draw)
            if code is None:
                continue
            for seg in session["segments"]:
                if "wrapUpCode" in seg:
                    seg["wrapUpCode"] = code


def _system_code(outbound: bool, media: str, draw: int) -> str | None:
    if outbound:
        return PREVIEW_SKIPPED if draw < 4 else None  # 1 in 10
    if media == "callback":
        return WRAPUP_TIMEOUT if draw < 8 else None  # 1 in 5
    return WRAPUP_TIMEOUT if draw == 0 else None  # 1 in 40
