"""The tutor's pages, phone first: their sessions, the register (one tap a learner), a learner's
skills checklist and confidence, and the printable "What you learned" summary."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select

from outreach.audit.services import record
from outreach.db import db, utcnow
from outreach.enums import AttendanceStatus, Role
from outreach.errors import APIError, ValidationFailed
from outreach.literacy import services
from outreach.literacy.forms import AttendanceForm, ConfidenceForm, SkillForm
from outreach.literacy.models import (
    Attendance,
    SkillShown,
    Workshop,
    WorkshopEnrolment,
    WorkshopSession,
)
from outreach.literacy.views.invites import TEACHERS, found, read_learners, require_role, teachable
from outreach.programmes.models import Programme
from outreach.web import local_time
from outreach.web.forms import form_data, refusal_errors, validate_form
from outreach.web.pages import keep

bp = Blueprint("tutor", __name__)
Status = services.Status
# How far back the tutor's page looks for registers left unfinished.
PAST_DAYS = 60
MARKS = ((AttendanceStatus.PRESENT, "Present"), (AttendanceStatus.LATE, "Late"),
         (AttendanceStatus.NO_SHOW, "Did not come"))


@bp.before_request
@login_required
def _require_login():
    g.via = "web"


def _my_workshops():
    """The workshops on the user's page: a tutor's own; those a coordinator runs; all for admins."""
    query = select(Workshop.id)
    if current_user.role == Role.TUTOR:
        return query.where(Workshop.tutor_id == current_user.id)
    if current_user.role == Role.COORDINATOR:
        return query.join(Workshop.programme).where(
            Programme.operator_id == current_user.organisation_id)
    return query


def _enrolled(workshop_id: int):
    return select(func.count(WorkshopEnrolment.id)).where(
        WorkshopEnrolment.workshop_id == workshop_id,
        WorkshopEnrolment.status == Status.ENROLLED).scalar_subquery()


@bp.get("/tutor/")
def sessions():
    """Today's and upcoming sessions, and past ones whose register is not finished."""
    require_role(*TEACHERS)
    now = utcnow()
    rows = db.session.scalars(select(WorkshopSession).where(
        WorkshopSession.workshop_id.in_(_my_workshops()),
        WorkshopSession.ends_at > now - timedelta(days=PAST_DAYS))
        .order_by(WorkshopSession.starts_at, WorkshopSession.id)).all()
    marked = dict(db.session.execute(select(Attendance.session_id, func.count(Attendance.id))
                                     .where(Attendance.session_id.in_([s.id for s in rows]))
                                     .group_by(Attendance.session_id)).all())
    coming, unfinished = [], []
    for session in rows:
        learners = db.session.scalar(select(_enrolled(session.workshop_id)))
        zone = session.workshop.programme.timezone
        today = local_time(now, zone).date()
        if session.ends_at > now or local_time(session.starts_at, zone).date() == today:
            coming.append((session, learners))
        elif session.cancelled_at is None and marked.get(session.id, 0) < learners:
            unfinished.append((session, learners - marked.get(session.id, 0)))
    return render_template("literacy/tutor.html", coming=coming, unfinished=unfinished,
                           now=now)


# --- The register ---------------------------------------------------------------------------


@bp.get("/sessions/<int:session_id>/register")
def register(session_id: int):
    """The session's register: one big row per learner, one tap marks them."""
    require_role(*TEACHERS)
    session = found(WorkshopSession, session_id)
    teachable(session.workshop, "register")
    return _render_register(session, {}, 200)


def _render_register(session: WorkshopSession, errors: dict, status: int):
    enrolments = db.session.scalars(select(WorkshopEnrolment).where(
        WorkshopEnrolment.workshop_id == session.workshop_id,
        WorkshopEnrolment.status == Status.ENROLLED).order_by(WorkshopEnrolment.id)).all()
    enrolments = sorted(enrolments, key=lambda e: e.client.full_name.lower())
    marks = {a.enrolment_id: a.status for a in db.session.scalars(select(Attendance).where(
        Attendance.session_id == session.id))}
    read_learners(enrolments, "register")
    page = render_template("literacy/register.html", session=session, workshop=session.workshop,
                           enrolments=enrolments, marks=marks, choices=MARKS, errors=errors)
    keep()  # the audited reads of the learners, also when drawn again with a mark's errors
    return page, status


@bp.post("/sessions/<int:session_id>/register")
def mark(session_id: int):
    """Mark one learner present, late or not come; back to their row on the register."""
    require_role(*TEACHERS)
    session = found(WorkshopSession, session_id)
    teachable(session.workshop, "register")
    data, errors = validate_form(AttendanceForm(), form_data(AttendanceForm(), request.form))
    status = 422
    if errors:  # only a hand-made request gets here: the buttons send good values
        errors = {"_schema": "Tap Present, Late or Did not come next to a learner's name."}
    else:
        enrolment = db.session.get(WorkshopEnrolment, data["enrolment_id"])
        try:
            if enrolment is None:
                raise ValidationFailed("This learner is not on this workshop.")
            services.record_attendance(current_user, session, enrolment, data["status"])
        except APIError as exc:  # one sentence: the register has no field to point at
            errors, status = {"_schema": exc.message}, exc.status
    if errors:
        db.session.rollback()
        return _render_register(found(WorkshopSession, session_id), errors, status)
    return redirect(url_for("literacy.tutor.register", session_id=session_id)
                    + f"#learner-{data['enrolment_id']}")


