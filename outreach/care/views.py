"""Appointments and prescriptions pages for coordinators and pharmacies."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from outreach.audit.services import record_listing
from outreach.care import services
from outreach.care.models import Appointment, Prescription
from outreach.care.schemas import AppointmentIn, PrescriptionIn, StatusIn
from outreach.db import db, utcnow
from outreach.enums import OrganisationKind, PrescriptionStatus
from outreach.organisations.models import Organisation
from outreach.people.models import Client
from outreach.people.services import client_for_change
from outreach.rounds.models import Round
from outreach.schemas import MAX_ID
from outreach.web.forms import attempt, form_data, validate_form
from outreach.web.pages import keep, start_again

bp = Blueprint("care", __name__)
Status = PrescriptionStatus
STATUS_WORDS = {Status.READY: "Ready to take out", Status.OUT_FOR_DELIVERY: "Out for delivery",
                Status.NOT_DELIVERED: "Not delivered", Status.DELIVERED: "Delivered"}
# What the pharmacy page offers from each status: (new status, button text).
MOVES = {Status.READY: [(Status.OUT_FOR_DELIVERY, "Send out for delivery")],
         Status.OUT_FOR_DELIVERY: [(Status.DELIVERED, "Mark delivered")],
         Status.NOT_DELIVERED: [(Status.READY, "Ready to try again")],
         Status.DELIVERED: []}
RECENT = timedelta(days=14)  # how long delivered prescriptions stay on the pages


@bp.before_request
@login_required
def _require_login():
    g.via = "web"


@bp.app_template_global()
def shows_pharmacy_page() -> bool:
    """Whether the menu offers the pharmacy page to the current user."""
    return current_user.is_authenticated and services.is_pharmacy_user(current_user)


@bp.app_template_global()
def care_time(moment: datetime, timezone: str) -> str:
    """A time as people read it, in the programme's time zone: Tue 4 March 2025, 10:30."""
    local = moment.astimezone(ZoneInfo(timezone))
    return f"{local:%a} {local.day} {local:%B %Y, %H:%M}"


@bp.app_template_global()
def care_for_client(client: Client, pharmacies: list | None = None) -> dict:
    """What the client page's appointments and prescriptions section shows. `pharmacies`:
    what the page has loaded for its forms (any rows with id and name), else read here."""
    now = utcnow()
    appointments = db.session.scalars(
        services.appointments_for(client, upcoming=True).order_by(Appointment.starts_at)
        .limit(20)).all()
    # Each card names its pharmacy: loaded with it rather than a query apiece.
    prescriptions = db.session.scalars(services.prescriptions_for(client).where(or_(
        Prescription.status != Status.DELIVERED, Prescription.delivered_at >= now - RECENT,
    )).options(joinedload(Prescription.pharmacy)).order_by(Prescription.id.desc())
        .limit(20)).all()
    return {"appointments": appointments, "prescriptions": prescriptions,
            "pharmacies": _pharmacies() if pharmacies is None else pharmacies,
            "status_words": STATUS_WORDS, "timezone": client.programme.timezone}


def _pharmacies() -> list[Organisation]:
    return db.session.scalars(select(Organisation).where(
        Organisation.kind == OrganisationKind.HEALTH).order_by(Organisation.name)).all()


def _appointment_form(client: Client, form) -> tuple[dict, dict]:
    """Read the form's local date and time as a time in the programme's zone, then validate
    it with the API's schema."""
    errors = {}
    data = form_data(AppointmentIn(), form, booleans=("transport_needed",))
    data.pop("starts_at", None)
    try:
        day = date.fromisoformat(form.get("day", "").strip())
    except ValueError:
        errors["day"] = "Enter the date, for example 2025-03-04."
    try:
        at = time.fromisoformat(form.get("time", "").strip())
    except ValueError:
        errors["time"] = "Enter the time, for example 10:30."
    if errors:
        return {}, errors
    zone = ZoneInfo(client.programme.timezone)
    data["starts_at"] = datetime.combine(day, at, tzinfo=zone).isoformat()
    loaded, errors = validate_form(AppointmentIn(), data)
    if "starts_at" in errors:
        errors["day"] = errors.pop("starts_at")
    return loaded, errors


@bp.post("/clients/<int:client_id>/appointments")
def add_appointment(client_id: int):
    """Record an appointment from the client's page."""
    client = client_for_change(current_user, client_id)
    data, errors = _appointment_form(client, request.form)
    if not errors:
        errors = attempt(lambda: services.add_appointment(current_user, client, data))
        # The form asks for a day and a time; a refusal about the moment belongs to the day.
        errors["day"] = errors.pop("starts_at", errors.get("day"))
        errors = {k: v for k, v in errors.items() if v}
    if errors:
        client = client_for_change(current_user, client_id)
        keep()  # the audited reads of the client, shown again with the form's errors
        return render_template("care/appointment_form.html", client=client, errors=errors,
                               values=request.form), 422
    flash("Appointment added. The visitor will remind them in the week before.", "success")
    return redirect(url_for("people.show", client_id=client_id, _anchor="care"))


