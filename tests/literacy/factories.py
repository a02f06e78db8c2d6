"""Factories for digital-literacy test data: workshops, sessions, enrolments and marks.

Plain model inserts, like tests/factories.py: they bypass the services' rules on purpose, so a
test can set up any state (a full workshop, an expired offer) and then exercise one rule.
Call them inside an application context; they flush, the caller commits when it needs to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from outreach.db import db, utcnow
from outreach.enums import (
    AttendanceStatus,
    EnrolmentSource,
    ProgrammeKind,
    WorkshopEnrolmentStatus,
)
from outreach.literacy.models import (
    Attendance,
    Skill,
    SkillShown,
    Workshop,
    WorkshopEnrolment,
    WorkshopSession,
)
from outreach.literacy.services import _new_code
from outreach.organisations.models import Organisation
from outreach.people.models import Client, ProgrammeEnrolment
from outreach.programmes.models import Programme
from tests import factories

Status = WorkshopEnrolmentStatus


def literacy_programme(operator: Organisation, **kw) -> Programme:
    """A digital-literacy programme run by `operator`."""
    return factories.programme(operator, ProgrammeKind.DIGITAL_LITERACY,
                               name=kw.pop("name", f"Get Online {factories.n()}"), **kw)


def skill(prog: Programme, name: str | None = None, **kw) -> Skill:
    """One item of the programme's skills checklist: the one of that name if the checklist
    (which starts with the defaults) has it."""
    known = db.session.scalar(select(Skill).where(Skill.programme_id == prog.id,
                                                  Skill.name == name)) if name else None
    if known is not None:
        known.active = kw.pop("active", True)
        for key, value in kw.items():
            setattr(known, key, value)
        db.session.flush()
        return known
    made = Skill(programme_id=prog.id, name=name or f"Skill {factories.n()}",
                 position=kw.pop("position", factories.n()), **kw)
    db.session.add(made)
    db.session.flush()
    return made


def workshop(prog: Programme, tutor=None, *, skills: list[Skill] | None = None,
             **kw) -> Workshop:
    """A workshop of `prog`, taught by `tutor` (a User, or None for no tutor yet)."""
    made = Workshop(programme_id=prog.id, title=kw.pop("title", f"Workshop {factories.n()}"),
                    description=kw.pop("description", "Getting started online"),
                    tutor_id=getattr(tutor, "id", None), **kw)
    if skills:
        made.skills = [db.session.merge(s) for s in skills]
    db.session.add(made)
    db.session.flush()
    return made


def session(ws: Workshop, starts_at: datetime | None = None, *, capacity: int = 10,
            hours: float = 2, **kw) -> WorkshopSession:
    """A session of `ws`, by default a week from now, two hours long, for ten people."""
    starts_at = starts_at or utcnow() + timedelta(days=7)
    made = WorkshopSession(workshop_id=ws.id, starts_at=starts_at,
                           ends_at=kw.pop("ends_at", starts_at + timedelta(hours=hours)),
                           capacity=capacity, venue=kw.pop("venue", "Town Library, room 2"),
                           accessibility_notes=kw.pop("accessibility_notes", "Step-free"),
                           short_code=kw.pop("short_code", None) or _new_code(), **kw)
    db.session.add(made)
    db.session.flush()
    return made


def learner(prog: Programme, **kw) -> Client:
    """A client of `prog` who agreed to take part, as the sign-up form records: only those
    get the workshop's texts."""
    made = factories.client(prog, **kw)
    factories.consent(made)
    return made


def enrolment(ws: Workshop, learner: Client,
              status: WorkshopEnrolmentStatus | str = Status.ENROLLED,
              source: EnrolmentSource | str = EnrolmentSource.COORDINATOR,
              **kw) -> WorkshopEnrolment:
    """The learner's enrolment on `ws` in `status`, with the times that status implies."""
    status = Status(status)
    now = kw.pop("now", None) or utcnow()
    times = {
        Status.ENROLLED: {"enrolled_at": now},
        Status.WAITING: {"waiting_since": now},
        Status.OFFERED: {"waiting_since": now, "offered_at": now,
                         "offer_expires_at": now + timedelta(hours=48)},
        Status.WITHDRAWN: {"enrolled_at": now, "withdrawn_at": now},
    }[status]
    made = WorkshopEnrolment(workshop_id=ws.id, client_id=learner.id, status=status,
                             source=EnrolmentSource(source), **{**times, **kw})
    db.session.add(made)
    db.session.flush()
    return made


def attendance(sess: WorkshopSession, enrol: WorkshopEnrolment,
               status: AttendanceStatus | str = AttendanceStatus.PRESENT, **kw) -> Attendance:
    """A mark on the session's register."""
    made = Attendance(session_id=sess.id, enrolment_id=enrol.id,
                      status=AttendanceStatus(status), via=kw.pop("via", "register"), **kw)
    db.session.add(made)
    db.session.flush()
    return made


def skill_shown(enrol: WorkshopEnrolment, sk: Skill, **kw) -> SkillShown:
    """The tutor saw the learner do `sk`."""
    made = SkillShown(enrolment_id=enrol.id, skill_id=sk.id, **kw)
    db.session.add(made)
    db.session.flush()
    return made


def join(learner: Client, prog: Programme) -> None:
    """Also enrol `learner` in `prog` (a client of a call-and-check programme taking a course)."""
    db.session.add(ProgrammeEnrolment(client_id=learner.id, programme_id=prog.id))
    db.session.flush()


@dataclass
class Literacy:
    """A digital-literacy programme for each operator of the world, with one workshop each."""

    programme: Programme  # the world's operator's, digital literacy
    other_programme: Programme  # the other operator's
    skills: list[Skill]
    workshop: Workshop  # taught by the world's tutor
    untaught: Workshop  # same programme, no tutor (another tutor's, for scope tests)
    other_workshop: Workshop  # the other operator's
    session: WorkshopSession  # of `workshop`, next week
    other_session: WorkshopSession  # of `other_workshop`
    learner: Client  # enrolled on `workshop`
    enrolment: WorkshopEnrolment
    other_learner: Client  # enrolled on `other_workshop`
    other_enrolment: WorkshopEnrolment


def literacy(world) -> Literacy:
    """Workshops, sessions and learners on top of `factories.world()` (inside an app context)."""
    prog = literacy_programme(world.operator)
    other_prog = literacy_programme(world.other_operator)
    skills = [skill(prog, name) for name in ("Use email", "Spot a scam")]
    taught = workshop(prog, world.tutor, skills=skills, title="Getting online")
    untaught = workshop(prog, None, title="Health records online")
    other = workshop(other_prog, None, title="Other island workshop")
    learner = factories.client(prog, full_name="Learner Person")
    other_learner = factories.client(other_prog, full_name="Other Learner")
    return Literacy(
        programme=prog, other_programme=other_prog, skills=skills, workshop=taught,
        untaught=untaught, other_workshop=other, session=session(taught),
        other_session=session(other), learner=learner,
        enrolment=enrolment(taught, learner), other_learner=other_learner,
        other_enrolment=enrolment(other, other_learner))
