"""Coordinator pages for workshops: the list by programme, creating and changing a workshop,
its sessions, and who is enrolled, waiting or offered a place."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from outreach.audit.services import record_listing
from outreach.auth.models import User
from outreach.db import db, utcnow
from outreach.enums import EnrolmentSource, OrganisationKind, Role
from outreach.errors import APIError
from outreach.literacy import services
from outreach.literacy.forms import (
    EnrolForm,
    SessionForm,
    WithdrawForm,
    WorkshopForm,
    session_times,
)
from outreach.literacy.models import Workshop, WorkshopEnrolment, WorkshopSession
from outreach.literacy.views.invites import (
    MANAGERS,
    TEACHERS,
    found,
    literacy_programmes,
    manageable,
    read_learners,
    require_role,
    teachable,
)
from outreach.organisations.models import Organisation
from outreach.people.models import Client
from outreach.people.services import get_client, visible_clients
from outreach.programmes.models import Programme
from outreach.web.forms import form_data, refusal_errors, validate_form
from outreach.web.pages import keep

bp = Blueprint("workshops", __name__)
SEARCH_LIMIT = 20
Status = services.Status


@bp.before_request
@login_required
def _require_login():
    g.via = "web"


# --- The list, creating and changing a workshop -----------------------------------------------


@bp.get("/workshops/")
def index():
    """Workshops of the programmes the coordinator runs, by programme."""
    require_role(*MANAGERS)
    now = utcnow()
    groups = []
    for programme in literacy_programmes():
        workshops = db.session.scalars(select(Workshop).where(
            Workshop.programme_id == programme.id).order_by(Workshop.title, Workshop.id)).all()
        rows = [{"workshop": w, "next": _next_session(w, now),
                 "places_left": services.places_left(w, now),
                 "counts": _counts(w)} for w in workshops]
        groups.append((programme, rows))
    return render_template("literacy/workshops.html", groups=groups)


def _next_session(workshop: Workshop, now) -> WorkshopSession | None:
    return next((s for s in workshop.sessions
                 if s.ends_at > now and s.cancelled_at is None), None)


def _counts(workshop: Workshop) -> dict:
    counts = {status: 0 for status in Status}
    for status in db.session.scalars(select(WorkshopEnrolment.status).where(
            WorkshopEnrolment.workshop_id == workshop.id)):
        counts[status] += 1
    return counts


def _choices(programmes: list[Programme]) -> dict:
    operators = {p.operator_id for p in programmes}
    tutors = db.session.scalars(select(User).where(
        User.role == Role.TUTOR, User.organisation_id.in_(operators), User.active.is_(True))
        .order_by(User.full_name, User.id)).all()
    partners = db.session.scalars(select(Organisation).where(
        Organisation.kind != OrganisationKind.OPERATOR).order_by(Organisation.name)).all()
    return {"programmes": [(p.id, p.name) for p in programmes],
            "tutors": [(t.id, t.full_name or t.email) for t in tutors],
            "partners": [(o.id, o.name) for o in partners],
            "skills": {p.id: services.skills_of(p) for p in programmes}}


def _workshop_form(programme_id: int | None) -> dict:
    raw = form_data(WorkshopForm(), request.form, lists=("skill_ids",))
    raw["skill_ids"] = [int(s) if s.isascii() and s.isdigit() else s for s in raw["skill_ids"]]
    if programme_id is not None:
        raw["programme_id"] = programme_id
    return raw


def _render_workshop_form(workshop: Workshop | None, programmes, errors: dict, values: dict,
                          status: int):
    page = render_template("literacy/workshop_form.html", workshop=workshop, errors=errors,
                           values=values, **_choices(programmes))
    keep()  # default skills made for a programme stay made, also when the form is refused
    return page, status


def _workshop_values(workshop: Workshop) -> dict:
    return {"title": workshop.title, "description": workshop.description,
            "tutor_id": workshop.tutor_id or "", "partner_id": workshop.partner_id or "",
            "skill_ids": [s.id for s in workshop.skills]}


def _posted_values() -> dict:
    values = request.form.to_dict()
    values["skill_ids"] = [int(s) if s.isdigit() else s for s in request.form.getlist("skill_ids")]
    return values


@bp.route("/workshops/new", methods=["GET", "POST"])
def new_workshop():
    """Create a workshop: title, description, tutor, partner organisation and skills."""
    require_role(*MANAGERS)
    programmes = literacy_programmes()
    if request.method == "GET":
        return _render_workshop_form(None, programmes, {}, {}, 200)
    data, errors = validate_form(WorkshopForm(), _workshop_form(None))
    if not errors and data["programme_id"] not in {p.id for p in programmes}:
        errors = {"programme_id": "Choose one of your digital-literacy programmes."}
    if not errors:
        try:
            workshop = services.create_workshop(current_user, data)
        except APIError as exc:
            errors = refusal_errors(exc)
    if errors:
        db.session.rollback()
        return _render_workshop_form(None, literacy_programmes(), errors, _posted_values(), 422)
    flash(f"Workshop “{workshop.title}” created. Now add its sessions.", "success")
    return redirect(url_for("literacy.workshops.show", workshop_id=workshop.id))


@bp.route("/workshops/<int:workshop_id>/edit", methods=["GET", "POST"])
def edit_workshop(workshop_id: int):
    """Change a workshop's title, description, tutor, partner or skills."""
    require_role(*MANAGERS)
    workshop = manageable(found(Workshop, workshop_id), "change")
    if request.method == "GET":
        return _render_workshop_form(workshop, [workshop.programme], {},
                                     _workshop_values(workshop), 200)
    data, errors = validate_form(WorkshopForm(), _workshop_form(workshop.programme_id))
    if not errors:
        data.pop("programme_id")
        try:
            services.update_workshop(current_user, workshop, data)
        except APIError as exc:
            errors = refusal_errors(exc)
    if errors:
        db.session.rollback()
        workshop = found(Workshop, workshop_id)
        return _render_workshop_form(workshop, [workshop.programme], errors, _posted_values(),
                                     422)
    flash("Workshop saved.", "success")
    return redirect(url_for("literacy.workshops.show", workshop_id=workshop_id))


