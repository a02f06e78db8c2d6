"""Recording and withdrawing consent, and the check every sharing decision makes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from outreach.audit.services import record
from outreach.auth.models import User
from outreach.consent.models import Consent
from outreach.db import db, utcnow
from outreach.enums import ConsentPurpose
from outreach.errors import Conflict, NotFound, ValidationFailed
from outreach.events import consent_withdrawn
from outreach.organisations.models import Organisation
from outreach.people.models import Client, Contact


def record_consent(actor: User | None, client: Client, data: dict) -> Consent:
    """Record a consent given by (or for) the client; one active consent per purpose/recipient."""
    given_at = data.get("given_at") or utcnow()
    if given_at > utcnow():
        raise ValidationFailed("Consent cannot be given in the future.",
                               fields={"given_at": ["Cannot be in the future."]})
    organisation_id, contact_id = data.get("organisation_id"), data.get("contact_id")
    if organisation_id is not None and db.session.get(Organisation, organisation_id) is None:
        raise ValidationFailed("Unknown organisation.",
                               fields={"organisation_id": ["No such organisation."]})
    if contact_id is not None:
        contact = db.session.get(Contact, contact_id)
        if contact is None or contact.client_id != client.id:
            raise ValidationFailed("Unknown contact.",
                                   fields={"contact_id": ["Not a contact of this client."]})
    if _active(client.id, data["purpose"], organisation_id, contact_id) is not None:
        raise Conflict("This consent is already recorded and has not been withdrawn.")
    consent = Consent(
        client=client, purpose=ConsentPurpose(data["purpose"]), organisation_id=organisation_id,
        contact_id=contact_id, given_by=data.get("given_by") or "client", given_at=given_at,
        recorded_by_id=getattr(actor, "id", None), note=data.get("note", ""),
    )
    db.session.add(consent)
    db.session.flush()
    record(actor, "consent.give", subject=consent, client_id=client.id,
           detail={"purpose": consent.purpose.value, "organisation_id": organisation_id,
                   "contact_id": contact_id})
    return consent


def withdraw(actor: User | None, consent: Consent, reason: str = "",
             withdrawn_at: datetime | None = None) -> Consent:
    """Withdraw a consent; from then on nothing is shared on its strength."""
    if consent.withdrawn_at is not None:
        raise Conflict("This consent was already withdrawn.")
    when = withdrawn_at or utcnow()
    if when > utcnow() or when < consent.given_at:
        raise ValidationFailed("Withdrawal must fall between when consent was given and now.",
                               fields={"withdrawn_at": ["Out of range."]})
    consent.withdrawn_at = when
    consent.withdrawn_by_id = getattr(actor, "id", None)
    consent.withdrawal_reason = reason
    db.session.flush()
    record(actor, "consent.withdraw", subject=consent, client_id=consent.client_id,
           detail={"purpose": consent.purpose.value})
    # Features holding information shared on its strength (escalations) take it back.
    consent_withdrawn.send(consent, actor=actor)
    return consent


def get_consent(client: Client, consent_id: int) -> Consent:
    consent = db.session.get(Consent, consent_id)
    if consent is None or consent.client_id != client.id:
        raise NotFound("No such consent for this client.")
    return consent


def consents_for(client: Client, *, with_organisation: bool = False) -> list[Consent]:
    """The client's consents, oldest first; `with_organisation` loads each one's organisation
    with it (for a page that names them)."""
    query = select(Consent).where(Consent.client_id == client.id).order_by(Consent.id)
    if with_organisation:
        query = query.options(joinedload(Consent.organisation))
    return list(db.session.scalars(query))


def _active(client_id: int, purpose: str, organisation_id: int | None,
            contact_id: int | None) -> Consent | None:
    return db.session.scalar(select(Consent).where(
        Consent.client_id == client_id, Consent.purpose == purpose,
        Consent.organisation_id.is_(None) if organisation_id is None
        else Consent.organisation_id == organisation_id,
        Consent.contact_id.is_(None) if contact_id is None else Consent.contact_id == contact_id,
        Consent.withdrawn_at.is_(None),
    ).limit(1))


def takes_part(client: Client) -> bool:
    """Has the client agreed to take part (and not withdrawn)?"""
    return _active(client.id, ConsentPurpose.TAKE_PART, None, None) is not None


def taking_part(client_ids: set[int]) -> set[int]:
    """Which of these clients have agreed to take part (and not withdrawn): `takes_part` for
    many clients in one query."""
    if not client_ids:
        return set()
    return set(db.session.scalars(select(Consent.client_id).where(
        Consent.client_id.in_(client_ids), Consent.purpose == ConsentPurpose.TAKE_PART,
        Consent.withdrawn_at.is_(None))))


def may_share_with(client: Client, *, organisation: Organisation | None = None,
                   contact: Contact | None = None) -> bool:
    """May information about `client` go to this organisation or contact? Every share asks."""
    if (organisation is None) == (contact is None):
        raise ValueError("name exactly one recipient")
    if not takes_part(client):
        return False
    return _active(client.id, ConsentPurpose.SHARE_INFORMATION,
                   organisation.id if organisation else None,
                   contact.id if contact else None) is not None
