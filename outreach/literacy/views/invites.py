"""Digital-literacy pages: the lookups and refusals they share, and turning a client's
digital_help need into a workshop invitation from the client's page.

The pages themselves: `workshops` (coordinators), `tutors` (the register, a learner's skills
and summary) and `signup` (the public sign-up form).
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from outreach.audit.services import record_listing
from outreach.audit.services import refuse as refuse_audited
from outreach.auth import access
from outreach.db import db, utcnow
from outreach.enums import EnrolmentSource, NeedCategory, NeedStatus, ProgrammeKind, Role
from outreach.errors import APIError
from outreach.literacy import services
from outreach.literacy.forms import InviteForm
from outreach.literacy.models import Workshop, WorkshopEnrolment, WorkshopSession
from outreach.needs.models import Need
from outreach.needs.services import close_need, get_need
from outreach.people.models import Client
from outreach.people.services import deny
from outreach.programmes.models import Programme
from outreach.web.forms import form_data, refusal_errors, validate_form

bp = Blueprint("invites", __name__)
MANAGERS = (Role.ADMIN, Role.COORDINATOR)
TEACHERS = (Role.ADMIN, Role.COORDINATOR, Role.TUTOR)
Status = services.Status


@bp.before_request
@login_required
def _require_login():
    g.via = "web"


# --- Lookups and refusals, shared with the tutor's pages -------------------------------------


def require_role(*roles: Role) -> None:
    """Refuse roles that never have these pages, before anything is looked up."""
    if current_user.role not in roles:
        abort(403)


def refuse(workshop: Workshop, action: str) -> None:
    """Refuse a workshop that is not the user's, keeping the audited refusal."""
    refuse_audited(current_user, "workshop.denied", "This workshop is not yours.",
                   detail={"workshop_id": workshop.id, "action": action})


def teachable(workshop: Workshop, action: str) -> Workshop:
    """The workshop, if the user teaches or manages it."""
    if not services.may_teach(current_user, workshop):
        refuse(workshop, action)
    return workshop


def manageable(workshop: Workshop, action: str) -> Workshop:
    """The workshop, if the user manages its programme."""
    if not services.may_manage(current_user, workshop.programme):
        refuse(workshop, action)
    return workshop


def found(model, key: int):
    """A record by id, or a 404 page."""
    made = db.session.get(model, key)
    if made is None:
        abort(404)
    return made


def literacy_programmes() -> list[Programme]:
    """The digital-literacy programmes the user runs."""
    programmes = db.session.scalars(select(Programme).where(
        access.programme_filter(current_user),
        Programme.kind == ProgrammeKind.DIGITAL_LITERACY).order_by(Programme.name, Programme.id))
    return [p for p in programmes if services.may_manage(current_user, p)]


def read_learners(enrolments, purpose: str) -> None:
    """A page listing learners shows client records: audited like any list."""
    record_listing(current_user, {e.client_id: e.client for e in enrolments}.values(),
                   purpose=purpose)


# --- From a need to an invitation, on the client's page ---------------------------------------


def _upcoming_workshops(operator_id: int, now) -> list[Workshop]:
    """Workshops of the operator's digital-literacy programmes with a session still to come."""
    soon = select(WorkshopSession.workshop_id).where(
        WorkshopSession.ends_at > now, WorkshopSession.cancelled_at.is_(None))
    workshops = db.session.scalars(select(Workshop).join(Workshop.programme).where(
        Programme.operator_id == operator_id, Programme.kind == ProgrammeKind.DIGITAL_LITERACY,
        Workshop.id.in_(soon)).order_by(Workshop.title, Workshop.id)).all()
    return [w for w in workshops if services.may_manage(current_user, w.programme)]


@bp.app_template_global()
def workshops_for_client(client: Client,
                         checked: access.ClientAccess | None = None) -> dict | None:
    """What the client page's "Workshops" section shows; None for those who cannot enrol them.
    The client page has already recorded the read of this client, and passes what it decided
    of the user's access as `checked`."""
    if not (current_user.is_authenticated and current_user.role in MANAGERS):
        return None
    can_manage = checked.can_manage if checked is not None \
        and checked.about(current_user, client) else access.can_manage_client(current_user, client)
    if not can_manage:
        return None
    # Each card names its workshop: loaded with it rather than a query apiece.
    enrolments = db.session.scalars(select(WorkshopEnrolment).where(
        WorkshopEnrolment.client_id == client.id).options(joinedload(WorkshopEnrolment.workshop))
        .order_by(WorkshopEnrolment.id.desc())).all()
    needs = db.session.scalars(select(Need).where(
        Need.client_id == client.id, Need.category == NeedCategory.DIGITAL_HELP,
        Need.status == NeedStatus.OPEN)
        .order_by(Need.created_at)).all()
    return {"enrolments": enrolments, "needs": needs,
            "workshops": _upcoming_workshops(client.programme.operator_id, utcnow()) if needs
            else []}


@bp.post("/needs/<int:need_id>/invite")
def invite(need_id: int):
    """Turn an open digital_help need into a workshop invitation, closing the need, in one step."""
    require_role(*MANAGERS)
    need = get_need(current_user, need_id)
    if not access.can_manage_client(current_user, need.client):
        deny(current_user, need.client, "change")
    back = url_for("people.show", client_id=need.client_id) + "#workshops"
    data, errors = validate_form(InviteForm(), form_data(InviteForm(), request.form))
    workshop = db.session.get(Workshop, data["workshop_id"]) if not errors else None
    if not errors and (workshop is None or workshop not in _upcoming_workshops(
            need.client.programme.operator_id, utcnow())):
        errors = {"workshop_id": "Choose one of the workshops offered."}
    if not errors and (need.category != NeedCategory.DIGITAL_HELP
                       or need.status != NeedStatus.OPEN):
        errors = {"_schema": "This need is closed already, or is not about getting online."}
    if not errors:
        try:
            # A refusal drops the invitation only: the audited read of the need's client stays.
            with db.session.begin_nested():
                enrolment = services.enrol(current_user, workshop, need.client,
                                           EnrolmentSource.REFERRAL, need_id=need.id)
                close_need(need, utcnow(), f"Invited to {workshop.title}", by="referral",
                           via="web")
        except APIError as exc:
            errors = refusal_errors(exc)
    if errors:
        flash(" ".join(errors.values()), "error")
        return redirect(back)
    where = ("has a place on" if enrolment.status == Status.ENROLLED
             else "is on the waiting list for")
    flash(f"{need.client.full_name} {where} {workshop.title}. The need is closed.", "success")
    return redirect(back)
