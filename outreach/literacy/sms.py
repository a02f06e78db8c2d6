"""Workshops by text: LEARN to sign up, a session's code on arrival, YES to a place offered, and
the digit answering the four-week follow-up.

Literacy's handlers of inbound texts, each in its place of `outreach.messages.understanding.ORDER`
(filled by `outreach.literacy.init_app`): `place_taken` for a YES (before carrier words),
`workshop_text` after carrier words, loops, repeats and unknown numbers, before check-in digits
and need words, and `follow_up` for a digit no check-in is waiting for. Each answers the reply
to send, or None when the text is not about workshops. Only a client's own number
counts: a designated contact cannot sign someone up, sign them in or answer for them.

The inbound meanings are the existing ones (adding values would need a migration): LEARN is a
`need` (asking for help, a `digital_help` need when nothing is planned), a session code and a
follow-up digit are a `check_in_answer`, a YES taking a place is an `acknowledgement`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from outreach.audit.services import record
from outreach.consent.services import takes_part
from outreach.db import db
from outreach.enums import (
    AttendanceStatus,
    EnrolmentSource,
    InboundMeaning,
    MessageDirection,
    MessageKind,
    NeedCategory,
    NeedSeverity,
    NeedSource,
    NeedStatus,
    ProgrammeKind,
    WorkshopEnrolmentStatus,
)
from outreach.errors import Conflict
from outreach.literacy import services
from outreach.literacy.models import Attendance, Workshop, WorkshopEnrolment, WorkshopSession
from outreach.literacy.texts import learner_values, next_session, session_values
from outreach.messages import keywords
from outreach.messages.models import Message
from outreach.messages.outbox import queue_text
from outreach.messages.texts import render
from outreach.messages.understanding import Handled, Text
from outreach.needs.models import Need
from outreach.needs.services import create_need
from outreach.people.models import Client
from outreach.programmes.models import Programme

Status = WorkshopEnrolmentStatus
# A code counts from this long before the start (people arrive early) until the end.
SIGN_IN_OPENS = timedelta(minutes=30)
# Signed in later than this after the start: late.
LATE_AFTER = timedelta(minutes=10)
# A lone digit is taken as the follow-up's answer for this long after it was sent.
FOLLOW_UP_ANSWERABLE = timedelta(days=14)


def offer_key(enrolment: WorkshopEnrolment) -> str:
    """The dedupe key of the text offering `enrolment` its place (one per offer)."""
    return f"workshop_offer:{enrolment.id}:{enrolment.offered_at:%Y%m%dT%H%M%S}"


def follow_up_key(enrolment: WorkshopEnrolment) -> str:
    """The dedupe key of the enrolment's one follow-up text."""
    return f"workshop_follow_up:{enrolment.id}"


# --- Offers of a freed place (a place_offered receiver) ------------------------------------


def text_offer(enrolment: WorkshopEnrolment, **_) -> Message | None:
    """Text the learner offered a freed place, asking for YES within the offer's time."""
    workshop, client = enrolment.workshop, enrolment.client
    session = next_session(workshop, enrolment.offered_at)
    if session is None:
        return None  # places exist only while a session is to come; nothing to offer
    if not takes_part(client):
        return None  # consent withdrawn: the offer stands (the list shows it), untexted
    language = client.preferred_language
    return queue_text(MessageKind.WORKSHOP_REMINDER, "workshop_place_offered", to=client.phone,
                      language=language, programme=workshop.programme, client=client,
                      dedupe_key=offer_key(enrolment), not_after=enrolment.offer_expires_at,
                      now=enrolment.offered_at, **learner_values(client),
                      **session_values(session, language))


def accept_offer_by_text(message: Message, who, now: datetime) -> str | None:
    """A YES from a learner with a place offered takes it; None when no offer was made."""
    if who.contacts or not who.clients:
        return None
    offers = list(db.session.scalars(select(WorkshopEnrolment).where(
        WorkshopEnrolment.client_id.in_([c.id for c in who.clients]),
        WorkshopEnrolment.status == Status.OFFERED)
        .order_by(WorkshopEnrolment.offered_at, WorkshopEnrolment.id)))
    if not offers:
        return None
    language = who.language
    message.meaning = InboundMeaning.ACKNOWLEDGEMENT
    live = [o for o in offers if o.offer_expires_at > now
            and next_session(o.workshop, now) is not None]
    if not live:
        # Not taken in time: the offers job moves the place on and puts them back in the queue.
        _about(message, offers[0])
        return render("reply_offer_expired", language, workshop=offers[0].workshop.title)
    enrolment = live[0]
    _about(message, enrolment)
    services.accept_offer(enrolment, now)
    return render("reply_offer_accepted", language, **learner_values(enrolment.client),
                  **session_values(next_session(enrolment.workshop, now), language))


