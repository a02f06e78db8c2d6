"""Running workshops: sessions, places and the waiting list, the register, skills, confidence.

Places: a workshop is full when its learners (enrolled, plus those offered a place and not yet
answering) fill the smallest of its sessions still to come. Past that, learners wait in the
order they asked; when a place frees up the first is offered it, to confirm by replying YES.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from outreach.audit.services import record, refuse
from outreach.auth import access
from outreach.auth.models import User
from outreach.db import db, utcnow
from outreach.enums import (
    WORKSHOP_ENROLMENT_LIVE,
    AttendanceStatus,
    EnrolmentSource,
    ProgrammeKind,
    Role,
    WorkshopEnrolmentStatus,
)
from outreach.errors import Conflict, ValidationFailed
from outreach.events import place_offered
from outreach.literacy.models import (
    Attendance,
    Skill,
    SkillShown,
    Workshop,
    WorkshopEnrolment,
    WorkshopSession,
)
from outreach.organisations.models import Organisation
from outreach.people.models import Client, ProgrammeEnrolment
from outreach.programmes.models import Programme

Status = WorkshopEnrolmentStatus
DEFAULT_SKILLS = [
    "Use email", "Video-call family", "Spot a scam", "Book a GP appointment online",
    "Order a repeat prescription online", "View my health record",
    "Use the NHS App or the local equivalent",
]
# Letters and digits nobody confuses when reading them off a card or typing them on a keypad.
CODE_ALPHABET = "ACDEFHJKMNPRTUVWXY34679"
CODE_LENGTH = 4
OFFER_HOURS = 48


# --- Who may do what ----------------------------------------------------------------------


def may_manage(actor: User, programme: Programme) -> bool:
    """Workshops and their sessions: admins and the coordinators of the programme's operator."""
    return access.can_manage_programme(actor, programme)


def may_teach(actor: User, workshop: Workshop) -> bool:
    """The register, skills and sessions of a workshop: its tutor, and those who manage it."""
    if actor.role == Role.TUTOR:
        return workshop.tutor_id == actor.id
    return may_manage(actor, workshop.programme)


def _require(allowed: bool, action: str, workshop: Workshop | None, actor: User) -> None:
    if not allowed:
        refuse(actor, "workshop.denied", "This workshop is not yours to change.",
               detail={"workshop_id": getattr(workshop, "id", None), "action": action})


# --- Skills, workshops and sessions -------------------------------------------------------


def start_checklist(programme: Programme) -> None:
    """Give a digital-literacy programme the default skills checklist if it has none yet.

    Done when a programme is made or becomes one, so that reading a checklist never writes:
    two first views of it at once would each add the defaults, and one would break on the
    unique names."""
    if programme.kind != ProgrammeKind.DIGITAL_LITERACY or db.session.scalar(
            select(Skill.id).where(Skill.programme_id == programme.id).limit(1)) is not None:
        return
    db.session.add_all(Skill(programme_id=programme.id, name=name, position=n)
                       for n, name in enumerate(DEFAULT_SKILLS, start=1))
    db.session.flush()


def skills_of(programme: Programme) -> list[Skill]:
    """The programme's skills checklist, in its order."""
    return list(db.session.scalars(select(Skill).where(Skill.programme_id == programme.id)
                                   .order_by(Skill.position, Skill.id)))


def create_workshop(actor: User, data: dict) -> Workshop:
    """A workshop in a digital-literacy programme the actor runs."""
    programme = db.session.get(Programme, data["programme_id"])
    if programme is None or programme.kind != ProgrammeKind.DIGITAL_LITERACY:
        raise ValidationFailed("Workshops belong to a digital-literacy programme.",
                               fields={"programme_id": ["Not a digital-literacy programme."]})
    _require(may_manage(actor, programme), "create", None, actor)
    workshop = Workshop(programme=programme)
    _fill(workshop, data)
    db.session.add(workshop)
    db.session.flush()
    record(actor, "workshop.create", subject=workshop)
    return workshop


def update_workshop(actor: User, workshop: Workshop, changes: dict) -> Workshop:
    _require(may_manage(actor, workshop.programme), "change", workshop, actor)
    _fill(workshop, changes)
    db.session.flush()
    record(actor, "workshop.change", subject=workshop, detail={"fields": sorted(changes)})
    return workshop


