"""The names Genesys accepts in analytics queries (metrics, dimensions, view types), and their validation.

Lists come from REFERENCE.md §3.2, §4.3, §6.2, §6.3, §7 and the enums of
``openapi-analytics-subset.json``; an unknown name is rejected with the closest valid names.

Example::

    validate_metric_names(["tHandle", "nOffered"])   # returns the names
    validate_metric_names(["tHandel"])               # QueryValidationError: ... did you mean tHandle?
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from gcexport.errors import QueryValidationError

__all__ = [
    "AGGREGATE_DIMENSIONS",
    "AGGREGATE_FILTER_DIMENSIONS",
    "AGGREGATE_METRICS",
    "CONVERSATION_DIMENSIONS",
    "SEGMENT_DIMENSIONS",
    "SEGMENT_METRICS",
    "SESSION_METRICS",
    "VIEW_TYPES",
    "validate_dimension_names",
    "validate_metric_names",
    "validate_names",
    "validate_view_type",
]

#: Aggregate metrics (REFERENCE.md §6.3: 74 + 9 newer, incl. aggregate-only oServiceLevel etc.).
AGGREGATE_METRICS: frozenset[str] = frozenset(
    """
    nAgentDeclined nAlertExpired nBlindTransferred nBotInteractions nCallbackAttempts
    nCallbackOverSla nCallbackScheduled nCfcOffered nCobrowseSessions nConnected nConsult
    nConsultTransferred nConversations nError nOffered nOutbound nOutboundAbandoned
    nOutboundAttempted nOutboundConnected nOverSla nStateTransitionError nTakeover
    nTransferred oAudioMessageCount oCallbackServiceLevel oExternalAudioMessageCount
    oExternalMediaCount oMediaCount oMessageCount oMessageSegmentCount oMessageTurn
    oServiceLevel oServiceTarget oSkillExpressionApplications tAbandon tAcd tActiveCallback
    tActiveCallbackComplete tAcw tAgentResponseTime tAgentVideoConnected tAlert tAnswered
    tAverageAgentResponseTime tAverageCustomerResponseTime tBarging tCallbackAbandon
    tCallbackConnect tCallbackNotReached tCallbackVirtualWait tCfcAbandon tCfcAcd
    tCfcAnswered tCfcFlowOut tCoaching tCoachingComplete tConnected tContacting tDialing
    tFirstConnect tFirstDial tFirstEngagement tFirstResponse tFlowOut tHandle tHeld
    tHeldComplete tIvr tMonitoring tMonitoringComplete tNotResponding tPark tParkComplete
    tScreenMonitoring tShortAbandon tSnippetRecord tTalk tTalkComplete tTransmitting
    tUserResponseTime tVoicemail tWait
    """.split()  # noqa: SIM905 (a word list reads like REFERENCE.md)
)


#: Aggregate groupBy dimensions (REFERENCE.md §6.2, 83 values).
AGGREGATE_DIMENSIONS: frozenset[str] = frozenset(
    """
    activeRouting activeSkillId addressFrom addressTo agentAssistantId agentBullseyeRing
    agentOwned agentRank agentScore ani assignerId authenticated conversationId
    conversationInitiator convertedFrom convertedTo customerParticipation deliveryStatus
    destinationAddress direction disconnectType divisionId dnis edgeId eligibleAgentCount
    errorCode extendedDeliveryStatus externalContactId externalMediaCount
    externalOrganizationId externalTag firstQueue flaggedReason flowInType flowOutType
    groupId interactionType journeyActionId journeyActionMapId journeyActionMapVersion
    journeyCustomerId journeyCustomerIdType journeyCustomerSessionId
    journeyCustomerSessionIdType knowledgeBaseId mediaCount mediaType messageType
    originatingDirection originatingSocialMediaPublic outboundCampaignId outboundContactId
    outboundContactListId participantName peerId proposedAgentId provider purpose queueId
    remote removedSkillId requestedLanguageId requestedRouting requestedRoutingSkillId
    roomId routingPriority routingRing routingRule routingRuleType scoredAgentId
    selectedAgentId selectedAgentRank selfServed sessionDnis sessionId skillExpressionId
    stationId teamId usedRouting userId videoPresent waitingInteractionCount wrapUpCode
    """.split()  # noqa: SIM905 (a word list reads like REFERENCE.md)
)


#: Aggregate filter-predicate dimensions (§6.2: the 83 plus canonicalExternalContactId).
AGGREGATE_FILTER_DIMENSIONS: frozenset[str] = frozenset(
    """
    activeRouting activeSkillId addressFrom addressTo agentAssistantId agentBullseyeRing
    agentOwned agentRank agentScore ani assignerId authenticated canonicalExternalContactId
    conversationId conversationInitiator convertedFrom convertedTo customerParticipation
    deliveryStatus destinationAddress direction disconnectType divisionId dnis edgeId
    eligibleAgentCount errorCode extendedDeliveryStatus externalContactId externalMediaCount
    externalOrganizationId externalTag firstQueue flaggedReason flowInType flowOutType
    groupId interactionType journeyActionId journeyActionMapId journeyActionMapVersion
    journeyCustomerId journeyCustomerIdType journeyCustomerSessionId
    journeyCustomerSessionIdType knowledgeBaseId mediaCount mediaType messageType
    originatingDirection originatingSocialMediaPublic outboundCampaignId outboundContactId
    outboundContactListId participantName peerId proposedAgentId provider purpose queueId
    remote removedSkillId requestedLanguageId requestedRouting requestedRoutingSkillId
    roomId routingPriority routingRing routingRule routingRuleType scoredAgentId
    selectedAgentId selectedAgentRank selfServed sessionDnis sessionId skillExpressionId
    stationId teamId usedRouting userId videoPresent waitingInteractionCount wrapUpCode
    """.split()  # noqa: SIM905 (a word list reads like REFERENCE.md)
)


#: Session metrics usable in conversation-filter predicates (REFERENCE.md §4.3, 88 values).
SESSION_METRICS: frozenset[str] = frozenset(
    """
    nAgentDeclined nAlertExpired nBlindTransferred nBotInteractions nCallbackAttempts
    nCallbackOverSla nCallbackScheduled nCfcOffered nCobrowseSessions nConnected nConsult
    nConsultTransferred nConversations nError nFlow nFlowMilestone nFlowOutcome
    nFlowOutcomeFailed nOffered nOutbound nOutboundAbandoned nOutboundAttempted
    nOutboundConnected nOverSla nStateTransitionError nTakeover nTransferred
    oAudioMessageCount oExternalAudioMessageCount oExternalMediaCount oFlowMilestone
    oMediaCount oMessageCount oMessageSegmentCount oMessageTurn oSkillExpressionApplications
    tAbandon tAcd tActiveCallback tActiveCallbackComplete tAcw tAgentResponseTime
    tAgentVideoConnected tAlert tAnswered tAverageAgentResponseTime
    tAverageCustomerResponseTime tBarging tCallbackAbandon tCallbackConnect
    tCallbackNotReached tCallbackVirtualWait tCfcAbandon tCfcAcd tCfcAnswered tCfcFlowOut
    tCoaching tCoachingComplete tConnected tContacting tConversationDuration tDialing
    tFirstConnect tFirstDial tFirstEngagement tFirstResponse tFlow tFlowDisconnect tFlowExit
    tFlowOut tFlowOutcome tHandle tHeld tHeldComplete tIvr tMonitoring tMonitoringComplete
    tNotResponding tPark tParkComplete tScreenMonitoring tShortAbandon tSnippetRecord tTalk
    tTalkComplete tTransmitting tUserResponseTime tVoicemail
    """.split()  # noqa: SIM905 (a word list reads like REFERENCE.md)
)


#: Conversation-filter dimensions (REFERENCE.md §3.2, 11 values).
CONVERSATION_DIMENSIONS: frozenset[str] = frozenset(
    """
    accessAttribute conversationEnd conversationId conversationInitiator conversationStart
    customerParticipation divisionId externalTag mediaStatsMinConversationMos
    originatingDirection originatingSocialMediaPublic
    """.split()  # noqa: SIM905 (a word list reads like REFERENCE.md)
)


#: Segment-filter dimensions (REFERENCE.md §3.2, 80 values).
SEGMENT_DIMENSIONS: frozenset[str] = frozenset(
    """
    addressFrom addressTo agentAssistantId agentOwned ani authenticated bargedParticipantId
    callbackNumber callbackScheduledTime canonicalExternalContactId cleared
    coachedParticipantId conference deliveryPushed deliveryStatus destinationAddress
    destinationConversationId detectedSpeechEnd detectedSpeechStart direction disconnectType
    dnis edgeId engagementSource errorCode exitReason extendedDeliveryStatus
    externalContactId externalOrganizationId flaggedReason flowId flowName flowOutType
    flowOutcome flowOutcomeId flowOutcomeValue flowVersion groupId journeyActionId
    journeyActionMapId journeyCustomerId journeyCustomerIdType journeyCustomerSessionId
    mediaCount mediaType messageType monitoredParticipantId outboundCampaignId
    outboundContactId outboundContactListId participantName protocolCallId provider purpose
    queueId recording remote remoteNameDisplayable requestedLanguageId requestedRouting
    requestedRoutingSkillId scoredAgentId screenMonitoredUserId screenRecording scriptId
    segmentEnd segmentType sessionDnis sipResponseCode skillExpressionId snippetRecording
    subject teamId transferTargetAddress transferTargetName transferType usedRouting userId
    wrapUpCode wrapUpNote
    """.split()  # noqa: SIM905 (a word list reads like REFERENCE.md)
)


#: Segment-filter metrics (REFERENCE.md §3.2).
SEGMENT_METRICS: frozenset[str] = frozenset(["tSegmentDuration"])


#: Reporting export view types (REFERENCE.md §7, the 137-value SDK 269 enum).
VIEW_TYPES: frozenset[str] = frozenset(
    """
    QUEUE_PERFORMANCE_SUMMARY_VIEW QUEUE_PERFORMANCE_DETAIL_VIEW INTERACTION_SEARCH_VIEW
    AGENT_PERFORMANCE_SUMMARY_VIEW AGENT_PERFORMANCE_DETAIL_VIEW AGENT_STATUS_SUMMARY_VIEW
    AGENT_STATUS_DETAIL_VIEW AGENT_EVALUATION_SUMMARY_VIEW AGENT_EVALUATION_DETAIL_VIEW
    AGENT_QUEUE_DETAIL_VIEW AGENT_INTERACTION_DETAIL_VIEW ABANDON_INSIGHTS_VIEW
    SKILLS_PERFORMANCE_VIEW SURVEY_FORM_PERFORMANCE_SUMMARY_VIEW
    SURVEY_FORM_PERFORMANCE_DETAIL_VIEW DNIS_PERFORMANCE_SUMMARY_VIEW
    DNIS_PERFORMANCE_DETAIL_VIEW WRAP_UP_PERFORMANCE_SUMMARY_VIEW
    AGENT_WRAP_UP_PERFORMANCE_DETAIL_VIEW QUEUE_ACTIVITY_SUMMARY_VIEW
    QUEUE_ACTIVITY_DETAIL_VIEW AGENT_QUEUE_ACTIVITY_SUMMARY_VIEW QUEUE_AGENT_DETAIL_VIEW
    QUEUE_INTERACTION_DETAIL_VIEW AGENT_SCHEDULE_DETAIL_VIEW IVR_PERFORMANCE_SUMMARY_VIEW
    IVR_PERFORMANCE_DETAIL_VIEW ANSWER_INSIGHTS_VIEW HANDLE_INSIGHTS_VIEW TALK_INSIGHTS_VIEW
    HOLD_INSIGHTS_VIEW ACW_INSIGHTS_VIEW WAIT_INSIGHTS_VIEW
    AGENT_WRAP_UP_PERFORMANCE_INTERVAL_DETAIL_VIEW FLOW_OUTCOME_SUMMARY_VIEW
    FLOW_OUTCOME_PERFORMANCE_DETAIL_VIEW FLOW_OUTCOME_PERFORMANCE_INTERVAL_DETAIL_VIEW
    FLOW_DESTINATION_SUMMARY_VIEW FLOW_DESTINATION_DETAIL_VIEW API_USAGE_VIEW
    SCHEDULED_CALLBACKS_VIEW CONTENT_SEARCH_VIEW LANDING_PAGE DASHBOARD_SUMMARY
    DASHBOARD_DETAIL DASHBOARD_USERS DASHBOARD_USERS_DETAIL JOURNEY_ACTION_MAP_SUMMARY_VIEW
    JOURNEY_OUTCOME_SUMMARY_VIEW JOURNEY_SEGMENT_SUMMARY_VIEW AGENT_DEVELOPMENT_DETAIL_VIEW
    AGENT_DEVELOPMENT_DETAIL_ME_VIEW AGENT_DEVELOPMENT_SUMMARY_VIEW
    AGENT_PERFORMANCE_ME_VIEW AGENT_STATUS_ME_VIEW AGENT_EVALUATION_ME_VIEW
    AGENT_SCORECARD_VIEW AGENT_SCORECARD_ME_VIEW AGENT_GAMIFICATION_LEADERSHIP_VIEW
    AGENT_SCHEDULE_ME_VIEW BOT_PERFORMANCE_SUMMARY_VIEW BOT_PERFORMANCE_DETAIL_VIEW
    SCHEDULED_EXPORTS_VIEW TOPIC_TREND_SUMMARY_VIEW TOPIC_TREND_DETAIL_VIEW
    ACTION_MAP_BLOCKED_CONSTRAINTS_DETAIL_VIEW
    ACTION_MAP_BLOCKED_CONSTRAINTS_INTERVAL_DETAIL_VIEW
    FLOW_MILESTONE_PERFORMANCE_DETAIL_VIEW FLOW_MILESTONE_PERFORMANCE_INTERVAL_DETAIL_VIEW
    AGENT_TOPIC_SUMMARY_VIEW AGENT_TOPIC_DETAIL_VIEW QUEUE_TOPIC_SUMMARY_VIEW
    QUEUE_TOPIC_DETAIL_VIEW FLOW_TOPIC_SUMMARY_VIEW FLOW_TOPIC_DETAIL_VIEW
    AGENT_INTERACTIONS_ME_VIEW ALERT_RULES_VIEW CONFIGURE_ALERT_RULE_VIEW
    PREDICTIVE_ROUTING_VIEW PREDICTIVE_ROUTING_QUEUE_OVERVIEW PREDICTIVE_ROUTING_MODEL_VIEW
    PREDICTIVE_ROUTING_IMPACT_VIEW DATA_ACTIONS_PERFORMANCE_SUMMARY_VIEW
    DATA_ACTIONS_PERFORMANCE_DETAIL_VIEW AGENT_TIMELINE_SUMMARY_VIEW
    AGENT_TIMELINE_DETAIL_VIEW AGENT_LOGIN_LOGOUT_SUMMARY_VIEW
    AGENT_LOGIN_LOGOUT_DETAIL_VIEW CAMPAIGN_PERFORMANCE_SUMMARY_VIEW
    CAMPAIGN_PERFORMANCE_DETAIL_VIEW KNOWLEDGE_PERFORMANCE_VIEW
    AGENT_SCORECARD_INSIGHTS_SUMMARY_VIEW AGENT_SCORECARD_INSIGHTS_DETAIL_VIEW
    QUEUE_WRAPUP_DETAIL_VIEW INTERACTION_DETAIL_VIEW CAMPAIGN_INTERACTION_DETAIL_VIEW
    CAMPAIGN_ATTEMPT_DETAIL_VIEW WORKITEM_PERFORMANCE_SUMMARY_VIEW
    AGENT_ASSIST_PERFORMANCE_VIEW CONTACT_CENTER_PERFORMANCE_VIEW
    QUEUE_ROUTING_PERFORMANCE_VIEW AGENT_WORKITEM_PERFORMANCE_SUMMARY_VIEW
    AGENT_WORKITEM_PERFORMANCE_DETAIL_VIEW QUEUE_WORKITEM_PERFORMANCE_SUMMARY_VIEW
    QUEUE_WORKITEM_PERFORMANCE_DETAIL_VIEW EMAIL_AGENT_PERFORMANCE_SUMMARY_VIEW
    EMAIL_AGENT_PERFORMANCE_DETAIL_VIEW MESSAGING_AGENT_PERFORMANCE_SUMMARY_VIEW
    MESSAGING_AGENT_PERFORMANCE_DETAIL_VIEW EMAIL_QUEUE_PERFORMANCE_SUMMARY_VIEW
    EMAIL_QUEUE_PERFORMANCE_DETAIL_VIEW MESSAGING_QUEUE_PERFORMANCE_SUMMARY_VIEW
    MESSAGING_QUEUE_PERFORMANCE_DETAIL_VIEW SOCIAL_LISTENING_VIEW
    SOCIAL_LISTENING_POSTS_VIEW AGENT_PERFORMANCE_TIMELINE_DETAIL_VIEW DASHBOARD_SLIDESHOWS
    DASHBOARD_SLIDESHOWS_DETAIL AGENT_COPILOT_PERFORMANCE_VIEW
    AGENT_ASSIGNED_EVALUATION_ME_VIEW VIRTUAL_AGENT_PERFORMANCE_VIEW
    CONTENT_EXPLORATION_VIEW EVALUATION_PERFORMANCE_SUMMARY_VIEW
    EVALUATION_PERFORMANCE_DETAIL_VIEW EVALUATION_PERFORMANCE_QUESTION_GROUP_DETAIL_VIEW
    EVALUATION_PERFORMANCE_QUESTION_DETAIL_VIEW QUEUE_WORKITEM_ACTIVITY_SUMMARY_VIEW
    QUEUE_WORKITEM_ACTIVITY_DETAIL_VIEW DIGITAL_ADOPTION_VIEW DIGITAL_INTENT_VIEW
    DIGITAL_PERFORMANCE_VIEW COPILOT_USAGE_VIEW PREDICTIVE_ROUTING_THROUGHPUT_VIEW
    QUEUE_SKILL_EXPRESSION_PERFORMANCE_VIEW AGENTIC_VIRTUAL_AGENT_PERFORMANCE_VIEW
    CALLBACK_QUEUE_PERFORMANCE_SUMMARY_VIEW CALLBACK_QUEUE_PERFORMANCE_DETAIL_VIEW
    """.split()  # noqa: SIM905 (a word list reads like REFERENCE.md)
)


def validate_names(names: Iterable[str], allowed: frozenset[str], *, kind: str) -> list[str]:
    """Return `names` as a list, or raise naming every unknown one with its closest valid names."""
    result = list(names)
    unknown = [name for name in result if name not in allowed]
    if unknown:
        hints = "; ".join(_hint(name, allowed) for name in unknown)
        raise QueryValidationError(f"unknown {kind}: {hints}")
    return result


def validate_metric_names(names: Iterable[str]) -> list[str]:
    """Check aggregate metric names (REFERENCE.md §6.3)."""
    return validate_names(names, AGGREGATE_METRICS, kind="aggregate metric")


def validate_dimension_names(names: Iterable[str]) -> list[str]:
    """Check aggregate groupBy dimension names (REFERENCE.md §6.2)."""
    return validate_names(names, AGGREGATE_DIMENSIONS, kind="aggregate dimension")


def validate_view_type(name: str) -> str:
    """Check a reporting export view type (REFERENCE.md §7)."""
    return validate_names([name], VIEW_TYPES, kind="view type")[0]


def _hint(name: str, allowed: frozenset[str]) -> str:
    close = difflib.get_close_matches(name, sorted(allowed), n=3, cutoff=0.6)
    if not close:
        lowered = {value.lower(): value for value in allowed}
        close = difflib.get_close_matches(name.lower(), sorted(lowered), n=3, cutoff=0.5)
        close = [lowered[value] for value in close]
    suggestion = f" (did you mean {', '.join(close)}?)" if close else ""
    return f"{name!r}{suggestion}"
