"""The known shape of a conversation record (REFERENCE.md §4.2, SDK 269), as compact field specs."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Union

# A field kind is a scalar code, a list of a kind, or an object of fields:
#   "s" string  "i" int64  "f" float64  "b" bool  "t" ISO timestamp (read as text, typed later)
Kind = Union[str, "ListOf", "Obj"]


@dataclass(frozen=True)
class ListOf:
    """A JSON array whose items are all of one kind."""

    item: Kind


@dataclass(frozen=True, eq=False)
class Obj:
    """A JSON object with known fields (name → kind), in the API's documented order. Compared and
    hashed by identity: specs are module constants, and a structural hash walks the whole tree."""

    fields: tuple[tuple[str, Kind], ...]

    def names(self) -> frozenset[str]:
        return self._names

    def kind(self, name: str) -> Kind:
        return self._kinds[name]

    @functools.cached_property
    def _names(self) -> frozenset[str]:
        return frozenset(name for name, _ in self.fields)

    @functools.cached_property
    def _kinds(self) -> dict[str, Kind]:
        return dict(self.fields)


def parse_fields(text: str) -> tuple[tuple[str, str], ...]:
    """Read `"name:kind name:kind …"` where kind is s/i/f/b/t, or `[s]`/`[i]` for lists."""
    out: list[tuple[str, str]] = []
    for token in text.split():
        name, kind = token.split(":")
        out.append((name, kind))
    return tuple(out)


def obj(text: str, **nested: Kind) -> Obj:
    """Build an `Obj` from scalar specs plus named nested kinds (appended in keyword order)."""
    fields: list[tuple[str, Kind]] = []
    for name, code in parse_fields(text):
        fields.append((name, ListOf(code[1:-1]) if code.startswith("[") else code))
    fields.extend(nested.items())
    return Obj(tuple(fields))


_CAMEL_1 = re.compile(r"(?<=[a-z0-9])([A-Z])")
_CAMEL_2 = re.compile(r"(?<=[A-Z])([A-Z][a-z])")


@functools.lru_cache(maxsize=4096)
def snake(name: str) -> str:
    """camelCase → snake_case: `mediaStatsMinConversationRFactor` → `media_stats_min_conversation_r_factor`."""
    return _CAMEL_2.sub(r"_\1", _CAMEL_1.sub(r"_\1", name)).lower()


FLOW_OUTCOME = obj(
    "flowOutcome:s flowOutcomeEndTimestamp:t flowOutcomeId:s flowOutcomeStartTimestamp:t "
    "flowOutcomeValue:s"
)
FLOW = obj(
    "endingLanguage:s entryReason:s entryType:s exitReason:s flowId:s flowName:s flowType:s "
    "flowVersion:s issuedCallback:b recognitionFailureReason:s startingLanguage:s "
    "transferTargetAddress:s transferTargetName:s transferType:s",
    outcomes=ListOf(FLOW_OUTCOME),
)
MEDIA_ENDPOINT_STAT = obj(
    "codecs:[s] discardedPackets:i duplicatePackets:i eventTime:t invalidPackets:i "
    "maxLatencyMs:i minMos:f minRFactor:f overrunPackets:i receivedPackets:i underrunPackets:i"
)
METRIC = obj("emitDate:t name:s value:i")
SEGMENT = obj(
    "audioMuted:b conference:b destinationConversationId:s destinationSessionId:s "
    "disconnectType:s errorCode:s groupId:s q850ResponseCodes:[i] queueId:s "
    "requestedLanguageId:s requestedRoutingSkillIds:[s] requestedRoutingUserIds:[s] "
    "segmentEnd:t segmentStart:t segmentType:s sipResponseCodes:[i] sourceConversationId:s "
    "sourceSessionId:s subject:s videoMuted:b wrapUpCode:s wrapUpNote:s wrapUpTags:[s]",
    scoredAgents=ListOf(obj("agentScore:i scoredAgentId:s")),
    properties=ListOf(obj("property:s propertyType:s value:s")),
)
SESSION = obj(
    "activeSkillIds:[s] acwSkipped:b addressFrom:s addressOther:s addressSelf:s addressTo:s "
    "agentAssistantId:s agentBullseyeRing:i agentOwned:b ani:s assignerId:s authenticated:b "
    "bargedParticipantId:s bcc:[s] callbackNumbers:[s] callbackScheduledTime:t "
    "callbackUserName:s cc:[s] cleared:b coachedParticipantId:s cobrowseRole:s "
    "cobrowseRoomId:s deliveryPushed:b deliveryStatus:s deliveryStatusChangeDate:t "
    "destinationAddresses:[s] detectedSpeechEnd:t detectedSpeechStart:t direction:s "
    "dispositionAnalyzer:s dispositionName:s dnis:s edgeId:s eligibleAgentCounts:[i] "
    "engagementSource:s errorCodeDescription:s extendedDeliveryStatus:s flowInType:s "
    "flowOutType:s journeyActionId:s journeyActionMapId:s journeyActionMapVersion:i "
    "journeyCustomerId:s journeyCustomerIdType:s journeyCustomerSessionId:s "
    "journeyCustomerSessionIdType:s mediaBridgeId:s mediaCount:i mediaType:s messageType:s "
    "monitoredParticipantId:s outboundCampaignId:s outboundContactId:s "
    "outboundContactListId:s peerId:s protocolCallId:s provider:s recording:b remote:s "
    "remoteNameDisplayable:s removedSkillIds:[s] requestedRoutings:[s] roomId:s routingRing:i "
    "routingRule:s routingRuleType:s screenMonitoredUserId:s screenShareAddressSelf:s "
    "screenShareRoomId:s scriptId:s selectedAgentId:s selectedAgentRank:i sessionDnis:s "
    "sessionId:s sharingScreen:b skillExpressionId:s skipEnabled:b snippetRecording:b "
    "timeoutSeconds:i usedRouting:s videoAddressSelf:s videoRoomId:s waitingInteractionCounts:[i]",
    agentGroups=ListOf(obj("agentGroupId:s agentGroupType:s")),
    proposedAgents=ListOf(obj("agentRank:i proposedAgentId:s")),
    mediaEndpointStats=ListOf(MEDIA_ENDPOINT_STAT),
    flow=FLOW,
    metrics=ListOf(METRIC),
    segments=ListOf(SEGMENT),
)
PARTICIPANT = obj(
    "externalContactId:s externalOrganizationId:s flaggedReason:s participantId:s "
    "participantName:s purpose:s screenRecording:b teamId:s userId:s",
    sessions=ListOf(SESSION),
)
EVALUATION = obj(
    "assigneeApplicable:b assigneeId:s calibrationId:s contextId:s deleted:b evaluationId:s "
    "evaluationStatus:s evaluatorId:s eventTime:t formId:s formName:s queueId:s released:b "
    "rescored:b systemSubmitted:b userId:s oTotalCriticalScore:i oTotalScore:i"
)
SURVEY = obj(
    "eventTime:t queueId:s surveyCompletedDate:t surveyFormContextId:s surveyFormId:s "
    "surveyFormName:s surveyId:s surveyPartialResponse:b surveyPromoterScore:i surveyStatus:s "
    "surveyType:s userId:s oSurveyTotalScore:i"
)
RESOLUTION = obj("eventTime:t queueId:s userId:s nNextContactAvoided:i")
CONVERSATION = obj(
    "accessAttributes:[s] associatedConversationId:s conferenceStart:t "
    "consultationConversationIds:[s] conversationEnd:t conversationId:s conversationInitiator:s "
    "conversationStart:t customerParticipation:b divisionIds:[s] externalTag:s "
    "inactivityTimeout:t knowledgeBaseIds:[s] mediaStatsMinConversationMos:f "
    "mediaStatsMinConversationRFactor:f originatingDirection:s originatingSocialMediaPublic:b "
    "selfServed:b",
    evaluations=ListOf(EVALUATION),
    surveys=ListOf(SURVEY),
    resolutions=ListOf(RESOLUTION),
    participants=ListOf(PARTICIPANT),
)