def _fill(workshop: Workshop, data: dict) -> None:
    for field in ("title", "description"):
        if field in data:
            setattr(workshop, field, data[field])
    if "tutor_id" in data:
        tutor = db.session.get(User, data["tutor_id"]) if data["tutor_id"] else None
        if data["tutor_id"] and (tutor is None or tutor.role != Role.TUTOR
                                 or tutor.organisation_id != workshop.programme.operator_id):
            raise ValidationFailed("Choose one of the programme's tutors.",
                                   fields={"tutor_id": ["Not a tutor of this programme."]})
        workshop.tutor_id = data["tutor_id"]
    if "partner_id" in data:
        if data["partner_id"] and db.session.get(Organisation, data["partner_id"]) is None:
            raise ValidationFailed("No such organisation.",
                                   fields={"partner_id": ["No such organisation."]})
        workshop.partner_id = data["partner_id"]
    if "skill_ids" in data:
        skills = skills_of(workshop.programme)
        chosen = [s for s in skills if s.id in set(data["skill_ids"])]
        if len(chosen) != len(set(data["skill_ids"])):
            raise ValidationFailed("Choose skills from the programme's checklist.",
                                   fields={"skill_ids": ["Not on this programme's list."]})
        workshop.skills = chosen


def add_session(actor: User, workshop: Workshop, data: dict) -> WorkshopSession:
    """A new session of the workshop, with its own short code for texting in."""
    _require(may_teach(actor, workshop), "add_session", workshop, actor)
    session = WorkshopSession(workshop=workshop, short_code=_new_code())
    _fill_session(session, data)
    db.session.add(session)
    db.session.flush()
    record(actor, "session.create", subject=session, detail={"workshop_id": workshop.id})
    return session


def update_session(actor: User, session: WorkshopSession, changes: dict) -> WorkshopSession:
    _require(may_teach(actor, session.workshop), "change_session", session.workshop, actor)
    _fill_session(session, changes)
    db.session.flush()
    record(actor, "session.change", subject=session, detail={"fields": sorted(changes)})
    offer_places(session.workshop)  # a bigger room may free places
    return session


def cancel_session(actor: User, session: WorkshopSession) -> WorkshopSession:
    _require(may_teach(actor, session.workshop), "cancel_session", session.workshop, actor)
    if session.cancelled_at is None:
        session.cancelled_at = utcnow()
        record(actor, "session.cancel", subject=session)
    return session


def _fill_session(session: WorkshopSession, data: dict) -> None:
    for field in ("starts_at", "ends_at", "online", "venue", "accessibility_notes", "capacity"):
        if field in data:
            setattr(session, field, data[field])
    if session.ends_at is None or session.starts_at is None or \
            session.ends_at <= session.starts_at:
        raise ValidationFailed("A session ends after it starts.",
                               fields={"ends_at": ["Must be after the start."]})
    if session.capacity is None or session.capacity < 1:
        raise ValidationFailed("Say how many people the session can take.",
                               fields={"capacity": ["At least 1."]})


def _new_code() -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if _means_something(code):
            continue
        if db.session.scalar(select(WorkshopSession.id).where(
                WorkshopSession.short_code == code)) is None:
            return code


def _means_something(code: str) -> bool:
    """A code that spells a word we act on by text (CARE, a need; OK) would be ambiguous."""
    from outreach.messages import keywords

    folded = keywords.fold(code)
    return (keywords.need_in(code) is not None or keywords.carrier_meaning(folded) is not None
            or keywords.learn_keyword(folded) or keywords.acknowledgement(folded)
            or keywords.says_yes(folded))


def session_by_code(code: str) -> WorkshopSession | None:
    """The session a learner names by texting its code (any case, spaces ignored)."""
    cleaned = "".join(code.split()).upper()
    if len(cleaned) != CODE_LENGTH:
        return None
    return db.session.scalar(select(WorkshopSession).where(
        WorkshopSession.short_code == cleaned))


# --- Places and the waiting list ----------------------------------------------------------


def capacity(workshop: Workshop, now: datetime) -> int | None:
    """Places on the workshop: its smallest session still to come (None: none planned)."""
    return db.session.scalar(select(func.min(WorkshopSession.capacity)).where(
        WorkshopSession.workshop_id == workshop.id, WorkshopSession.ends_at > now,
        WorkshopSession.cancelled_at.is_(None)))


def places_taken(workshop: Workshop) -> int:
    return db.session.scalar(select(func.count(WorkshopEnrolment.id)).where(
        WorkshopEnrolment.workshop_id == workshop.id,
        WorkshopEnrolment.status.in_((Status.ENROLLED, Status.OFFERED)))) or 0


def places_left(workshop: Workshop, now: datetime | None = None) -> int:
    """Free places (0 when full or no session is planned)."""
    places = capacity(workshop, now or utcnow())
    return max((places or 0) - places_taken(workshop), 0)


