"""Closed vocabularies from the glossary, shared by models and schemas."""

from enum import StrEnum

import sqlalchemy as sa


class OrganisationKind(StrEnum):
    OPERATOR = "operator"
    HEALTH = "health"
    COMMUNITY = "community"


class Role(StrEnum):
    ADMIN = "admin"
    COORDINATOR = "coordinator"
    VISITOR = "visitor"
    PROVIDER = "provider"
    TUTOR = "tutor"


class ProgrammeKind(StrEnum):
    CALL_AND_CHECK = "call_and_check"
    DIGITAL_LITERACY = "digital_literacy"


class Language(StrEnum):
    ENGLISH = "en"
    PORTUGUESE = "pt"
    POLISH = "pl"
    FRENCH = "fr"


class ConsentPurpose(StrEnum):
    TAKE_PART = "take_part"
    SHARE_INFORMATION = "share_information"


class ContactReceives(StrEnum):
    VISIT_REPORTS = "visit_reports"
    ALERTS = "alerts"


class EnrolmentStatus(StrEnum):
    ACTIVE = "active"
    LEFT = "left"


def enum_column(enum: type[StrEnum], name: str) -> sa.Enum:
    """A portable enum column: a VARCHAR with a named CHECK constraint on every database."""
    return sa.Enum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in enum) + 4,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


class VisitFrequency(StrEnum):
    DAILY = "daily"  # every day the round runs
    WEEKDAYS = "weekdays"  # chosen weekdays, 1 to 6 a week
    WEEKLY = "weekly"
    FORTNIGHTLY = "fortnightly"


class VisitOutcome(StrEnum):
    SEEN_WELL = "seen_well"
    SEEN_CONCERN = "seen_concern"
    NO_ANSWER = "no_answer"
    DECLINED = "declined"
    AWAY = "away"


class NeedCategory(StrEnum):
    FALL = "fall"
    PAIN_OR_ILLNESS = "pain_or_illness"
    MEDICATION = "medication"
    FOOD_OR_SHOPPING = "food_or_shopping"
    TRANSPORT = "transport"
    HOME_OR_HEATING = "home_or_heating"
    MONEY = "money"
    LONELINESS = "loneliness"
    PERSONAL_CARE = "personal_care"
    DIGITAL_HELP = "digital_help"
    SAFEGUARDING = "safeguarding"
    OTHER = "other"
    # Raised by the system itself, the safety net.
    NO_ANSWER = "no_answer"
    NO_RESPONSE = "no_response"
    MISSED_VISIT = "missed_visit"
    NOT_SEEN = "not_seen"
    INVALID_NUMBER = "invalid_number"


# Needs the safety net raises about the schedule itself: not "concerns to ask about again", and
# never reported by hand.
SYSTEM_CATEGORIES = frozenset({NeedCategory.MISSED_VISIT, NeedCategory.NOT_SEEN,
                               NeedCategory.NO_ANSWER, NeedCategory.NO_RESPONSE,
                               NeedCategory.INVALID_NUMBER})


class NeedSeverity(StrEnum):
    URGENT = "urgent"
    SOON = "soon"
    ROUTINE = "routine"


class NeedSource(StrEnum):
    VISIT = "visit"
    SMS = "sms"
    WEB = "web"
    SYSTEM = "system"


class NeedStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class PrescriptionStatus(StrEnum):
    READY = "ready"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    NOT_DELIVERED = "not_delivered"