@bp.post("/clients/<int:client_id>/appointments/<int:appointment_id>/cancel")
def cancel_appointment(client_id: int, appointment_id: int):
    """Cancel an appointment; it stays on record."""
    client = client_for_change(current_user, client_id)
    appointment = services.get_appointment(client, appointment_id)
    services.change_appointment(current_user, appointment, {"cancelled": True})
    flash("Appointment cancelled.", "success")
    return redirect(url_for("people.show", client_id=client_id, _anchor="care"))


@bp.post("/clients/<int:client_id>/prescriptions")
def add_prescription(client_id: int):
    """Record a prescription to deliver, from the client's page."""
    client = client_for_change(current_user, client_id)
    data, errors = validate_form(PrescriptionIn(), form_data(PrescriptionIn(), request.form))
    if not errors:
        errors = attempt(lambda: services.add_prescription(current_user, client, data))
    if errors:
        start_again()
        client = client_for_change(current_user, client_id)
        return render_template("care/prescription_form.html", client=client, errors=errors,
                               values=request.form, pharmacies=_pharmacies()), 422
    flash("Prescription added. It will be on the visitor's round.", "success")
    return redirect(url_for("people.show", client_id=client_id, _anchor="care"))


# --- The pharmacy's page -----------------------------------------------------------------------

def _require_pharmacy() -> None:
    if not services.is_pharmacy_user(current_user):
        abort(403)


@bp.get("/pharmacy")
def pharmacy():
    """A pharmacy's prescriptions by status, with buttons to move each one on."""
    _require_pharmacy()
    return _render_pharmacy({}, None, 200)


def _pharmacy_groups():
    """The pharmacy's prescriptions grouped by status, and the names of their rounds."""
    shown = db.session.scalars(services.visible_prescriptions(current_user).where(or_(
        Prescription.status != Status.DELIVERED,
        Prescription.delivered_at >= utcnow() - RECENT,
    )).order_by(Prescription.id)).all()
    services.audit_listing(current_user, shown)
    groups = [(status, STATUS_WORDS[status], [p for p in shown if p.status == status])
              for status in (Status.READY, Status.OUT_FOR_DELIVERY, Status.NOT_DELIVERED,
                             Status.DELIVERED)]
    round_ids = {p.client.round_id for p in shown} - {None}
    round_names = dict(db.session.execute(
        select(Round.id, Round.name).where(Round.id.in_(round_ids))).all()) if round_ids else {}
    return groups, round_names


def _render_pharmacy(errors: dict, values, status: int):
    groups, round_names = _pharmacy_groups()
    clients = services.clients_sharing_with(current_user.organisation_id)
    record_listing(current_user, clients, purpose="prescriptions")
    return render_template("care/pharmacy.html", groups=groups, moves=MOVES,
                           round_names=round_names, organisation=current_user.organisation,
                           clients=clients, errors=errors, values=values or {}), status


@bp.post("/pharmacy/prescriptions")
def pharmacy_add():
    """A pharmacy adds a prescription for a client who agreed to share with it."""
    _require_pharmacy()
    data, errors = validate_form(PrescriptionIn(), form_data(PrescriptionIn(), request.form))
    raw_client = request.form.get("client_id", "")
    if not raw_client.isdigit() or not 0 < int(raw_client) <= MAX_ID:
        errors["client_id"] = "Choose the client."
    if not errors:
        # A client the pharmacy may not see is a refusal (403, audited), not a form error.
        client = services.client_for_prescriptions(current_user, int(raw_client))
        errors = attempt(lambda: services.add_prescription(current_user, client, data))
    if errors:
        start_again()
        return _render_pharmacy(errors, request.form, 422)
    flash(f"Prescription added for {client.full_name}. It will be on the visitor's round.",
          "success")
    return redirect(url_for("care.pharmacy"))


@bp.post("/pharmacy/prescriptions/<int:prescription_id>/status")
def pharmacy_status(prescription_id: int):
    """Move one of the pharmacy's prescriptions on."""
    _require_pharmacy()
    prescription = db.session.get(Prescription, prescription_id)
    if prescription is None or prescription.pharmacy_id != current_user.organisation_id:
        abort(404)
    client = services.client_for_prescriptions(current_user, prescription.client_id)
    data, errors = validate_form(StatusIn(), form_data(StatusIn(), request.form))
    if not errors:
        errors = attempt(lambda: services.change_status(current_user, prescription,
                                                        data["status"], data["reason"]))
    if errors:
        db.session.rollback()
        flash(f"{client.full_name}: " + " ".join(errors.values()), "error")
        return redirect(url_for("care.pharmacy"))
    flash(f"{client.full_name}: {STATUS_WORDS[Status(data['status'])].lower()}.", "success")
    return redirect(url_for("care.pharmacy", _anchor=f"status-{data['status']}"))