# --- One workshop: sessions, learners, waiting list -------------------------------------------


@bp.get("/workshops/<int:workshop_id>")
def show(workshop_id: int):
    """A workshop with its sessions, learners, offers and waiting list."""
    require_role(*TEACHERS)
    workshop = teachable(found(Workshop, workshop_id), "view")
    return _render_workshop(workshop, {}, 200)


def _render_workshop(workshop: Workshop, errors: dict, status: int):
    now = utcnow()
    enrolments = db.session.scalars(select(WorkshopEnrolment).where(
        WorkshopEnrolment.workshop_id == workshop.id).order_by(
        WorkshopEnrolment.waiting_since, WorkshopEnrolment.enrolled_at,
        WorkshopEnrolment.id)).all()
    by_status = {s: [e for e in enrolments if e.status == s] for s in Status}
    can_manage = services.may_manage(current_user, workshop.programme)
    q = request.args.get("q", "")[:100].replace("\x00", "").strip()
    found_clients = []
    if can_manage and q:
        found_clients = db.session.scalars(visible_clients(current_user, q=q)
                                           .order_by(Client.full_name, Client.id)
                                           .limit(SEARCH_LIMIT)).all()
    read_learners(enrolments, "workshop")
    record_listing(current_user, found_clients, purpose="workshop_search")
    page = render_template(
        "literacy/workshop.html", workshop=workshop, by_status=by_status, now=now,
        capacity=services.capacity(workshop, now), places_left=services.places_left(workshop, now),
        can_manage=can_manage, q=q, found_clients=found_clients,
        enrolled_ids={e.client_id for e in enrolments if e.status != Status.WITHDRAWN},
        errors=errors)
    keep()  # the audited reads, also when the page is drawn again with a form's errors
    return page, status


@bp.post("/workshops/<int:workshop_id>/enrolments")
def enrol(workshop_id: int):
    """Enrol a learner the coordinator chose (a place if one is free, else the waiting list)."""
    require_role(*MANAGERS)
    workshop = manageable(found(Workshop, workshop_id), "enrol")
    data, errors = validate_form(EnrolForm(), form_data(EnrolForm(), request.form))
    if errors:
        return _render_workshop(workshop, errors, 422)
    learner = get_client(current_user, data["client_id"], purpose="workshop")
    try:
        # A refusal drops the enrolment only: the audited read of the learner stays.
        with db.session.begin_nested():
            enrolment = services.enrol(current_user, workshop, learner,
                                       EnrolmentSource.COORDINATOR)
    except APIError as exc:
        return _render_workshop(found(Workshop, workshop_id), refusal_errors(exc), exc.status)
    flash(f"{learner.full_name} is " + ("enrolled." if enrolment.status == Status.ENROLLED
                                        else "on the waiting list."), "success")
    return redirect(url_for("literacy.workshops.show", workshop_id=workshop_id) + "#learners")


