"""API: digital-literacy workshops, their sessions, enrolments, the register and skills.

Admins and the operator's coordinators run it all; a tutor keeps the sessions, register,
skills and confidence of the workshops they teach; a visitor may turn a digital_help need of a
client they see into an invitation (the referral); providers have no part in it.
"""

from __future__ import annotations

from sqlalchemy import select

from outreach.api import Blueprint, paginate
from outreach.audit.services import record_listing
from outreach.db import db, utcnow
from outreach.enums import EnrolmentSource, NeedCategory, NeedStatus, Role
from outreach.errors import Conflict, NotFound, ValidationFailed
from outreach.literacy import report_api, scope, services
from outreach.literacy.models import (
    Attendance,
    Skill,
    Workshop,
    WorkshopEnrolment,
    WorkshopSession,
)
from outreach.literacy.schemas import (
    AttendanceIn,
    AttendanceOut,
    AttendanceQuery,
    ConfidenceIn,
    SkillIn,
    SkillMarkIn,
    SkillOut,
    SkillQuery,
    WorkshopChange,
    WorkshopEnrolmentIn,
    WorkshopEnrolmentOut,
    WorkshopEnrolmentQuery,
    WorkshopIn,
    WorkshopOut,
    WorkshopQuery,
    WorkshopSessionChange,
    WorkshopSessionOut,
    WorkshopSessionQuery,
    WorkshopWithdrawIn,
)
from outreach.needs.models import Need
from outreach.needs.services import close_need
from outreach.people.services import deny as deny_client
from outreach.people.services import get_client, read_client

MANAGERS = (Role.ADMIN, Role.COORDINATOR)
TEACHERS = MANAGERS + (Role.TUTOR,)
# Workshops and sessions name nobody: all the operator's staff may see the timetable.
READERS = TEACHERS + (Role.VISITOR,)
REFERRERS = MANAGERS + (Role.VISITOR,)
TAG = "workshops"


blp = Blueprint("literacy_api", __name__)


# --- Workshops -------------------------------------------------------------------------------

@blp.operation("/workshops", summary="List workshops", tag=TAG, query=WorkshopQuery,
               response=WorkshopOut, many=True, roles=READERS)
def list_workshops(user, params):
    """Workshops of the caller's operator (all for admins), optionally of one programme."""
    query = select(Workshop).where(scope.workshop_filter(user))
    if params["programme_id"] is not None:
        query = query.where(Workshop.programme_id == params["programme_id"])
    return paginate(query, Workshop.id)


@blp.operation("/workshops", method="POST", summary="Create a workshop", tag=TAG, body=WorkshopIn,
               response=WorkshopOut, status=201, roles=MANAGERS)
def create_workshop(user, data):
    """A workshop in a digital-literacy programme the caller runs, with its tutor and skills."""
    scope.literacy_programme(user, data["programme_id"], manage=True)
    return services.create_workshop(user, data)


@blp.operation("/workshops/<int:workshop_id>", summary="One workshop", tag=TAG,
               response=WorkshopOut, roles=READERS)
def get_workshop(user, workshop_id):
    """A workshop with its skills, number of sessions and places left."""
    return scope.get_workshop(user, workshop_id)


@blp.operation("/workshops/<int:workshop_id>", method="PATCH", summary="Change a workshop",
               tag=TAG, body=WorkshopChange, partial=True, response=WorkshopOut, roles=MANAGERS)
def update_workshop(user, workshop_id, data):
    """Change the fields given: title, description, tutor, partner, skills."""
    workshop = scope.get_workshop(user, workshop_id)
    scope.require_manage(user, workshop, "change")
    return services.update_workshop(user, workshop, data)


@blp.operation("/workshops/<int:workshop_id>/sessions", method="POST", summary="Add a session",
               tag=TAG, body=WorkshopSessionChange, response=WorkshopSessionOut, status=201,
               roles=TEACHERS)
def add_session(user, workshop_id, data):
    """A new session (times with their offset); it gets a short code learners text to say
    they are here."""
    workshop = scope.get_workshop(user, workshop_id)
    scope.require_teach(user, workshop, "add_session")
    return services.add_session(user, workshop, data)


# --- Sessions --------------------------------------------------------------------------------

@blp.operation("/sessions", summary="List sessions", tag=TAG, query=WorkshopSessionQuery,
               response=WorkshopSessionOut, many=True, roles=READERS)
