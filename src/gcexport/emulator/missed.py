"""Alerts that time out (ring-no-answer): an agent is offered the conversation, does not answer within
the queue's alerting timeout, and the ACD offers it to another member of the queue.

The real shape (tests/fixtures/genesys/details-job-results.xfaith4-2024-04-05.subset.json): each
missed alert is an agent participant of its own, listed before the agent who answers, with one
session holding one `alert` segment (disconnectType `client`) and the metrics `tAlert` and
`tNotResponding`, both the alert's length, emitted when it ends; the next alert follows a few
seconds later, still inside the acd session's wait.

Drawn from a random stream of its own, seeded by the conversation id, after the journey is built: a
missed alert only adds participants, so every conversation of a seed keeps the facts it had without
them. The agent's NOT_RESPONDING routing status that follows is derived in `agents.py`.
"""

from __future__ import annotations

import random
from typing import Any

from gcexport.emulator.org import Org, Queue
from gcexport.emulator.wire import iso, iso_to_ms, new_uuid

MISSED_SHARE = 0.15  # chance that an answered leg was first offered to someone who did not answer
MAX_MISSED = 2  # missed alerts before one answered leg, at most
REOFFER_GAP_MS = (1_000, 6_000)  # from a timeout to the next alert (real sample: 2.4 s, 5.3 s)
JITTER_MS = 400  # a timed-out alert lasts the queue's alerting timeout plus this much, at most
_TIMEOUT_S = {"email": 300}  # the queues' alertingTimeoutSeconds per media (org.py), default 8

Json = dict[str, Any]


def alert_timeout_ms(media: str) -> int:
    """The alerting timeout every emulated queue sets for this media (`/api/v2/routing/queues`)."""
    return _TIMEOUT_S.get(media, 8) * 1_000


def add_missed_alerts(conversation: Json, org: Org) -> None:
    """Insert timed-out alerts before answered agent legs that waited long enough in queue."""
    rng = random.Random(f"missed-{conversation['conversationId']}")
    participants: list[Json] = []
    queued = None  # the start of the latest acd session's wait (its `interact` segment)
    for part in conversation["participants"]:
        session = part["sessions"][0]
        if part["purpose"] == "acd":
            queued = iso_to_ms(session["segments"][-1]["segmentStart"])
        elif _answered_leg(part) and queued is not None:
            participants += _missed_before(rng, org, part, queued)
        participants.append(part)
    conversation["participants"] = participants


def _answered_leg(part: Json) -> bool:
    """An agent leg that an ACD alert opened (outbound legs start dialing)."""
    return bool(
        part["purpose"] == "agent" and part["sessions"][0]["segments"][0]["segmentType"] == "alert"
    )


def _missed_before(rng: random.Random, org: Org, answered: Json, queued: int) -> list[Json]:
    """The timed-out alerts that fit between `queued` and the answered alert, oldest first."""
    session = answered["sessions"][0]
    alert = session["segments"][0]
    queue = org.queue(alert["queueId"])
    if queue is None:
        return []
    missed: list[Json] = []
    next_alert = iso_to_ms(alert["segmentStart"])
    while len(missed) < MAX_MISSED and rng.random() < MISSED_SHARE:
        end = next_alert - rng.randint(*REOFFER_GAP_MS)
        start = end - alert_timeout_ms(session["mediaType"]) - rng.randint(0, JITTER_MS)
        if start < queued:
            break
        user = _other_member(rng, queue, {answered["userId"], *(p["userId"] for p in missed)})
        missed.insert(0, _participant(rng, session, queue, user, start, end))
        next_alert = start
    return missed


def _other_member(rng: random.Random, queue: Queue, taken: set[str]) -> str:
    """A member not yet offered this leg, or (a queue of one) the same agent again, as in the real sample."""
    others = [m for m in queue.member_ids if m not in taken]
    return rng.choice(others or list(queue.member_ids))


def _participant(
    rng: random.Random, answered: Json, queue: Queue, user: str, start: int, end: int
) -> Json:
    length = end - start
    segment = {"conference": False, "disconnectType": "client", "queueId": queue.id,
               "segmentEnd": iso(end), "segmentStart": iso(start), "segmentType": "alert"}  # fmt: skip
    base = {key: answered[key] for key in ("direction", "mediaType", "peerId", "requestedRoutings",
                                           "usedRouting") if key in answered}  # fmt: skip
    session = dict(sorted({**base, "sessionId": new_uuid(rng)}.items()))
    session["metrics"] = [
        {"emitDate": iso(end), "name": "tAlert", "value": length},
        {"emitDate": iso(end), "name": "tNotResponding", "value": length},
    ]
    session["segments"] = [segment]
    return {"participantId": new_uuid(rng), "purpose": "agent", "userId": user,
            "sessions": [session]}  # fmt: skip