@bp.post("/enrolments/<int:enrolment_id>/withdraw")
def withdraw(enrolment_id: int):
    """Take a learner off the workshop or its waiting list; a freed place is offered on."""
    require_role(*MANAGERS)
    enrolment = found(WorkshopEnrolment, enrolment_id)
    manageable(enrolment.workshop, "withdraw")
    data, errors = validate_form(WithdrawForm(), form_data(WithdrawForm(), request.form))
    if errors:
        return _render_workshop(enrolment.workshop, errors, 422)
    already = enrolment.status == Status.WITHDRAWN
    services.withdraw(current_user, enrolment, data["reason"])
    flash(f"{enrolment.client.full_name} " + ("had already left." if already
                                              else "is no longer on this workshop."), "success")
    return redirect(url_for(".show", workshop_id=enrolment.workshop_id) + "#learners")


# --- Sessions ---------------------------------------------------------------------------------


def _session_values(session: WorkshopSession | None, timezone: str) -> dict:
    if session is None:
        return {"capacity": 10}
    from outreach.web import local_time

    starts, ends = local_time(session.starts_at, timezone), local_time(session.ends_at, timezone)
    return {"day": starts.date().isoformat(), "starts": starts.strftime("%H:%M"),
            "ends": ends.strftime("%H:%M"), "online": session.online, "venue": session.venue,
            "accessibility_notes": session.accessibility_notes, "capacity": session.capacity}


def _render_session_form(workshop: Workshop, session: WorkshopSession | None, errors: dict,
                         values: dict, status: int):
    return render_template("literacy/session_form.html", workshop=workshop, session=session,
                           errors=errors, values=values), status


def _save_session(workshop: Workshop, session: WorkshopSession | None):
    raw = form_data(SessionForm(), request.form, booleans=("online",))
    # A blank day or time is a missing one, so it gets the "give the day" message.
    data, errors = validate_form(SessionForm(), {k: v for k, v in raw.items() if v != ""})
    if not errors:
        changes = session_times(data, workshop.programme.timezone)
        try:
            if session is None:
                session = services.add_session(current_user, workshop, changes)
            else:
                services.update_session(current_user, session, changes)
        except APIError as exc:
            errors = refusal_errors(exc)
            if "ends_at" in errors:
                errors["ends"] = errors.pop("ends_at")
    if errors:
        db.session.rollback()
        values = request.form.to_dict()
        values["online"] = "online" in request.form
        return _render_session_form(found(Workshop, workshop.id), session and found(
            WorkshopSession, session.id), errors, values, 422)
    flash("Session saved.", "success")
    return redirect(url_for("literacy.workshops.show", workshop_id=workshop.id) + "#sessions")


@bp.route("/workshops/<int:workshop_id>/sessions/new", methods=["GET", "POST"])
def new_session(workshop_id: int):
    """Add a session: day, times in the programme's zone, venue, access notes, places."""
    require_role(*TEACHERS)
    workshop = teachable(found(Workshop, workshop_id), "add_session")
    if request.method == "GET":
        return _render_session_form(workshop, None, {}, _session_values(None, ""), 200)
    return _save_session(workshop, None)


@bp.route("/sessions/<int:session_id>/edit", methods=["GET", "POST"])
def edit_session(session_id: int):
    """Move a session, change its venue or its number of places."""
    require_role(*TEACHERS)
    session = found(WorkshopSession, session_id)
    workshop = teachable(session.workshop, "change_session")
    if request.method == "GET":
        return _render_session_form(workshop, session, {}, _session_values(
            session, workshop.programme.timezone), 200)
    return _save_session(workshop, session)


@bp.post("/sessions/<int:session_id>/cancel")
def cancel_session(session_id: int):
    """Cancel a session (it stays on the list, marked cancelled)."""
    require_role(*TEACHERS)
    session = found(WorkshopSession, session_id)
    teachable(session.workshop, "cancel_session")
    services.cancel_session(current_user, session)
    flash("Session cancelled.", "success")
    return redirect(url_for(".show", workshop_id=session.workshop_id) + "#sessions")