def live_enrolment(workshop: Workshop, client: Client) -> WorkshopEnrolment | None:
    return db.session.scalar(select(WorkshopEnrolment).where(
        WorkshopEnrolment.workshop_id == workshop.id, WorkshopEnrolment.client_id == client.id,
        WorkshopEnrolment.status.in_(WORKSHOP_ENROLMENT_LIVE)))


def enrol(actor: User | None, workshop: Workshop, client: Client,
          source: EnrolmentSource | str, *, need_id: int | None = None,
          now: datetime | None = None) -> WorkshopEnrolment:
    """A place for the learner if one is free, else a turn on the waiting list."""
    now = now or utcnow()
    if actor is not None:
        _require(may_teach(actor, workshop) or access.can_manage_client(actor, client)
                 or _may_refer(actor, workshop, client, source, need_id), "enrol",
                 workshop, actor)
    existing = live_enrolment(workshop, client)
    if existing is not None:
        where = ("on the waiting list" if existing.status == Status.WAITING
                 else "already enrolled" if existing.status == Status.ENROLLED
                 else "already offered a place")
        raise Conflict(f"{client.full_name} is {where} for {workshop.title}.")
    free = places_left(workshop, now) > 0
    enrolment = WorkshopEnrolment(
        workshop_id=workshop.id, client_id=client.id,
        status=Status.ENROLLED if free else Status.WAITING, source=EnrolmentSource(source),
        need_id=need_id, enrolled_by_id=getattr(actor, "id", None),
        enrolled_at=now if free else None, waiting_since=None if free else now)
    try:
        with db.session.begin_nested():  # the same learner may be arriving twice at once
            db.session.add(enrolment)
            db.session.flush()
    except IntegrityError as exc:
        raise Conflict(f"{client.full_name} is already enrolled for {workshop.title}.") from exc
    _join_programme(client, workshop.programme, now)
    record(actor, "workshop.enrol", subject=enrolment, client_id=client.id,
           detail={"workshop_id": workshop.id, "status": enrolment.status.value,
                   "source": enrolment.source.value},
           via=None if actor else "system")
    return enrolment


def _may_refer(actor: User, workshop: Workshop, client: Client, source, need_id) -> bool:
    """A visitor turns a digital_help need of a client they see into an invitation to one of
    their operator's workshops (the referral)."""
    return (EnrolmentSource(source) == EnrolmentSource.REFERRAL and need_id is not None
            and workshop.programme.operator_id == actor.organisation_id
            and access.can_see_client(actor, client))


def _join_programme(client: Client, programme: Programme, now: datetime) -> None:
    """A learner is enrolled in the digital-literacy programme itself, once."""
    if any(e.programme_id == programme.id for e in client.enrolments):
        return
    client.enrolments.append(ProgrammeEnrolment(programme_id=programme.id, enrolled_at=now))
    db.session.flush()


def withdraw(actor: User | None, enrolment: WorkshopEnrolment, reason: str = "",
             now: datetime | None = None) -> WorkshopEnrolment:
    """Leave the workshop (or its waiting list); a freed place is offered to the next."""
    now = now or utcnow()
    if enrolment.status == Status.WITHDRAWN:
        return enrolment
    if actor is not None:
        _require(may_teach(actor, enrolment.workshop)
                 or access.can_manage_client(actor, enrolment.client), "withdraw",
                 enrolment.workshop, actor)
    enrolment.status = Status.WITHDRAWN
    enrolment.withdrawn_at = now
    enrolment.withdrawal_reason = reason
    db.session.flush()
    record(actor, "workshop.withdraw", subject=enrolment, client_id=enrolment.client_id,
           detail={"workshop_id": enrolment.workshop_id}, via=None if actor else "system")
    offer_places(enrolment.workshop, now)
    return enrolment


def offer_places(workshop: Workshop, now: datetime | None = None) -> list[WorkshopEnrolment]:
    """Offer each free place to the longest-waiting learner (they confirm by replying YES)."""
    now = now or utcnow()
    offered = []
    while places_left(workshop, now) > 0:
        first = db.session.scalar(select(WorkshopEnrolment).where(
            WorkshopEnrolment.workshop_id == workshop.id,
            WorkshopEnrolment.status == Status.WAITING)
            .order_by(WorkshopEnrolment.waiting_since, WorkshopEnrolment.id).limit(1))
        if first is None:
            break
        first.status = Status.OFFERED
        first.offered_at = now
        first.offer_expires_at = now + timedelta(hours=OFFER_HOURS)
        db.session.flush()
        record(None, "workshop.offer", subject=first, client_id=first.client_id,
               detail={"workshop_id": workshop.id}, via="system")
        place_offered.send(first)  # its text asks them to reply YES
        offered.append(first)
    return offered