class MessageDirection(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class MessageStatus(StrEnum):
    """Where a text is. Outbound: queued → sending → sent → delivered (or undelivered/failed).

    `sending` means handed to the SMS provider (or being handed over: with no provider id yet,
    a message left in it by a crash is reconciled, never blindly sent again). `unknown` is for a
    person to decide; `cancelled` was never sent (opted out, invalid number, too late).
    """

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    UNKNOWN = "unknown"
    CANCELLED = "cancelled"
    RECEIVED = "received"  # inbound


class MessageKind(StrEnum):
    """What an outbound text is for; each has a template per language."""

    CHECK_IN = "check_in"
    APPOINTMENT_REMINDER = "appointment_reminder"
    PRESCRIPTION_NOTICE = "prescription_notice"
    VISIT_REPORT = "visit_report"
    ALERT = "alert"
    WORKSHOP_REMINDER = "workshop_reminder"
    REPLY = "reply"  # the answer to an inbound text, sent as TwiML
    FREE_TEXT = "free_text"  # written by a coordinator
    OUTCOME = "outcome"  # what came of a need the client told us about
    SURVEY = "survey"  # an outcome-measure question: wellbeing, loneliness, satisfaction


class InboundMeaning(StrEnum):
    """What an inbound text was understood to be."""

    CHECK_IN_ANSWER = "check_in_answer"
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    HELP = "help"
    NEED = "need"
    REPEAT = "repeat"  # the same text again within minutes: joins the first one's need
    LOOP = "loop"  # an automated sender answering our answers: not answered again
    UNKNOWN_SENDER = "unknown_sender"
    ACKNOWLEDGEMENT = "acknowledgement"  # a contact's OK to an alert: they are dealing with it
    SURVEY_ANSWER = "survey_answer"  # a number in reply to an outcome-measure question


class EscalationStatus(StrEnum):
    """open → acknowledged → resolved; `reassigned` ends one recipient's part (another escalation
    takes over); `reopened` is open again after a resolve."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    REASSIGNED = "reassigned"
    REOPENED = "reopened"


# Statuses in which an escalation still waits for its recipient (one per client, category and
# recipient at a time).
ESCALATION_LIVE = (EscalationStatus.OPEN, EscalationStatus.ACKNOWLEDGED,
                   EscalationStatus.REOPENED)


class RecipientKind(StrEnum):
    """Who a routing rule sends to: named organisations, or whoever fills a role for the client."""

    ORGANISATION = "organisation"
    GP_PRACTICE = "gp_practice"  # the client's own GP practice
    CONTACTS = "contacts"  # the client's designated contacts who receive alerts
    COORDINATOR = "coordinator"  # the programme's operator


class EscalationOutcome(StrEnum):
    """How the recipient closed it."""

    HELPED = "helped"
    REFERRED_ON = "referred_on"
    ALREADY_IN_HAND = "already_in_hand"
    NOT_NEEDED = "not_needed"
    COULD_NOT_REACH = "could_not_reach"
    DECLINED = "declined"
    OTHER = "other"


class EscalationEventKind(StrEnum):
    """Every entry of an escalation's timeline, and every item of the providers' feeds."""

    CREATED = "created"
    JOINED = "joined"  # a repeat report of the same thing joined it
    ACKNOWLEDGED = "acknowledged"
    NOTE = "note"
    RESOLVED = "resolved"
    REASSIGNED = "reassigned"
    HANDED_BACK = "handed_back"
    REOPENED = "reopened"
    OVERDUE = "overdue"  # not acknowledged within its SLA: passed to the fallback tier
    RESOLVE_OVERDUE = "resolve_overdue"  # acknowledged but not resolved in time
    MESSAGE = "message"  # a text sent or received about it
    # Taken back from its recipient (consent to share withdrawn, or the client erased): the
    # recipient should remove its copies. Carries no personal data.
    WITHDRAWN = "withdrawn"


# --- Digital literacy: workshops, sessions, enrolments, attendance ---------------------------


class WorkshopEnrolmentStatus(StrEnum):
    """A learner's place on a workshop: enrolled, waiting for a place, offered a place that
    freed up (confirmed by replying YES), or withdrawn."""

    ENROLLED = "enrolled"
    WAITING = "waiting"
    OFFERED = "offered"
    WITHDRAWN = "withdrawn"


# Statuses that hold a place (or a claim on one): one such enrolment per learner and workshop.
WORKSHOP_ENROLMENT_LIVE = (WorkshopEnrolmentStatus.ENROLLED, WorkshopEnrolmentStatus.WAITING,
                           WorkshopEnrolmentStatus.OFFERED)


class EnrolmentSource(StrEnum):
    """How a learner came to the workshop."""

    COORDINATOR = "coordinator"
    REFERRAL = "referral"  # a visitor's digital_help need, turned into an invitation
    SMS = "sms"  # the learner texted the keyword (LEARN, APRENDER, NAUKA, APPRENDRE)
    WEB = "web"  # the public sign-up form


class AttendanceStatus(StrEnum):
    PRESENT = "present"
    LATE = "late"
    NO_SHOW = "no_show"
