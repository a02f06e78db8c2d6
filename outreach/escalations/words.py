"""The plain words every escalation page uses: for statuses, kinds of concern, urgency,
outcomes, timeline events, and who an escalation went to. One set, so the provider's queue, the
coordinator's overview, the routing rules and the visitor's form all say the same thing."""

from __future__ import annotations

from outreach.enums import (
    EscalationEventKind,
    EscalationOutcome,
    EscalationStatus,
    NeedCategory,
    NeedSeverity,
    NeedSource,
)
from outreach.escalations.models import Escalation

Status = EscalationStatus
STATUS = {
    Status.OPEN: "New: not acknowledged yet", Status.ACKNOWLEDGED: "Acknowledged",
    Status.RESOLVED: "Resolved", Status.REASSIGNED: "Passed on",
    Status.REOPENED: "Reopened: not acknowledged yet",
}
SEVERITY = {NeedSeverity.URGENT: "Urgent", NeedSeverity.SOON: "Soon",
                  NeedSeverity.ROUTINE: "Routine"}
C = NeedCategory
CATEGORY = {
    C.FALL: "A fall", C.PAIN_OR_ILLNESS: "Pain or illness", C.MEDICATION: "Medication",
    C.FOOD_OR_SHOPPING: "Food or shopping", C.TRANSPORT: "Transport",
    C.HOME_OR_HEATING: "Home or heating", C.MONEY: "Money", C.LONELINESS: "Loneliness",
    C.PERSONAL_CARE: "Personal care", C.DIGITAL_HELP: "Help with a phone or computer",
    C.SAFEGUARDING: "Safeguarding", C.OTHER: "Something else",
    C.NO_ANSWER: "No answer at the door", C.NO_RESPONSE: "No reply to a check-in text",
    C.MISSED_VISIT: "Missed visit", C.NOT_SEEN: "Not seen for too long",
    C.INVALID_NUMBER: "Phone number does not work",
}
Out = EscalationOutcome
OUTCOME = {
    Out.HELPED: "Helped: the need was met", Out.REFERRED_ON: "Referred on to someone else",
    Out.ALREADY_IN_HAND: "Already being dealt with", Out.NOT_NEEDED: "Not needed after all",
    Out.COULD_NOT_REACH: "Could not reach the client", Out.DECLINED: "The client declined help",
    Out.OTHER: "Something else (say what in the note)",
}
K = EscalationEventKind
EVENT = {
    K.CREATED: "Sent here", K.JOINED: "Reported again", K.ACKNOWLEDGED: "Acknowledged",
    K.NOTE: "Note", K.RESOLVED: "Resolved", K.REASSIGNED: "Passed to someone else",
    K.HANDED_BACK: "Handed back to the coordinator", K.REOPENED: "Reopened",
    K.OVERDUE: "Not acknowledged in time: passed on",
    K.RESOLVE_OVERDUE: "Not resolved in time", K.MESSAGE: "Text message",
    K.WITHDRAWN: "Withdrawn from the recipient",
}
SOURCE = {NeedSource.VISIT: "At a visit", NeedSource.SMS: "By text",
                NeedSource.WEB: "On the web form", NeedSource.SYSTEM: "Raised by the system"}
USEFULNESS = {1: "1: not useful", 2: "2", 3: "3", 4: "4", 5: "5: very useful"}

# How the visitor hears each outcome: said to someone at the door, so no jargon.
OUTCOME_PHRASES = {
    EscalationOutcome.HELPED: "helped",
    EscalationOutcome.REFERRED_ON: "passed it on to someone better placed to help",
    EscalationOutcome.ALREADY_IN_HAND: "found it was already being dealt with",
    EscalationOutcome.NOT_NEEDED: "found no help was needed",
    EscalationOutcome.COULD_NOT_REACH: "could not reach the client",
    EscalationOutcome.DECLINED: "offered help, which the client did not want",
    EscalationOutcome.OTHER: "closed it",
}
# The concern as a visitor would name it.
CONCERN_WORDS = {
    NeedCategory.FALL: "a fall", NeedCategory.PAIN_OR_ILLNESS: "pain or illness",
    NeedCategory.MEDICATION: "medicines", NeedCategory.FOOD_OR_SHOPPING: "food or shopping",
    NeedCategory.TRANSPORT: "transport", NeedCategory.HOME_OR_HEATING: "home or heating",
    NeedCategory.MONEY: "money", NeedCategory.LONELINESS: "loneliness",
    NeedCategory.PERSONAL_CARE: "personal care", NeedCategory.DIGITAL_HELP: "help with computers",
    NeedCategory.SAFEGUARDING: "their safety", NeedCategory.OTHER: "a concern",
    NeedCategory.NO_ANSWER: "no answer at the door", NeedCategory.NO_RESPONSE: "no reply to texts",
    NeedCategory.MISSED_VISIT: "a missed visit", NeedCategory.NOT_SEEN: "not being seen",
    NeedCategory.INVALID_NUMBER: "a phone number that does not work",
}


def recipient_name(escalation: Escalation) -> str:
    """Who it went to: the organisation (the coordinator's own, said so), or the contact and
    who they are to the client."""
    if escalation.contact is not None:
        relationship = escalation.contact.relationship_to_client or "contact"
        return f"{escalation.contact.name} ({relationship})"
    if escalation.organisation_id == escalation.programme.operator_id:
        return f"The coordinator ({escalation.organisation.name})"
    return escalation.organisation.name


def for_templates() -> dict:
    """Every set of words, keyed as the templates use them."""
    return {"status": STATUS, "severity": SEVERITY, "category": CATEGORY, "outcome": OUTCOME,
            "event": EVENT, "source": SOURCE, "usefulness": USEFULNESS}