def _about(message: Message, enrolment: WorkshopEnrolment) -> None:
    """Tie an inbound text to the learner it is about and, when there is one, the offer text."""
    message.client_id = enrolment.client_id
    message.programme_id = enrolment.client.programme_id
    offer = db.session.scalar(select(Message.id).where(
        Message.dedupe_key == offer_key(enrolment))) if enrolment.offered_at else None
    message.in_reply_to_id = offer


# --- Texts understood before check-in digits and need words --------------------------------


def understand(message: Message, who, folded: str, now: datetime) -> str | None:
    """A session code, LEARN, or yes in our languages; None when the text is none of these."""
    if who.contacts or not who.clients:
        return None
    if keywords.learn_keyword(folded):
        return _learn(message, who.clients[0], who.language, now)
    if keywords.says_yes(folded):
        return accept_offer_by_text(message, who, now)
    return _session_code(message, who, folded, now)


# --- LEARN ----------------------------------------------------------------------------------


def _learn(message: Message, client: Client, language, now: datetime) -> str:
    """Book the learner on the next workshop with a place, else queue them for the soonest."""
    message.meaning = InboundMeaning.NEED
    workshops = _coming_workshops(client, now)
    existing = _live_enrolment(client, workshops)
    if existing is not None:
        return _already(existing, language, now)
    if not workshops:
        return _nothing_planned(message, client, language)
    chosen = next((w for w in workshops if services.places_left(w, now) > 0), workshops[0])
    try:
        enrolment = services.enrol(None, chosen, client, EnrolmentSource.SMS, now=now)
    except Conflict:  # the same learner texting from two phones at once
        return _already(services.live_enrolment(chosen, client), language, now)
    if enrolment.status == Status.WAITING:
        return render("reply_learn_waiting", language, workshop=chosen.title,
                      **learner_values(client))
    return render("reply_learn_enrolled", language, **learner_values(client),
                  **session_values(next_session(chosen, now), language))


def _operators(client: Client) -> set[int]:
    """The operators whose programmes the client is in."""
    return {client.programme.operator_id} | {e.programme.operator_id for e in client.enrolments}


def _coming_workshops(client: Client, now: datetime) -> list[Workshop]:
    """Workshops of the client's operators' digital-literacy programmes with sessions still to
    come, soonest first."""
    first_start = (select(WorkshopSession.workshop_id, WorkshopSession.starts_at)
                   .where(WorkshopSession.starts_at > now,
                          WorkshopSession.cancelled_at.is_(None)).subquery())
    rows = db.session.execute(
        select(Workshop, first_start.c.starts_at)
        .join(first_start, first_start.c.workshop_id == Workshop.id)
        .join(Programme, Programme.id == Workshop.programme_id)
        .where(Programme.kind == ProgrammeKind.DIGITAL_LITERACY,
               Programme.operator_id.in_(_operators(client)))
        .order_by(first_start.c.starts_at, Workshop.id)).all()
    seen: dict[int, Workshop] = {}
    for workshop, _ in rows:
        seen.setdefault(workshop.id, workshop)
    return list(seen.values())


def _live_enrolment(client: Client, workshops: list[Workshop]) -> WorkshopEnrolment | None:
    if not workshops:
        return None
    return db.session.scalar(select(WorkshopEnrolment).where(
        WorkshopEnrolment.client_id == client.id,
        WorkshopEnrolment.workshop_id.in_([w.id for w in workshops]),
        WorkshopEnrolment.status.in_((Status.ENROLLED, Status.WAITING, Status.OFFERED)))
        .order_by(WorkshopEnrolment.id).limit(1))


def _already(enrolment: WorkshopEnrolment, language, now: datetime) -> str:
    """What a learner already on a workshop (or its waiting list) is told; nothing changes."""
    workshop = enrolment.workshop
    if enrolment.status == Status.ENROLLED:
        return render("reply_learn_already_enrolled", language,
                      **session_values(next_session(workshop, now), language))
    if enrolment.status == Status.OFFERED:
        return render("reply_learn_already_offered", language, workshop=workshop.title)
    return render("reply_learn_already_waiting", language, workshop=workshop.title)


def _nothing_planned(message: Message, client: Client, language) -> str:
    """No workshop to join: the coordinator gets a `digital_help` need (one at a time)."""
    need = db.session.scalar(select(Need).where(
        Need.client_id == client.id, Need.category == NeedCategory.DIGITAL_HELP,
        Need.status == NeedStatus.OPEN).order_by(Need.id).limit(1))
    if need is None:
        need = create_need(None, client, NeedCategory.DIGITAL_HELP, NeedSeverity.ROUTINE,
                           f'Texted "{message.body.strip()[:40]}" to join a digital-skills '
                           "workshop; none is planned with places to come.", NeedSource.SMS)
    message.need_id = need.id
    return render("reply_learn_none_planned", language, **learner_values(client))


# --- Session codes ----------------------------------------------------------------------------


