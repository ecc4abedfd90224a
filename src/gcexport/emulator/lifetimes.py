"""Mode `long-lived` (REFERENCE.md §16 item 4): conversations that change after they start.

A seeded share of email, message and callback conversations:

- stays OPEN for days (a reply on the thread arrives 1..MAX_OPEN_DAYS days later, answered by
  the same agent; until then the conversation has no `conversationEnd`);
- is RE-OPENED: it ends as usual, is served as ended, then the reply arrives and it is open again
  until the reply is handled — `conversationEnd` moves days later;
- gets its wrap-up LATE: it is served without `wrapUpCode` for up to LATE_WRAPUP_MAX_MS after it
  ended (less than the default availability lag, so jobs see the final version).

The choices are drawn from their own stream (`random.Random(f"{seed}-{day}-lifetimes")`), so the
default mode's conversations are unchanged, byte for byte.
"""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass
from typing import Any

from gcexport.emulator.wire import DAY_MS, dumps, iso, iso_to_ms, new_uuid

MODE = "long-lived"
MAX_OPEN_DAYS = 14  # a reply comes at most this long after the conversation's first end
LATE_WRAPUP_MAX_MS = 3 * 3_600_000
_LONG_MEDIA = frozenset({"email", "message", "callback"})
_OPEN, _REOPENED, _LATE = 0.06, 0.04, 0.10  # shares of those media's conversations

Json = dict[str, Any]


@dataclass(frozen=True)
class Version:
    """An earlier version of a conversation, served until `until` (then the final record)."""

    until: int
    record: bytes
    end: int


@dataclass(frozen=True)
class Change:
    """A conversation changed by this mode: its final record and end, and an earlier version."""

    conversation: Json
    end: int
    early: Version | None


def lifetimes_rng(seed: int, day_start: int) -> random.Random:
    """The mode's own random stream for one UTC day."""
    return random.Random(f"{seed}-{day_start}-lifetimes")


def change(rng: random.Random, conversation: Json, end: int) -> Change | None:
    """Maybe make a finished conversation (ISO times) long-lived, re-opened or late-wrapped.

    Exactly one draw per conversation, so each conversation's fate depends on its position only.
    """
    draw = rng.random()
    delay = rng.randrange(DAY_MS, MAX_OPEN_DAYS * DAY_MS)
    late = rng.randrange(60_000, LATE_WRAPUP_MAX_MS)
    agent = _last_agent(conversation)
    if agent is None or not _long_media(conversation):
        return None
    if draw < _OPEN + _REOPENED:
        early = dumps(conversation)
        final = copy.deepcopy(conversation)
        reply_end = _add_reply(rng, final, agent, end + delay)
        version = Version(end + delay, early, end) if draw >= _OPEN else None
        return Change(final, reply_end, version)
    if draw < _OPEN + _REOPENED + _LATE and _has_wrapup(conversation):
        early_view = copy.deepcopy(conversation)
        _strip_wrapups(early_view)
        return Change(conversation, end, Version(end + late, dumps(early_view), end))
    return None


def _long_media(conversation: Json) -> bool:
    return any(
        s.get("mediaType") in _LONG_MEDIA
        for p in conversation["participants"]
        for s in p["sessions"]
    )


def _last_agent(conversation: Json) -> Json | None:
    agents = [p for p in conversation["participants"] if p["purpose"] == "agent"]
    return agents[-1] if agents else None


def _has_wrapup(conversation: Json) -> bool:
    return any(
        "wrapUpCode" in seg
        for p in conversation["participants"]
        for s in p["sessions"]
        for seg in s["segments"]
    )


def _strip_wrapups(conversation: Json) -> None:
    for part in conversation["participants"]:
        for session in part["sessions"]:
            for seg in session["segments"]:
                seg.pop("wrapUpCode", None)


def _add_reply(rng: random.Random, conversation: Json, agent: Json, at: int) -> int:
    """The customer's reply at `at`, handled by the same agent: a copy of the agent's leg moved
    in time with new ids. Returns the conversation's new end."""
    reply = copy.deepcopy(agent)
    times = [iso_to_ms(seg["segmentStart"]) for s in reply["sessions"] for seg in s["segments"]]
    shift = at - min(times)
    reply["participantId"] = new_uuid(rng)
    for session in reply["sessions"]:
        session["sessionId"] = new_uuid(rng)
        for seg in session["segments"]:
            seg["segmentStart"] = iso(iso_to_ms(seg["segmentStart"]) + shift)
            seg["segmentEnd"] = iso(iso_to_ms(seg["segmentEnd"]) + shift)
        for metric in session["metrics"]:
            metric["emitDate"] = iso(iso_to_ms(metric["emitDate"]) + shift)
    conversation["participants"].append(reply)
    end = max(
        iso_to_ms(seg["segmentEnd"])
        for p in conversation["participants"]
        for s in p["sessions"]
        for seg in s["segments"]
    )
    conversation["conversationEnd"] = iso(end)
    return end
