"""Enrolling, finding, changing and erasing clients, and managing their contacts."""

from __future__ import annotations

from sqlalchemy import Select, and_, func, or_, select

from outreach.audit.services import record, refuse
from outreach.auth import access
from outreach.auth.models import User
from outreach.db import db, utcnow
from outreach.enums import EnrolmentStatus, OrganisationKind
from outreach.errors import Conflict, NotFound, ValidationFailed
from outreach.organisations.models import Organisation
from outreach.people.models import Client, Contact, ProgrammeEnrolment
from outreach.programmes.models import Programme
from outreach.rounds.models import Round

CLIENT_FIELDS = (
    "full_name", "date_of_birth", "address", "parish", "phone", "email", "preferred_language",
    "lives_alone", "gp_practice_id", "access_notes", "notes", "round_id", "walk_order",
)


def managed_programme(actor: User, programme_id: int) -> Programme:
    """The programme, if it exists and `actor` may enrol clients in it."""
    programme = db.session.get(Programme, programme_id)
    if programme is None or not access.can_manage_programme(actor, programme):
        raise ValidationFailed(
            "You cannot enrol clients in this programme.",
            fields={"programme_id": ["No such programme, or not one of yours."]},
        )
    return programme


def _check_references(programme: Programme, data: dict) -> None:
    if data.get("gp_practice_id") is not None:
        practice = db.session.get(Organisation, data["gp_practice_id"])
        if practice is None or practice.kind != OrganisationKind.HEALTH:
            raise ValidationFailed("Unknown GP practice.",
                                   fields={"gp_practice_id": ["Not a health organisation."]})
    if data.get("round_id") is not None:
        round_ = db.session.get(Round, data["round_id"])
        if round_ is None or round_.programme_id != programme.id:
            raise ValidationFailed("Unknown round.",
                                   fields={"round_id": ["Not a round of this programme."]})


def possible_duplicates(programme_id: int, full_name: str, date_of_birth, phone: str | None,
                        exclude_id: int | None = None) -> list[tuple[Client, str]]:
    """Clients in the programme with the same phone, or the same name and date of birth."""
    in_programme = or_(
        Client.programme_id == programme_id,
        Client.id.in_(select(ProgrammeEnrolment.client_id)
                      .where(ProgrammeEnrolment.programme_id == programme_id)),
    )
    same = []
    if phone:
        same.append(Client.phone == phone)
    if date_of_birth is not None:
        same.append(and_(func.lower(Client.full_name) == full_name.lower(),
                         Client.date_of_birth == date_of_birth))
    if not same:
        return []
    query = select(Client).where(in_programme, or_(*same)).order_by(Client.id).limit(10)
    if exclude_id is not None:
        query = query.where(Client.id != exclude_id)
    matches = []
    for client in db.session.scalars(query):
        reason = "same phone" if phone and client.phone == phone else "same name and date of birth"
        matches.append((client, reason))
    return matches


def create_client(actor: User | None, data: dict, *, contacts: list[dict] = (),
                  force: bool = False) -> Client:
    """Enrol a new client in a programme, refusing a likely duplicate unless forced.
    `actor` None: the person signed themselves up (the public workshop sign-up form)."""
    programme = managed_programme(actor, data["programme_id"]) if actor is not None \
        else db.session.get(Programme, data["programme_id"])
    if programme is None:
        raise ValidationFailed("No such programme.",
                               fields={"programme_id": ["No such programme."]})
    _check_references(programme, data)
    if not force:
        matches = possible_duplicates(programme.id, data["full_name"], data.get("date_of_birth"),
                                      data.get("phone"))
        if matches:
            from outreach.people.schemas import ClientMatch

            raise Conflict(
                "This person may already be enrolled. Check the match, or send force=true to "
                "enrol them anyway.",
                extra={"matches": [
                    dict(ClientMatch().dump(c), reason=reason) for c, reason in matches
                ]},
            )
    client = Client(programme=programme, **{k: data[k] for k in CLIENT_FIELDS if k in data})
    client.enrolments.append(ProgrammeEnrolment(programme=programme))
    db.session.add(client)
    for contact in contacts:
        client.contacts.append(_new_contact(contact))
    db.session.flush()
    record(actor, "client.create", subject=client, client_id=client.id,
           detail={"programme_id": programme.id, "forced": bool(force)})
    return client


def visible_clients(actor: User, *, q: str = "", programme_id: int | None = None) -> Select:
    """A query for the clients `actor` may see, optionally searched by name, phone or parish."""
    query = select(Client).where(access.client_filter(actor))
    if programme_id is not None:
        query = query.where(or_(
            Client.programme_id == programme_id,
            Client.id.in_(select(ProgrammeEnrolment.client_id)
                          .where(ProgrammeEnrolment.programme_id == programme_id)),
        ))
    if q:
        like = "%" + q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        digits = "".join(ch for ch in q if ch.isdigit())
        terms = [func.lower(Client.full_name).like(like, escape="\\"),
                 func.lower(Client.parish).like(like, escape="\\")]
        if len(digits) >= 4:
            terms.append(Client.phone.like(f"%{digits[-9:]}%"))
        query = query.where(or_(*terms))
    return query


def get_client(actor: User, client_id: int, *, purpose: str = "read") -> Client:
    """Load a client for `actor`, recording the read; refusals are recorded too."""
    client = db.session.get(Client, client_id)
    if client is None:
        raise NotFound("No such client.")
    return read_client(actor, client, purpose)