def list_sessions(user, params):
    """Sessions of the workshops the caller sees; filter by workshop_id and a `from`/`to`
    window on the start time."""
    query = select(WorkshopSession).where(WorkshopSession.workshop_id.in_(
        select(Workshop.id).where(scope.workshop_filter(user))))
    if params["workshop_id"] is not None:
        query = query.where(WorkshopSession.workshop_id == params["workshop_id"])
    if params["starts_from"] is not None:
        query = query.where(WorkshopSession.starts_at >= params["starts_from"])
    if params["starts_to"] is not None:
        query = query.where(WorkshopSession.starts_at < params["starts_to"])
    return paginate(query, WorkshopSession.id)


@blp.operation("/sessions/<int:session_id>", summary="One session", tag=TAG,
               response=WorkshopSessionOut, roles=READERS)
def get_session(user, session_id):
    """A session with its short code and places left."""
    return scope.get_session(user, session_id)


@blp.operation("/sessions/<int:session_id>", method="PATCH", summary="Change a session", tag=TAG,
               body=WorkshopSessionChange, partial=True, response=WorkshopSessionOut,
               roles=TEACHERS)
def update_session(user, session_id, data):
    """Move a session or change its room; a bigger room offers places to the waiting list."""
    session = scope.get_session(user, session_id)
    scope.require_teach(user, session.workshop, "change_session")
    return services.update_session(user, session, data)


@blp.operation("/sessions/<int:session_id>/cancel", method="POST", summary="Cancel a session",
               tag=TAG, response=WorkshopSessionOut, roles=TEACHERS)
def cancel_session(user, session_id):
    """Cancel a session (again: no change); it no longer counts towards places."""
    session = scope.get_session(user, session_id)
    scope.require_teach(user, session.workshop, "cancel_session")
    return services.cancel_session(user, session)


# --- Enrolments ------------------------------------------------------------------------------

@blp.operation("/enrolments", summary="List workshop enrolments", tag=TAG,
               query=WorkshopEnrolmentQuery, response=WorkshopEnrolmentOut, many=True,
               roles=TEACHERS)
def list_enrolments(user, params):
    """Learners on the workshops the caller runs or teaches; filter by workshop_id, client_id
    and status. Each learner shown is audited."""
    query = select(WorkshopEnrolment).where(scope.enrolment_filter(user))
    for name in ("workshop_id", "client_id", "status"):
        if params[name] is not None:
            query = query.where(getattr(WorkshopEnrolment, name) == params[name])
    page = paginate(query, WorkshopEnrolment.id)
    record_listing(user, {e.client_id: e.client for e in page.items}.values(),
                   purpose="workshop")
    return page


@blp.operation("/enrolments", method="POST", summary="Enrol a learner", tag=TAG,
               body=WorkshopEnrolmentIn, response=WorkshopEnrolmentOut, status=201, roles=REFERRERS)
def enrol_learner(user, data):
    """A place on the workshop, or a turn on its waiting list when it is full. Give client_id,
    or need_id to turn an open digital_help need into an invitation in one step (the need is
    then resolved). 409 if the learner is already on it."""
    workshop = scope.workshop_for_input(user, data["workshop_id"])
    if "need_id" in data:
        return _enrol_from_need(user, workshop, data["need_id"])
    client = get_client(user, data["client_id"], purpose="workshop")
    if user.role == Role.VISITOR:  # visitors refer through a need, never enrol directly
        deny_client(user, client, "workshop")
    return services.enrol(user, workshop, client, EnrolmentSource.COORDINATOR)


def _enrol_from_need(user, workshop: Workshop, need_id: int) -> WorkshopEnrolment:
    need = db.session.get(Need, need_id)
    if need is None:
        raise NotFound("No such need.")
    client = read_client(user, need.client, "workshop", need_id=need.id)
    if need.category != NeedCategory.DIGITAL_HELP:
        raise ValidationFailed("Only a digital_help need can become a workshop invitation.",
                               fields={"need_id": ["Not a digital_help need."]})
    if need.status != NeedStatus.OPEN:
        raise Conflict("This need is already resolved.")
    enrolment = services.enrol(user, workshop, client, EnrolmentSource.REFERRAL,
                               need_id=need.id)
    close_need(need, utcnow(), f"Invited to {workshop.title}", by="referral", via="web")
    return enrolment


@blp.operation("/enrolments/<int:enrolment_id>", summary="One workshop enrolment", tag=TAG,
               response=WorkshopEnrolmentOut, roles=TEACHERS)
def get_enrolment(user, enrolment_id):
    """A learner's enrolment: status, times, confidence, skills shown and follow-up."""
    return scope.get_enrolment(user, enrolment_id)


@blp.operation("/enrolments/<int:enrolment_id>/withdraw", method="POST",
               summary="Withdraw a learner", tag=TAG, body=WorkshopWithdrawIn,
               response=WorkshopEnrolmentOut, roles=TEACHERS)