def _session_code(message: Message, who, folded: str, now: datetime) -> str | None:
    """Sign the learner in at the session whose code they texted, if it is on now."""
    if len(folded.replace(" ", "")) != services.CODE_LENGTH:
        return None
    session = services.session_by_code(folded)
    if session is None:
        return None
    workshop = session.workshop
    learners = list(db.session.scalars(select(WorkshopEnrolment).where(
        WorkshopEnrolment.workshop_id == workshop.id, WorkshopEnrolment.status == Status.ENROLLED,
        WorkshopEnrolment.client_id.in_([c.id for c in who.clients]))
        .order_by(WorkshopEnrolment.id)))
    if not learners and keywords.need_in(folded) is not None:
        return None  # a code that is also a word ("CARE") from someone not on the workshop
    message.meaning = InboundMeaning.CHECK_IN_ANSWER
    language = who.language
    if session.cancelled_at is not None:
        return render("reply_session_cancelled", language, workshop=workshop.title)
    if not learners:
        return render("reply_session_not_enrolled", language, workshop=workshop.title)
    message.client_id = learners[0].client_id
    message.programme_id = learners[0].client.programme_id
    if now < session.starts_at - SIGN_IN_OPENS:
        return render("reply_session_not_started", language, **session_values(session, language))
    if now >= session.ends_at:
        return render("reply_session_over", language, workshop=workshop.title)
    status = AttendanceStatus.LATE if now > session.starts_at + LATE_AFTER \
        else AttendanceStatus.PRESENT
    for enrolment in learners:  # a couple sharing a phone come together
        mark = db.session.scalar(select(Attendance).where(
            Attendance.session_id == session.id, Attendance.enrolment_id == enrolment.id))
        if mark is None or mark.status == AttendanceStatus.NO_SHOW:
            services.record_attendance(None, session, enrolment, status, via="sms")
    return render("reply_session_welcome", language, workshop=workshop.title,
                  **learner_values(learners[0].client))


# --- The four-week follow-up ------------------------------------------------------------------


def pending_follow_up(who, now: datetime) -> WorkshopEnrolment | None:
    """The latest follow-up sent to the sender's own clients and not yet answered, if recent."""
    if who.contacts or not who.clients:
        return None
    return db.session.scalar(select(WorkshopEnrolment).where(
        WorkshopEnrolment.client_id.in_([c.id for c in who.clients]),
        WorkshopEnrolment.follow_up_sent_at.is_not(None),
        WorkshopEnrolment.follow_up_sent_at > now - FOLLOW_UP_ANSWERABLE,
        WorkshopEnrolment.follow_up_answer.is_(None))
        .order_by(WorkshopEnrolment.follow_up_sent_at.desc(), WorkshopEnrolment.id.desc())
        .limit(1))


def follow_up_answer(message: Message, enrolment: WorkshopEnrolment, digit: str,
                     now: datetime) -> str:
    """Store the learner's 1, 2 or 3 (used online alone, with help, not yet) and thank them."""
    enrolment.follow_up_answer = int(digit)
    enrolment.follow_up_answered_at = now
    message.meaning = InboundMeaning.CHECK_IN_ANSWER
    message.client_id = enrolment.client_id
    message.programme_id = enrolment.client.programme_id
    asked = db.session.scalar(select(Message).where(
        Message.dedupe_key == follow_up_key(enrolment),
        Message.direction == MessageDirection.OUTBOUND))
    if asked is not None:
        asked.answered_at, asked.answer = now, digit
        message.in_reply_to_id = asked.id
    db.session.flush()
    record(None, "workshop.follow_up", subject=enrolment, client_id=enrolment.client_id,
           detail={"workshop_id": enrolment.workshop_id, "answer": int(digit)}, via="sms")
    return render("reply_follow_up_thanks", message.language)


# --- Handlers of inbound texts (outreach.messages.understanding) ------------------------------


def place_taken(text: Text) -> Handled | None:
    """YES from a learner offered a workshop place takes it (the reply says so); from a number
    that had opted out, or with no offer waiting, YES is the carriers' opt-in word."""
    if text.carrier_meaning != InboundMeaning.OPT_IN or text.folded != "yes" \
            or text.was_opted_out or not text.who.known:
        return None
    reply = accept_offer_by_text(text.message, text.who, text.now)
    return Handled(reply) if reply is not None else None


def workshop_text(text: Text) -> Handled | None:
    """A session code, LEARN, or yes to a place (not need words)."""
    reply = understand(text.message, text.who, text.folded, text.now)
    return Handled(reply) if reply is not None else None


def _follow_up_waiting(text: Text) -> WorkshopEnrolment | None:
    return text.found("workshop follow-up", lambda: pending_follow_up(text.who, text.now))


def follow_up_asked_at(text: Text) -> datetime | None:
    """When the follow-up a lone digit could answer was sent (a rival of other questions)."""
    asked = _follow_up_waiting(text)
    return asked.follow_up_sent_at if asked is not None else None


def follow_up(text: Text) -> Handled | None:
    """A lone 1, 2 or 3 answering the workshop's follow-up (no check-in was waiting)."""
    if text.digit is None or (asked := _follow_up_waiting(text)) is None:
        return None
    return Handled(follow_up_answer(text.message, asked, text.digit, text.now))