def read_client(actor: User, client: Client, purpose: str, **detail) -> Client:
    """Let `actor` read `client` (something of theirs) if allowed, auditing the read or refusal."""
    if not access.can_see_client(actor, client):
        deny(actor, client, purpose)
    record(actor, "client.read", subject=client, client_id=client.id,
           detail={"for": purpose, **detail})
    return client


def deny(actor: User, client: Client, purpose: str) -> None:
    """Refuse access to a client, keeping a record of the attempt even though nothing else is."""
    refuse(actor, "client.denied", "You do not have access to this client.",
           client_id=client.id, detail={"for": purpose})


def client_for_change(actor: User, client_id: int) -> Client:
    client = get_client(actor, client_id, purpose="change")
    if not access.can_manage_client(actor, client):
        deny(actor, client, "change")
    return client


def update_client(actor: User, client: Client, changes: dict) -> Client:
    """Change the client's details; only the fields given are touched."""
    _check_references(client.programme, changes)
    if "full_name" in changes or "date_of_birth" in changes or "phone" in changes:
        matches = possible_duplicates(
            client.programme_id, changes.get("full_name", client.full_name),
            changes.get("date_of_birth", client.date_of_birth), changes.get("phone", client.phone),
            exclude_id=client.id)
        if matches and not changes.get("force"):
            raise Conflict("Another client has the same phone, or the same name and date of birth.",
                           extra={"matches": [{"id": c.id, "reason": r} for c, r in matches]})
    for key in CLIENT_FIELDS:
        if key in changes:
            setattr(client, key, changes[key])
    db.session.flush()
    record(actor, "client.update", subject=client, client_id=client.id,
           detail={"fields": sorted(k for k in changes if k in CLIENT_FIELDS)})
    return client


def enrol_in_programme(actor: User, client: Client, programme_id: int) -> ProgrammeEnrolment:
    """Add the client to another programme of the same operator (or re-activate them)."""
    programme = managed_programme(actor, programme_id)
    if programme.operator_id != client.programme.operator_id:
        # Another operator's programme would hand this client's record to another organisation.
        raise ValidationFailed("A client can only join programmes of the same operator.",
                               fields={"programme_id": ["Run by another operator."]})
    existing = next((e for e in client.enrolments if e.programme_id == programme.id), None)
    if existing is not None and existing.status == EnrolmentStatus.ACTIVE:
        raise Conflict("The client is already enrolled in this programme.")
    enrolment = existing or ProgrammeEnrolment(programme=programme)
    enrolment.status, enrolment.left_at, enrolment.enrolled_at = (
        EnrolmentStatus.ACTIVE, None, utcnow())
    if existing is None:
        client.enrolments.append(enrolment)
    db.session.flush()
    record(actor, "client.enrol", subject=client, client_id=client.id,
           detail={"programme_id": programme.id})
    return enrolment


def leave_programme(actor: User, client: Client, programme_id: int, reason: str = "") -> None:
    enrolment = next((e for e in client.enrolments if e.programme_id == programme_id), None)
    if enrolment is None or enrolment.status != EnrolmentStatus.ACTIVE:
        raise NotFound("The client is not enrolled in this programme.")
    enrolment.status, enrolment.left_at, enrolment.leaving_reason = (
        EnrolmentStatus.LEFT, utcnow(), reason)
    db.session.flush()
    record(actor, "client.leave", subject=client, client_id=client.id,
           detail={"programme_id": programme_id})


def _new_contact(data: dict) -> Contact:
    if not data.get("phone") and not data.get("email"):
        raise ValidationFailed("A contact needs a phone number or an email address.",
                               fields={"phone": ["Give a phone number or an email address."]})
    contact = Contact(
        name=data["name"], relationship_to_client=data.get("relationship", ""),
        phone=data.get("phone"), email=data.get("email"),
        preferred_language=data.get("preferred_language", "en"),
    )
    contact.receives = data.get("receives", ["alerts"])
    return contact


def add_contact(actor: User, client: Client, data: dict) -> Contact:
    contact = _new_contact(data)
    client.contacts.append(contact)
    db.session.flush()
    record(actor, "contact.create", subject=contact, client_id=client.id)
    return contact


def get_contact(client: Client, contact_id: int) -> Contact:
    contact = next((c for c in client.contacts if c.id == contact_id), None)
    if contact is None:
        raise NotFound("No such contact for this client.")
    return contact


def update_contact(actor: User, contact: Contact, changes: dict) -> Contact:
    merged = {"phone": contact.phone, "email": contact.email, **changes}
    if not merged.get("phone") and not merged.get("email"):
        raise ValidationFailed("A contact needs a phone number or an email address.",
                               fields={"phone": ["Give a phone number or an email address."]})
    for key in ("name", "phone", "email", "preferred_language"):
        if key in changes:
            setattr(contact, key, changes[key])
    if "relationship" in changes:
        contact.relationship_to_client = changes["relationship"]
    if "receives" in changes:
        contact.receives = changes["receives"]
    db.session.flush()
    record(actor, "contact.update", subject=contact, client_id=contact.client_id,
           detail={"fields": sorted(changes)})
    return contact


def remove_contact(actor: User, contact: Contact) -> None:
    client_id = contact.client_id
    record(actor, "contact.delete", subject=contact, client_id=client_id)
    db.session.delete(contact)
    db.session.flush()
