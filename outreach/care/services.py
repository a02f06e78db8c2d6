"""Recording appointments and prescriptions, and moving a prescription through its statuses.

Who may do what: admins and the coordinators of the client's operator manage both; visitors
read those of the clients on their rounds; a pharmacy (a provider user of a health
organisation) adds and updates its own prescriptions, and only for clients who agreed to share
information with it. Every decision that shares a client's data with a pharmacy asks consent.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, exists, false, select

from outreach.audit.services import record, record_listing
from outreach.auth import access
from outreach.auth.models import User
from outreach.care.models import Appointment, Prescription
from outreach.consent.models import Consent
from outreach.consent.services import may_share_with
from outreach.db import db, utcnow
from outreach.enums import ConsentPurpose, OrganisationKind, PrescriptionStatus, Role
from outreach.errors import Conflict, NotFound, ValidationFailed
from outreach.events import prescription_out_for_delivery
from outreach.organisations.models import Organisation
from outreach.people.models import Client
from outreach.people.services import client_for_change, deny

Status = PrescriptionStatus
# Where each status may go next; anything else is refused with 409.
TRANSITIONS: dict[PrescriptionStatus, frozenset[PrescriptionStatus]] = {
    Status.READY: frozenset({Status.OUT_FOR_DELIVERY, Status.NOT_DELIVERED}),
    Status.OUT_FOR_DELIVERY: frozenset({Status.DELIVERED, Status.NOT_DELIVERED}),
    Status.NOT_DELIVERED: frozenset({Status.READY}),  # try again
    Status.DELIVERED: frozenset(),
}
LOOK_AHEAD = timedelta(days=365)
EARLIEST = date(1900, 1, 1)
APPOINTMENT_FIELDS = ("starts_at", "place", "with_whom", "transport_needed", "notes")


# --- Appointments ----------------------------------------------------------------------------

def appointments_for(client: Client, *, upcoming: bool = False) -> Select:
    """A query for the client's appointments; `upcoming`: from now on and not cancelled."""
    query = select(Appointment).where(Appointment.client_id == client.id)
    if upcoming:
        query = query.where(Appointment.starts_at >= utcnow(), Appointment.cancelled_at.is_(None))
    return query


def _check_when(client: Client, starts_at: datetime) -> None:
    """Past appointments may be recorded for history, but not absurd ones."""
    if starts_at > utcnow() + LOOK_AHEAD:
        raise ValidationFailed("An appointment can be at most a year ahead.",
                               fields={"starts_at": ["More than a year ahead."]})
    born = max(client.date_of_birth or EARLIEST, EARLIEST)
    zone = ZoneInfo(client.programme.timezone)
    if starts_at < datetime.combine(born, time.min, tzinfo=zone).astimezone(UTC):
        raise ValidationFailed("An appointment cannot be before the client was born.",
                               fields={"starts_at": ["Before the client's date of birth."]})


def add_appointment(actor: User, client: Client, data: dict) -> Appointment:
    """Record an appointment the visitor should remind the client of."""
    _check_when(client, data["starts_at"])
    appointment = Appointment(client_id=client.id,
                              **{k: data[k] for k in APPOINTMENT_FIELDS if k in data})
    db.session.add(appointment)
    db.session.flush()
    record(actor, "appointment.create", subject=appointment, client_id=client.id)
    return appointment


def get_appointment(client: Client, appointment_id: int) -> Appointment:
    """One of the client's appointments, or 404."""
    appointment = db.session.get(Appointment, appointment_id)
    if appointment is None or appointment.client_id != client.id:
        raise NotFound("No such appointment for this client.")
    return appointment


def change_appointment(actor: User, appointment: Appointment, changes: dict) -> Appointment:
    """Change the fields given; cancelled=true cancels (the record stays), false reinstates."""
    if "starts_at" in changes:
        _check_when(appointment.client, changes["starts_at"])
    for key in APPOINTMENT_FIELDS:
        if key in changes:
            setattr(appointment, key, changes[key])
    if "cancelled" in changes:
        if changes["cancelled"] and appointment.cancelled_at is None:
            appointment.cancelled_at = utcnow()
        elif not changes["cancelled"]:
            appointment.cancelled_at = None
    db.session.flush()
    record(actor, "appointment.change", subject=appointment, client_id=appointment.client_id,
           detail={"fields": sorted(changes)})
    return appointment


# --- Prescriptions: who may act ----------------------------------------------------------------

def is_pharmacy_user(user: User) -> bool:
    """A provider user of a health organisation: the pharmacy side of prescriptions."""
    return (user.role == Role.PROVIDER and user.organisation is not None
            and user.organisation.kind == OrganisationKind.HEALTH)


def _pharmacy_may_see(user: User, client: Client) -> bool:
    return is_pharmacy_user(user) and may_share_with(client, organisation=user.organisation)


def client_for_prescriptions(actor: User, client_id: int) -> Client:
    """The client, if `actor` may add or update their prescriptions (refusals are audited)."""
    if actor.role != Role.PROVIDER:
        return client_for_change(actor, client_id)
    client = db.session.get(Client, client_id)
    if client is None:
        raise NotFound("No such client.")
    if not _pharmacy_may_see(actor, client):
        deny(actor, client, "prescriptions")
    record(actor, "client.read", subject=client, client_id=client.id,
           detail={"for": "prescriptions"})
    return client


# --- Prescriptions -----------------------------------------------------------------------------