def accept_offer(enrolment: WorkshopEnrolment, now: datetime | None = None) -> WorkshopEnrolment:
    """The learner said YES to the place offered: enrolled."""
    now = now or utcnow()
    if enrolment.status != Status.OFFERED:
        raise Conflict("There is no place waiting for an answer.")
    enrolment.status = Status.ENROLLED
    enrolment.enrolled_at = now
    db.session.flush()
    record(None, "workshop.accept", subject=enrolment, client_id=enrolment.client_id,
           detail={"workshop_id": enrolment.workshop_id}, via="sms")
    return enrolment


def expire_offers(now: datetime) -> int:
    """Offers not answered in time go back to the end of the waiting list; the place moves on."""
    expired = db.session.scalars(select(WorkshopEnrolment).where(
        WorkshopEnrolment.status == Status.OFFERED, WorkshopEnrolment.offer_expires_at <= now)
        .order_by(WorkshopEnrolment.id).with_for_update(skip_locked=True)).all()
    for enrolment in expired:
        enrolment.status = Status.WAITING
        enrolment.waiting_since = now
        enrolment.offered_at = enrolment.offer_expires_at = None
    db.session.flush()
    for workshop_id in {e.workshop_id for e in expired}:
        offer_places(db.session.get(Workshop, workshop_id), now)
    return len(expired)


# --- The register, skills and confidence --------------------------------------------------


def record_attendance(actor: User | None, session: WorkshopSession,
                      enrolment: WorkshopEnrolment, status: AttendanceStatus | str, *,
                      via: str = "register") -> Attendance:
    """Mark a learner present, late or a no-show at a session (changing an earlier mark)."""
    if actor is not None:
        _require(may_teach(actor, session.workshop), "register", session.workshop, actor)
    if enrolment.workshop_id != session.workshop_id or enrolment.status != Status.ENROLLED:
        raise ValidationFailed("Only learners enrolled on this workshop can be on its register.",
                               fields={"enrolment_id": ["Not enrolled on this workshop."]})
    if session.cancelled_at is not None:
        raise Conflict("This session was cancelled.")
    mark = db.session.scalar(select(Attendance).where(
        Attendance.session_id == session.id, Attendance.enrolment_id == enrolment.id))
    if mark is None:
        mark = Attendance(session_id=session.id, enrolment_id=enrolment.id)
        db.session.add(mark)
    mark.status = AttendanceStatus(status)
    mark.recorded_by_id = getattr(actor, "id", None)
    mark.via = via
    db.session.flush()
    record(actor, "attendance.mark", subject=mark, client_id=enrolment.client_id,
           detail={"session_id": session.id, "status": mark.status.value, "via": via},
           via=None if actor else via)
    return mark


def mark_skill(actor: User, enrolment: WorkshopEnrolment, skill_id: int, *, shown: bool = True,
               session: WorkshopSession | None = None) -> SkillShown | None:
    """The tutor saw the learner do a skill (or takes the mark back)."""
    _require(may_teach(actor, enrolment.workshop), "skills", enrolment.workshop, actor)
    skill = db.session.get(Skill, skill_id)
    if skill is None or skill.programme_id != enrolment.workshop.programme_id:
        raise ValidationFailed("Not a skill of this programme.",
                               fields={"skill_id": ["Not on this programme's list."]})
    mark = db.session.scalar(select(SkillShown).where(
        SkillShown.enrolment_id == enrolment.id, SkillShown.skill_id == skill.id))
    if shown and mark is None:
        mark = SkillShown(enrolment_id=enrolment.id, skill_id=skill.id,
                          session_id=getattr(session, "id", None), marked_by_id=actor.id)
        db.session.add(mark)
    elif not shown and mark is not None:
        db.session.delete(mark)
        mark = None
    db.session.flush()
    record(actor, "skill.mark", client_id=enrolment.client_id,
           detail={"enrolment_id": enrolment.id, "skill_id": skill.id, "shown": shown})
    return mark


def set_confidence(actor: User, enrolment: WorkshopEnrolment, *, before: int | None = None,
                   after: int | None = None) -> WorkshopEnrolment:
    """How confident the learner says they are online, 1 to 5, at the start and the end."""
    _require(may_teach(actor, enrolment.workshop), "confidence", enrolment.workshop, actor)
    for name, value in (("confidence_before", before), ("confidence_after", after)):
        if value is None:
            continue
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 5:
            raise ValidationFailed("Confidence is a number from 1 to 5.",
                                   fields={name: ["From 1 to 5."]})
        setattr(enrolment, name, value)
    db.session.flush()
    record(actor, "workshop.confidence", subject=enrolment, client_id=enrolment.client_id)
    return enrolment