# --- One learner on a workshop ----------------------------------------------------------------


def _learner(enrolment_id: int, action: str) -> WorkshopEnrolment:
    require_role(*TEACHERS)
    enrolment = found(WorkshopEnrolment, enrolment_id)
    teachable(enrolment.workshop, action)
    record(current_user, "client.read", subject=enrolment.client, client_id=enrolment.client_id,
           detail={"for": "workshop", "enrolment_id": enrolment.id})
    return enrolment


def _skills(enrolment: WorkshopEnrolment):
    """The workshop's own skills, or the programme's whole checklist when it names none."""
    return enrolment.workshop.skills or services.skills_of(enrolment.workshop.programme)


def _attendance(enrolment: WorkshopEnrolment) -> list[tuple[WorkshopSession, object]]:
    marks = {a.session_id: a.status for a in db.session.scalars(select(Attendance).where(
        Attendance.enrolment_id == enrolment.id))}
    return [(s, marks.get(s.id)) for s in enrolment.workshop.sessions]


@bp.get("/enrolments/<int:enrolment_id>")
def learner(enrolment_id: int):
    """A learner's skills checklist, confidence before and after, and attendance so far."""
    return _render_learner(_learner(enrolment_id, "skills"), {}, None, 200)


def _render_learner(enrolment: WorkshopEnrolment, errors: dict, values, status: int):
    shown = set(db.session.scalars(select(SkillShown.skill_id).where(
        SkillShown.enrolment_id == enrolment.id)))
    page = render_template("literacy/learner.html", enrolment=enrolment,
                           workshop=enrolment.workshop, skills=_skills(enrolment), shown=shown,
                           attendance=_attendance(enrolment), marks=dict(MARKS), errors=errors,
                           values=values)
    keep()  # the audited read of the learner, also when drawn again with a form's errors
    return page, status


@bp.post("/enrolments/<int:enrolment_id>/skills")
def mark_skill(enrolment_id: int):
    """Tick (or untick) a skill the learner showed."""
    enrolment = _learner(enrolment_id, "skills")
    data, errors = validate_form(SkillForm(), form_data(SkillForm(), request.form))
    status = 422
    if not errors:
        try:
            services.mark_skill(current_user, enrolment, data["skill_id"],
                                shown=data["shown"] == "yes")
        except APIError as exc:
            errors, status = refusal_errors(exc), exc.status
    if errors:
        db.session.rollback()
        return _render_learner(_learner(enrolment_id, "skills"), errors, None, status)
    return redirect(url_for("literacy.tutor.learner", enrolment_id=enrolment_id)
                    + f"#skill-{data['skill_id']}")


@bp.post("/enrolments/<int:enrolment_id>/confidence")
def confidence(enrolment_id: int):
    """Record how confident the learner feels, 1 to 5, at the start and the end."""
    enrolment = _learner(enrolment_id, "confidence")
    data, errors = validate_form(ConfidenceForm(), form_data(ConfidenceForm(), request.form))
    if not errors and data["before"] is None and data["after"] is None:
        errors = {"before": "Choose a number from 1 to 5."}
    status = 422
    if not errors:
        try:
            services.set_confidence(current_user, enrolment, before=data["before"],
                                    after=data["after"])
        except APIError as exc:
            errors, status = refusal_errors(exc), exc.status
    if errors:
        db.session.rollback()
        errors = {k.removeprefix("confidence_"): v for k, v in errors.items()}
        return _render_learner(_learner(enrolment_id, "confidence"), errors, request.form,
                               status)
    flash("Confidence saved.", "success")
    return redirect(url_for("literacy.tutor.learner", enrolment_id=enrolment_id) + "#confidence")


@bp.get("/enrolments/<int:enrolment_id>/summary")
def summary(enrolment_id: int):
    """A printable page for the learner: what they learned on the workshop."""
    enrolment = _learner(enrolment_id, "summary")
    now = utcnow()
    attendance = _attendance(enrolment)
    held = [s for s, _ in attendance if s.cancelled_at is None and s.starts_at <= now]
    came = [s for s, m in attendance if m in (AttendanceStatus.PRESENT, AttendanceStatus.LATE)]
    shown = set(db.session.scalars(select(SkillShown.skill_id).where(
        SkillShown.enrolment_id == enrolment.id)))
    skills = _skills(enrolment)
    page = render_template(
        "literacy/summary.html", enrolment=enrolment, workshop=enrolment.workshop,
        held=held, came=came, learned=[s for s in skills if s.id in shown],
        still=[s for s in skills if s.id not in shown])
    return page