def prescriptions_for(client: Client) -> Select:
    """A query for every prescription of the client."""
    return select(Prescription).where(Prescription.client_id == client.id)


def _pharmacy(actor: User, pharmacy_id: int | None) -> int | None:
    if actor.role == Role.PROVIDER:
        if pharmacy_id not in (None, actor.organisation_id):
            raise ValidationFailed("You can add prescriptions for your own pharmacy only.",
                                   fields={"pharmacy_id": ["Not your organisation."]})
        return actor.organisation_id
    if pharmacy_id is not None:
        pharmacy = db.session.get(Organisation, pharmacy_id)
        if pharmacy is None or pharmacy.kind != OrganisationKind.HEALTH:
            raise ValidationFailed("Unknown pharmacy.",
                                   fields={"pharmacy_id": ["Not a health organisation."]})
    return pharmacy_id


def add_prescription(actor: User, client: Client, data: dict) -> Prescription:
    """Record a prescription that is ready to be taken to the client on the round."""
    prescription = Prescription(
        client_id=client.id, pharmacy_id=_pharmacy(actor, data.get("pharmacy_id")),
        description=data["description"], status=Status.READY, ready_at=utcnow())
    db.session.add(prescription)
    db.session.flush()
    record(actor, "prescription.create", subject=prescription, client_id=client.id,
           detail={"pharmacy_id": prescription.pharmacy_id})
    return prescription


def get_prescription(actor: User, client: Client, prescription_id: int) -> Prescription:
    """One of the client's prescriptions; a pharmacy reaches only its own."""
    prescription = db.session.get(Prescription, prescription_id)
    if prescription is None or prescription.client_id != client.id or (
            actor.role == Role.PROVIDER and prescription.pharmacy_id != actor.organisation_id):
        raise NotFound("No such prescription for this client.")
    return prescription


def change_status(actor: User | None, prescription: Prescription, status: str,
                  reason: str = "", *, visit_id: str | None = None) -> Prescription:
    """Move a prescription on: ready → out for delivery → delivered, or not delivered (with a
    reason) and then ready again. Any other move is refused with 409."""
    new, old = Status(status), prescription.status
    if new not in TRANSITIONS[old]:
        raise Conflict(f"A prescription that is {_words(old)} cannot become {_words(new)}.",
                       extra={"status": old.value,
                              "allowed": sorted(s.value for s in TRANSITIONS[old])})
    if new == Status.NOT_DELIVERED and not reason.strip():
        raise ValidationFailed("Say why it was not delivered.",
                               fields={"reason": ["Say why it was not delivered."]})
    now = utcnow()
    prescription.status = new
    if new == Status.NOT_DELIVERED:
        prescription.not_delivered_reason = reason.strip()
    elif new == Status.READY:
        prescription.ready_at, prescription.not_delivered_reason = now, ""
    elif new == Status.DELIVERED:
        prescription.delivered_at = now
        prescription.visit_id = visit_id or prescription.visit_id
    db.session.flush()
    record(actor, "prescription.status", subject=prescription,
           client_id=prescription.client_id, detail={"from": old.value, "to": new.value})
    if new == Status.OUT_FOR_DELIVERY:
        prescription_out_for_delivery.send(prescription, now=now)  # messages texts the client
    return prescription


def _words(status: PrescriptionStatus) -> str:
    return status.value.replace("_", " ")


def _shared_with(organisation_id: int):
    """SQL for "the client agreed to take part and to share with this organisation"."""
    def active(*conditions):
        return exists(select(Consent.id).where(
            Consent.client_id == Prescription.client_id, Consent.withdrawn_at.is_(None),
            *conditions))

    return and_(active(Consent.purpose == ConsentPurpose.TAKE_PART),
                active(Consent.purpose == ConsentPurpose.SHARE_INFORMATION,
                       Consent.organisation_id == organisation_id))


def clients_sharing_with(organisation_id: int) -> list[Client]:
    """Clients who agreed to take part and to share information with this organisation: the
    only ones a pharmacy may add prescriptions for."""
    def active(*conditions):
        return exists(select(Consent.id).where(
            Consent.client_id == Client.id, Consent.withdrawn_at.is_(None), *conditions))

    return list(db.session.scalars(select(Client).where(
        active(Consent.purpose == ConsentPurpose.TAKE_PART),
        active(Consent.purpose == ConsentPurpose.SHARE_INFORMATION,
               Consent.organisation_id == organisation_id),
    ).order_by(Client.full_name, Client.id)))


def visible_prescriptions(actor: User, *, status: str | None = None) -> Select:
    """Prescriptions `actor` may see: a pharmacy its own (for clients who consented to share
    with it), everyone else those of the clients they may see."""
    if actor.role == Role.PROVIDER:
        if not is_pharmacy_user(actor):
            query = select(Prescription).where(false())
        else:
            query = select(Prescription).where(
                Prescription.pharmacy_id == actor.organisation_id,
                _shared_with(actor.organisation_id))
    else:
        query = select(Prescription).where(
            Prescription.client_id.in_(access.visible_client_ids(actor)))
    if status is not None:
        query = query.where(Prescription.status == status)
    return query


def audit_listing(actor: User, items) -> None:
    """Each client whose prescription or appointment is shown leaves a client.list event."""
    seen: dict[int, Client] = {}
    for item in items:
        seen.setdefault(item.client_id, item.client)
    record_listing(actor, seen.values(), purpose="prescriptions")