def withdraw_learner(user, enrolment_id, data):
    """Take the learner off the workshop (or its waiting list); the place is offered on."""
    enrolment = scope.get_enrolment(user, enrolment_id, purpose="withdraw")
    return services.withdraw(user, enrolment, data["reason"])


@blp.operation("/enrolments/<int:enrolment_id>/confidence", method="PUT",
               summary="Record confidence", tag=TAG, body=ConfidenceIn,
               response=WorkshopEnrolmentOut, roles=TEACHERS)
def set_confidence(user, enrolment_id, data):
    """How confident the learner says they are online, 1 to 5: `before`, `after` or both."""
    enrolment = scope.get_enrolment(user, enrolment_id, purpose="confidence")
    return services.set_confidence(user, enrolment, before=data.get("before"),
                                   after=data.get("after"))


@blp.operation("/enrolments/<int:enrolment_id>/skills/<int:skill_id>", method="PUT",
               summary="Mark a skill shown", tag=TAG, body=SkillMarkIn,
               response=WorkshopEnrolmentOut, roles=TEACHERS)
def mark_skill(user, enrolment_id, skill_id, data):
    """`shown: true` when the tutor saw the learner do it; false takes the mark back."""
    enrolment = scope.get_enrolment(user, enrolment_id, purpose="skills")
    session = None
    if data["session_id"] is not None:
        session = db.session.get(WorkshopSession, data["session_id"])
        if session is None or session.workshop_id != enrolment.workshop_id:
            raise ValidationFailed("Not a session of this workshop.",
                                   fields={"session_id": ["Not a session of this workshop."]})
    services.mark_skill(user, enrolment, skill_id, shown=data["shown"], session=session)
    return enrolment


# --- The register ----------------------------------------------------------------------------

@blp.operation("/attendance", method="POST", summary="Mark the register", tag=TAG,
               body=AttendanceIn, response=AttendanceOut, roles=TEACHERS)
def mark_attendance(user, data):
    """Mark an enrolled learner present, late or a no-show (marking again changes it)."""
    session = db.session.get(WorkshopSession, data["session_id"])
    if session is None or not scope.may_see(user, session.workshop):
        raise ValidationFailed("No such session.", fields={"session_id": ["No such session."]})
    scope.require_teach(user, session.workshop, "register")
    enrolment = db.session.get(WorkshopEnrolment, data["enrolment_id"])
    if enrolment is None or enrolment.workshop_id != session.workshop_id:
        raise ValidationFailed("Only learners enrolled on this workshop can be on its register.",
                               fields={"enrolment_id": ["Not enrolled on this workshop."]})
    read_client(user, enrolment.client, "register", enrolment_id=enrolment.id)
    return services.record_attendance(user, session, enrolment, data["status"], via="api")


@blp.operation("/attendance", summary="Register marks", tag=TAG, query=AttendanceQuery,
               response=AttendanceOut, many=True, roles=TEACHERS)
def list_attendance(user, params):
    """The marks of one session (`session_id`), or all those of the learners the caller may
    see; each learner shown is audited."""
    query = select(Attendance).where(Attendance.enrolment_id.in_(
        select(WorkshopEnrolment.id).where(scope.enrolment_filter(user))))
    if params["session_id"] is not None:
        session = scope.get_session(user, params["session_id"])
        scope.require_teach(user, session.workshop, "read_register")
        query = query.where(Attendance.session_id == session.id)
    page = paginate(query, Attendance.id)
    record_listing(user, {a.enrolment.client_id: a.enrolment.client
                          for a in page.items}.values(), purpose="register")
    return page


# --- Skills ----------------------------------------------------------------------------------

@blp.operation("/skills", summary="A programme's skills checklist", tag=TAG, query=SkillQuery,
               response=SkillOut, many=True, roles=READERS)
def list_skills(user, params):
    """The skills of the programmes the caller sees, or of the one named."""
    query = select(Skill).where(Skill.programme_id.in_(scope.visible_programme_ids(user)))
    if params["programme_id"] is not None:
        programme = scope.literacy_programme(user, params["programme_id"], manage=False)
        query = query.where(Skill.programme_id == programme.id)
    return paginate(query, Skill.id)


@blp.operation("/skills", method="POST", summary="Add a skill", tag=TAG, body=SkillIn,
               response=SkillOut, status=201, roles=MANAGERS)
def add_skill(user, data):
    """Add an item to a programme's checklist (409 if it is already there)."""
    programme = scope.literacy_programme(user, data["programme_id"], manage=True)
    return scope.add_skill(user, programme, data["name"])


# The programme's report, declared in its own module (after the routes above, which the OpenAPI
# document lists first).
blp.register_blueprint(report_api.blp)
