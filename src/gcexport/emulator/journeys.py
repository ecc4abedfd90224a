"""Customer journeys turned into conversation records: IVR, queue, alert, talk, hold, ACW, transfers, abandons.

Times are integer epoch milliseconds while a journey is built; `finish` writes them as ISO strings
and orders keys as captured payloads do (REFERENCE.md §12.2–§12.5). Metrics are emitted when the
activity they measure ends (§4.3), so truncating at "now" leaves exactly the metrics emitted so far.
"""

from __future__ import annotations

import random
from typing import Any

from gcexport.emulator.missed import add_missed_alerts
from gcexport.emulator.org import Org, Queue, add_system_wrapups
from gcexport.emulator.wire import DAY_MS, iso, iso_to_ms, new_uuid, tagged_uuid

SHORT_ABANDON_MS = 10_000
ATTRIBUTE_MAX = 1024  # participant attribute values are truncated to this (REFERENCE.md §5.1)
ACD_DELAY_MS = 1_000  # the `delay` segment that opens an acd session (REFERENCE.md §16 item 9)
_KINDS = (
    ("voice", 0.55),
    ("message", 0.11),
    ("chat", 0.05),
    ("email", 0.10),
    ("callback", 0.06),
    ("outbound", 0.13),
)
_MEDIA_OF_KIND = {
    "voice": "voice",
    "message": "message",
    "chat": "chat",
    "email": "email",
    "callback": "callback",
    "outbound": "voice",
}
_INTENTS = ("billing", "support", "sales", "cancel", "address-change", "payment")

Json = dict[str, Any]


def _kind(rng: random.Random) -> str:
    draw = rng.random()
    for kind, share in _KINDS:
        draw -= share
        if draw < 0:
            return kind
    return "voice"


def _metric(name: str, value: int, emit: int) -> Json:
    return {"emitDate": iso(emit), "name": name, "value": value}


def _segment(
    kind: str, start: int, end: int, *, wrapUpCode: str | None = None, **extra: Any
) -> Json:
    """A segment with keys in alphabetical order (§12.2); times are written as ISO strings at once."""
    segment = {
        "conference": False,
        **extra,
        "segmentEnd": iso(end),
        "segmentStart": iso(start),
        "segmentType": kind,
    }
    if wrapUpCode is not None:
        segment["wrapUpCode"] = wrapUpCode
    return segment


