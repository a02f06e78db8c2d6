"""Who sees which workshops, sessions and learners, and loading them for one caller.

Workshops and sessions say nothing about anyone, so all the operator's staff see them (a visitor
to refer a learner, a tutor to see the timetable). Learners are people: an enrolment is shown to
admins, the operator's coordinators and the workshop's own tutor, and every such read (or
refusal) is audited like any other read of a client.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, select, true

from outreach.audit.services import record, refuse
from outreach.auth import access
from outreach.auth.models import User
from outreach.db import db
from outreach.enums import ProgrammeKind, Role
from outreach.errors import Conflict, NotFound, ValidationFailed
from outreach.literacy import services
from outreach.literacy.models import Skill, Workshop, WorkshopEnrolment, WorkshopSession
from outreach.people.services import read_client
from outreach.programmes.models import Programme

STAFF = (Role.COORDINATOR, Role.VISITOR, Role.TUTOR)


def workshop_filter(user: User) -> ColumnElement[bool]:
    """A WHERE clause selecting the workshops `user` may see."""
    if user.role == Role.ADMIN:
        return true()
    if user.role in STAFF:
        return Workshop.programme_id.in_(access.operator_programme_ids(user))
    return false()


def enrolment_filter(user: User) -> ColumnElement[bool]:
    """A WHERE clause selecting the enrolments (learners) `user` may see."""
    if user.role == Role.ADMIN:
        return true()
    if user.role == Role.COORDINATOR:
        return WorkshopEnrolment.workshop_id.in_(select(Workshop.id).where(
            workshop_filter(user))) & WorkshopEnrolment.client_id.in_(
            access.visible_client_ids(user))
    if user.role == Role.TUTOR:
        return WorkshopEnrolment.workshop_id.in_(select(Workshop.id).where(
            Workshop.tutor_id == user.id))
    return false()


def deny(actor: User, workshop: Workshop, action: str, client_id: int | None = None) -> None:
    """Refuse a change to a workshop that is not the actor's, keeping a record of the attempt."""
    refuse(actor, "workshop.denied", "This workshop is not yours to change.",
           client_id=client_id, detail={"workshop_id": workshop.id, "action": action})


def may_see(user: User, workshop: Workshop | None) -> bool:
    """Whether `workshop` exists and is one `user` may see."""
    return workshop is not None and db.session.scalar(select(Workshop.id).where(
        Workshop.id == workshop.id, workshop_filter(user))) is not None


def get_workshop(user: User, workshop_id: int) -> Workshop:
    """A workshop `user` may see (404 otherwise: another operator's is not even named)."""
    workshop = db.session.get(Workshop, workshop_id)
    if not may_see(user, workshop):
        raise NotFound("No such workshop.")
    return workshop


def get_session(user: User, session_id: int) -> WorkshopSession:
    """A session of a workshop `user` may see."""
    session = db.session.get(WorkshopSession, session_id)
    if session is None or not may_see(user, session.workshop):
        raise NotFound("No such session.")
    return session


def require_teach(user: User, workshop: Workshop, action: str) -> None:
    """The register, skills and sessions: the workshop's tutor and its managers, or 403."""
    if not services.may_teach(user, workshop):
        deny(user, workshop, action)


def require_manage(user: User, workshop: Workshop, action: str) -> None:
    """The workshop itself: its programme's coordinators and admins, or 403."""
    if not services.may_manage(user, workshop.programme):
        deny(user, workshop, action)


def get_enrolment(user: User, enrolment_id: int, *, purpose: str = "workshop") -> \
        WorkshopEnrolment:
    """An enrolment whose learner `user` may see; the read and any refusal are audited."""
    enrolment = db.session.get(WorkshopEnrolment, enrolment_id)
    if enrolment is None or not may_see(user, enrolment.workshop):
        raise NotFound("No such enrolment.")
    if not services.may_teach(user, enrolment.workshop):
        deny(user, enrolment.workshop, purpose, client_id=enrolment.client_id)
    read_client(user, enrolment.client, purpose, enrolment_id=enrolment.id)
    return enrolment


def workshop_for_input(user: User, workshop_id: int) -> Workshop:
    """The workshop a body names: one `user` may see, or 422 naming the field."""
    workshop = db.session.get(Workshop, workshop_id)
    if not may_see(user, workshop):
        raise ValidationFailed("No such workshop.", fields={"workshop_id": ["No such workshop."]})
    return workshop


def literacy_programme(user: User, programme_id: int, *, manage: bool) -> Programme:
    """A digital-literacy programme `user` may see (or run, with `manage`), or 422."""
    programme = db.session.get(Programme, programme_id)
    allowed = programme is not None and (
        services.may_manage(user, programme) if manage
        else user.role == Role.ADMIN or programme.operator_id == user.organisation_id)
    if not allowed or programme.kind != ProgrammeKind.DIGITAL_LITERACY:
        raise ValidationFailed("Choose one of your digital-literacy programmes.", fields={
            "programme_id": ["No such digital-literacy programme, or not one of yours."]})
    return programme


def visible_programme_ids(user: User):
    """The programmes whose workshops, sessions and skills `user` may see."""
    return select(Programme.id).where(access.programme_filter(user))


def add_skill(user: User, programme: Programme, name: str) -> Skill:
    """Add an item to the end of the programme's checklist."""
    skills = services.skills_of(programme)
    if any(s.name.casefold() == name.casefold() for s in skills):
        raise Conflict(f"“{name}” is already on the checklist.")
    skill = Skill(programme_id=programme.id, name=name,
                  position=max((s.position for s in skills), default=0) + 1)
    db.session.add(skill)
    db.session.flush()
    record(user, "skill.create", subject=skill, detail={"programme_id": programme.id})
    return skill
