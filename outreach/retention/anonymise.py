"""Anonymising a client who left: the person goes, the rows behind the figures stay.

Removed: name (replaced by "Former client <id>"), phone, email, address, access notes, notes,
the day and month of birth (the year stays, for age bands), contacts, self-report links, and the
free text written about them (need descriptions, visit notes, escalation notes, appointment and
prescription notes, consent notes, the words of their texts). A contact an escalation went to
is kept as an empty "Former contact" so the escalation stays counted. Kept: visits, needs,
escalations, appointments, consents, messages and outcome measures, with their categories,
outcomes, times and numbers, so the programme's figures do not change. Parish stays: it is the
coarse area the figures are broken down by, shared by many people.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import delete, select, update

from outreach.care.models import Appointment, Prescription
from outreach.consent.models import Consent
from outreach.db import db
from outreach.escalations.models import Escalation, EscalationEvent
from outreach.messages.models import Message
from outreach.needs.models import Need
from outreach.people.models import Client, Contact, ProgrammeEnrolment
from outreach.selfreport.models import SelfReportLink
from outreach.visits.models import Visit, VisitPause

QUIET = {"synchronize_session": False}


def former_name(client_id: int) -> str:
    """The name an anonymised client is shown under."""
    return f"Former client {client_id}"


def _blank(model, ids, **values) -> None:
    db.session.execute(update(model).where(model.client_id.in_(ids)).values(**values),
                       execution_options=QUIET)


def _contacts(ids: list[int]) -> None:
    """Delete the clients' contacts; one an escalation went to stays, emptied, with it."""
    contacts = select(Contact.id).where(Contact.client_id.in_(ids))
    kept = contacts.where(Contact.id.in_(select(Escalation.contact_id)))
    db.session.execute(update(Contact).where(Contact.id.in_(kept)).values(
        name="Former contact", relationship_to_client="", phone=None, email=None,
        receives_visit_reports=False, receives_alerts=False), execution_options=QUIET)
    gone = contacts.where(Contact.id.not_in(kept))
    # Texts to and from them stay as rows for the figures, detached from the person. SQLite
    # may not enforce ON DELETE rules, so consents to share with them are deleted here.
    db.session.execute(update(Message).where(Message.contact_id.in_(gone))
                       .values(contact_id=None, phone="", body="", fingerprint=""),
                       execution_options=QUIET)
    db.session.execute(update(Message).where(Message.contact_id.in_(kept))
                       .values(phone="", body="", fingerprint=""), execution_options=QUIET)
    db.session.execute(delete(Consent).where(Consent.contact_id.in_(gone)),
                       execution_options=QUIET)
    db.session.execute(delete(Contact).where(Contact.id.in_(gone)), execution_options=QUIET)


def anonymise(client_ids: list[int], now: datetime) -> None:
    """Remove the personal details of these clients (claimed by the caller)."""
    ids = list(client_ids)
    births = dict(db.session.execute(select(Client.id, Client.date_of_birth)
                                     .where(Client.id.in_(ids))).tuples().all())
    for client_id in ids:
        born = births.get(client_id)
        db.session.execute(update(Client).where(Client.id == client_id).values(
            full_name=former_name(client_id), phone=None, email=None, address="",
            access_notes="", notes="", anonymised_at=now,
            date_of_birth=date(born.year, 1, 1) if born else None), execution_options=QUIET)
    _contacts(ids)
    db.session.execute(delete(SelfReportLink).where(SelfReportLink.client_id.in_(ids)),
                       execution_options=QUIET)
    _blank(Message, ids, phone="", body="", fingerprint="")
    _blank(Need, ids, description="", resolution="")
    _blank(Visit, ids, note="")
    _blank(VisitPause, ids, reason="")
    _blank(Appointment, ids, notes="")
    _blank(Prescription, ids, description="")
    _blank(Consent, ids, note="", withdrawal_reason="", given_by="")
    _blank(ProgrammeEnrolment, ids, leaving_reason="")
    _blank(Escalation, ids, outcome_note="")
    escalations = select(Escalation.id).where(Escalation.client_id.in_(ids)).scalar_subquery()
    db.session.execute(update(EscalationEvent).where(EscalationEvent.escalation_id.in_(escalations))
                       .values(note=""), execution_options=QUIET)