class Journey:
    """Builds one conversation; each leg method appends a participant and returns when it ends."""

    def __init__(self, rng: random.Random, org: Org, start: int) -> None:
        self.rng, self.org, self.start = rng, org, start
        self.participants: list[Json] = []
        self.customer_session_id = new_uuid(rng)
        self.ani = f"tel:+1555{rng.randint(1000000, 9999999)}"
        self.dnis = rng.choice(org.dnis)
        self.queues: list[Queue] = []

    def participant(self, purpose: str, sessions: list[Json], **scalars: Any) -> Json:
        base = {"participantId": new_uuid(self.rng), **scalars, "purpose": purpose}
        part = {key: base[key] for key in sorted(base)}
        part["sessions"] = sessions
        self.participants.append(part)
        return part

    def session(
        self, media: str, direction: str, segments: list[Json], metrics: list[Json], **scalars: Any
    ) -> Json:
        scalars.setdefault("sessionId", new_uuid(self.rng))
        base = {"direction": direction, "mediaType": media, **scalars}
        if "peerId" not in base and scalars["sessionId"] != self.customer_session_id:
            base["peerId"] = self.customer_session_id
        session = {key: base[key] for key in sorted(base)}
        flow = scalars.get("flow")
        if flow is not None:
            session.pop("flow")
            session["flow"] = flow
        session["metrics"] = metrics
        session["segments"] = segments
        return session

    def addresses(self, media: str) -> Json:
        if media in ("voice", "callback"):
            return {
                "ani": self.ani,
                "dnis": self.dnis,
                "sessionDnis": self.dnis,
                "provider": "Edge",
            }
        if media == "email":
            return {
                "addressFrom": f"customer{self.rng.randint(1, 99999)}@example.net",
                "addressTo": "help@example.com",
                "provider": "PureCloud Email",
            }
        return {
            "addressFrom": f"guest-{self.rng.randint(1, 99999)}",
            "addressTo": "webmessaging",
            "provider": "PureCloud Messaging",
        }

    def ivr(self, at: int, queue: Queue | None) -> int:
        rng, flow = self.rng, self.rng.choice(self.org.flows)
        end = at + rng.randint(8_000, 75_000)
        exit_metric = "tFlowExit" if queue else "tFlowDisconnect"
        flow_block: Json = {"endingLanguage": "en-us", "entryReason": self.dnis, "entryType": "dnis",
                            "exitReason": "TRANSFER" if queue else "DISCONNECT", **flow, "flowType": "INBOUNDCALL",
                            "startingLanguage": "en-us"}  # fmt: skip
        if queue:
            flow_block.update(
                transferTargetAddress=queue.id, transferTargetName=queue.name, transferType="ACD"
            )
        flow_block = {key: flow_block[key] for key in sorted(flow_block)}
        segments = [
            _segment("system", at, at + 40),
            _segment("ivr", at + 40, end, disconnectType="transfer" if queue else "peer"),
        ]
        metrics = [_metric("nFlow", 1, at + 40), _metric("tIvr", end - at, end), _metric("tFlow", end - at - 40, end),
                   _metric(exit_metric, end - at - 40, end)]  # fmt: skip
        session = self.session(
            "voice", "inbound", segments, metrics, flow=flow_block, ani=self.ani, dnis=self.dnis
        )
        self.participant("ivr", [session], participantName=flow["flowName"])
        return end

    def acd(self, at: int, queue: Queue, media: str, wait: int, *, abandoned: bool) -> None:
        self.queues.append(queue)
        end = at + wait
        metrics = [_metric("nOffered", 1, at), _metric("tAcd", wait, end)]
        if abandoned:
            metrics.append(_metric("tAbandon", wait, end))
            if wait < SHORT_ABANDON_MS:
                metrics.append(_metric("tShortAbandon", wait, end))
        if abandoned and wait > queue.sl_duration_ms:  # answered: on the agent session (§16 item 9)
            metrics.append(_metric("nOverSla", 1, end))
        delay = at + min(ACD_DELAY_MS, wait // 2)  # real acd sessions: `delay`, then `interact`
        segments = [
            _segment("delay", at, delay, queueId=queue.id),
            _segment(
                "interact",
                delay,
                end,
                disconnectType="peer" if abandoned else "transfer",
                queueId=queue.id,
            ),
        ]
        flow_in = {"flowInType": "ivr"} if media == "voice" else {}
        session = self.session(
            media,
            "inbound",
            segments,
            metrics,
            usedRouting="Standard",
            requestedRoutings=["Standard"],
            **flow_in,
        )
        self.participant("acd", [session], participantName=queue.name)

    def agent(
        self,
        queued: int,
        answer: int,
        queue: Queue,
        media: str,
        *,
        talk: int,
        hold: int,
        transfer: bool,
    ) -> int:
        """An answered agent leg; returns when the customer-facing part ends (ACW follows)."""
        rng = self.rng
        user_id = rng.choice(queue.member_ids)
        alert = min(rng.randint(1_500, 9_000), max(answer - queued, 1))
        talk_end = answer + talk + hold
        segments = [_segment("alert", answer - alert, answer, queueId=queue.id)]
        metrics = [_metric("tAlert", alert, answer), _metric("tAnswered", answer - queued, answer)]
        if answer - queued > queue.sl_duration_ms:  # next to tAnswered, as in the real sample
            metrics.append(_metric("nOverSla", 1, answer))
        if hold:
            hold_start = answer + talk // 2
            segments += [_segment("interact", answer, hold_start, queueId=queue.id),
                         _segment("hold", hold_start, hold_start + hold, queueId=queue.id)]  # fmt: skip
            metrics += [
                _metric("tHeld", hold, hold_start + hold),
                _metric("tHeldComplete", hold, hold_start + hold),
            ]
            answer_resume = hold_start + hold
        else:
            answer_resume = answer
        segments.append(
            _segment(
                "interact",
                answer_resume,
                talk_end,
                disconnectType="transfer" if transfer else "peer",
                queueId=queue.id,
            )
        )
        metrics += [_metric("tTalk", talk, talk_end), _metric("tTalkComplete", talk, talk_end)]
        if transfer:
            metrics += [
                _metric("nTransferred", 1, talk_end),
                _metric("nBlindTransferred", 1, talk_end),
            ]
        acw = rng.randint(3_000, 90_000)
        segments.append(
            _segment(
                "wrapup",
                talk_end,
                talk_end + acw,
                queueId=queue.id,
                wrapUpCode=rng.choice(queue.wrapup_ids),
            )
        )
        metrics += [
            _metric("tAcw", acw, talk_end + acw),
            _metric("tHandle", talk + hold + acw, talk_end + acw),
        ]
        session = self.session(
            media,
            "inbound",
            segments,
            metrics,
            usedRouting="Standard",
            requestedRoutings=["Standard"],
        )
        self.participant("agent", [session], userId=user_id)
        return talk_end

    def customer(
        self,
        media: str,
        end: int,
        queue: Queue | None,
        *,
        direction: str = "inbound",
        purpose: str = "customer",
    ) -> None:
        at = self.start if purpose == "customer" else self.start + 3_000
        connect = at + 230
        extra = {"queueId": queue.id} if queue else {}
        segments = [
            _segment("system", at, connect),
            _segment("interact", connect, end, disconnectType="endpoint", **extra),
        ]
        metrics = [_metric("nConnected", 1, connect), _metric("tConnected", end - connect, end)]
        session = self.session(
            media,
            direction,
            segments,
            metrics,
            sessionId=self.customer_session_id,
            **self.addresses(media),
        )
        part = {
            "participantId": new_uuid(self.rng),
            "participantName": "Customer",
            "purpose": purpose,
            "sessions": [session],
        }
        self.participants.insert(0, part)


def build_conversation(rng: random.Random, org: Org, start: int) -> tuple[Json, int, Json]:
    """(conversation with int times, its end, participant attributes for the customer) for one arrival."""
    journey = Journey(rng, org, start)
    kind = _kind(rng)
    end = _outbound(journey) if kind == "outbound" else _inbound(journey, _MEDIA_OF_KIND[kind])
    divisions = sorted({q.division["id"] for q in journey.queues} or {org.divisions[0]["id"]})
    conversation = {
        "conversationEnd": end, "conversationId": tagged_uuid(rng, start // DAY_MS), "conversationInitiator": "agent" if kind == "outbound" else "customer",
        "conversationStart": start, "customerParticipation": True, "divisionIds": divisions,
        "originatingDirection": "outbound" if kind == "outbound" else "inbound", "participants": journey.participants,
    }  # fmt: skip
    add_missed_alerts(conversation, org)  # a stream of its own: the facts above stay as they were
    add_system_wrapups(conversation)  # no draw: the seeded stream stays as it was
    attributes = {
        "Intent": rng.choice(_INTENTS),
        "ivr.Language": "en-us",
        "AccountNumber": str(rng.randint(10**7, 10**8 - 1)),
    }
    # Shapes of real attributes (§16 item 9): spaces, dots, a trailing blank, multi-line values,
    # values truncated to 1024 characters. Fixed text, so the seeded stream stays as it was.
    attributes.update({
        "Scripter.Last Page": "Verify Identity", "Customer Note ": f"Intent: {attributes['Intent']}\nCall back if needed\n",
        "Transcript Summary": (f"{attributes['Intent']}: " + "lorem ipsum " * 90)[:ATTRIBUTE_MAX],
    })  # fmt: skip
    return conversation, end, attributes


def _wait_ms(rng: random.Random, media: str) -> int:
    mean = {"email": 1_800_000, "callback": 300_000}.get(media, 35_000)
    return max(500, min(int(rng.expovariate(1 / mean)), mean * 8))


def _talk_ms(rng: random.Random, media: str) -> int:
    mean = {"email": 420_000, "message": 600_000, "chat": 480_000}.get(media, 270_000)
    return max(5_000, min(int(rng.lognormvariate(0, 0.6) * mean), mean * 6))


def _inbound(journey: Journey, media: str) -> int:
    rng, org = journey.rng, journey.org
    queue = rng.choice(org.queues)
    at = journey.start + 230
    if media == "voice":
        if rng.random() < 0.05:
            end = journey.ivr(at, None)
            journey.customer(media, end, None)
            return end
        at = journey.ivr(at, queue)
    wait = _wait_ms(rng, media)
    if rng.random() < 0.12:
        journey.acd(at, queue, media, wait, abandoned=True)
        journey.customer(media, at + wait, queue)
        return at + wait
    return _answered(journey, at, queue, media, wait)


def _answered(journey: Journey, at: int, queue: Queue, media: str, wait: int) -> int:
    rng = journey.rng
    journey.acd(at, queue, media, wait, abandoned=False)
    transfer = rng.random() < 0.08 and len(journey.org.queues) > 1
    hold = rng.randint(5_000, 120_000) if media == "voice" and rng.random() < 0.2 else 0
    talk_end = journey.agent(
        at, at + wait, queue, media, talk=_talk_ms(rng, media), hold=hold, transfer=transfer
    )
    if transfer:
        second = rng.choice([q for q in journey.org.queues if q.id != queue.id])
        wait2 = _wait_ms(rng, media)
        journey.acd(talk_end, second, media, wait2, abandoned=False)
        talk_end = journey.agent(
            talk_end,
            talk_end + wait2,
            second,
            media,
            talk=_talk_ms(rng, media),
            hold=0,
            transfer=False,
        )
    journey.customer(media, talk_end, queue)
    return _latest_end(journey.participants)


def _outbound(journey: Journey) -> int:
    rng, start = journey.rng, journey.start
    queue = rng.choice(journey.org.queues)
    journey.queues.append(queue)
    dial_end = start + rng.randint(4_000, 25_000)
    talk = _talk_ms(rng, "voice")
    acw = rng.randint(3_000, 60_000)
    talk_end = dial_end + talk
    segments = [_segment("dialing", start, start + 1_000, queueId=queue.id),
                _segment("contacting", start + 1_000, dial_end, queueId=queue.id),
                _segment("interact", dial_end, talk_end, disconnectType="client", queueId=queue.id),
                _segment("wrapup", talk_end, talk_end + acw, queueId=queue.id, wrapUpCode=rng.choice(queue.wrapup_ids))]  # fmt: skip
    metrics = [_metric("nOutbound", 1, start), _metric("nOutboundAttempted", 1, start), _metric("tDialing", 1_000, start + 1_000),
               _metric("tContacting", dial_end - start - 1_000, dial_end), _metric("nOutboundConnected", 1, dial_end),
               _metric("tTalk", talk, talk_end), _metric("tTalkComplete", talk, talk_end), _metric("tAcw", acw, talk_end + acw),
               _metric("tHandle", talk + acw, talk_end + acw)]  # fmt: skip
    addr = {"ani": journey.dnis, "dnis": journey.ani, "provider": "Edge"}
    session = journey.session(
        "voice",
        "outbound",
        segments,
        metrics,
        sessionId=new_uuid(rng),
        peerId=journey.customer_session_id,
        **addr,
    )
    journey.participant("agent", [session], userId=rng.choice(queue.member_ids))
    session_ext = journey.session("voice", "outbound", [_segment("interact", dial_end, talk_end, disconnectType="peer", queueId=queue.id)],
                                  [_metric("nConnected", 1, dial_end), _metric("tConnected", talk, talk_end)],
                                  sessionId=journey.customer_session_id, **addr)  # fmt: skip
    journey.participant("external", [session_ext], participantName="Customer")
    return talk_end + acw


def _latest_end(participants: list[Json]) -> int:
    return iso_to_ms(
        max(seg["segmentEnd"] for p in participants for s in p["sessions"] for seg in s["segments"])
    )


def _metric_order(metric: Json) -> tuple[str, str]:
    return metric["emitDate"], metric["name"]


def finish(conversation: Json, attributes: Json | None) -> Json:
    """Write the conversation's own times, sort metrics by (emitDate, name), attach attributes (§12.3)."""
    conversation["conversationEnd"] = iso(conversation["conversationEnd"])
    conversation["conversationStart"] = iso(conversation["conversationStart"])
    for part in conversation["participants"]:
        for session in part["sessions"]:
            session["metrics"].sort(key=_metric_order)
        if attributes is not None and part["purpose"] == "customer":
            part["attributes"] = attributes
    return conversation
