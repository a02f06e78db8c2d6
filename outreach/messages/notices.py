"""Texts caused by events: a prescription on its way, a visit report (alerts about needs are
sent by outreach.escalations, to the contacts the routing rules choose).

Each is queued in the transaction of the change that caused it, so it is sent after that commits
or not at all, and each has a dedupe key, so it happens at most once however often the event is
replayed. A text goes only where the client's consent allows and only to a number that may be
texted; otherwise nothing is queued at all (a contact who may not hear is not a failed send).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from outreach.audit.services import record
from outreach.consent.services import may_share_with, takes_part
from outreach.db import db, utcnow
from outreach.enums import MessageKind, MessageStatus
from outreach.messages import numbers
from outreach.messages.models import Message
from outreach.messages.outbox import queue_text
from outreach.messages.texts import dates
from outreach.needs.models import Need
from outreach.people.models import Client, Contact


def first_name(full_name: str) -> str:
    """What a text calls a person: the first word of their name."""
    return full_name.split()[0] if full_name.split() else full_name


def may_text_client(client: Client) -> bool:
    """Whether the client's own phone may get our texts: taking part, and a textable number."""
    return takes_part(client) and numbers.why_not_text(client.phone) is None


def to_contact(client: Client, contact: Contact, kind: MessageKind, template: str, *,
                dedupe_key: str, now: datetime, urgent: bool = False,
                **values) -> Message | None:
    """Queue a text about `client` to one of their contacts, if consent and the number allow."""
    if not may_share_with(client, contact=contact):
        return None
    if numbers.why_not_text(contact.phone) is not None:
        return None
    message = queue_text(kind, template, to=contact.phone, language=contact.preferred_language,
                         programme=client.programme, client=client, contact=contact,
                         urgent=urgent, dedupe_key=dedupe_key, now=now,
                         client_first_name=first_name(client.full_name), **values)
    if message is not None:
        # Information about the client leaves the system: the trail says to whom and why.
        record(None, "client.share", subject=message, client_id=client.id,
               detail={"contact_id": contact.id, "kind": kind.value}, via="system")
    return message


def prescription_on_its_way(prescription, now: datetime | None = None) -> Message | None:
    """Tell the client their prescription is out for delivery (called when it goes out)."""
    now = now or utcnow()
    client = db.session.get(Client, prescription.client_id)
    if not may_text_client(client):
        return None
    pharmacy = prescription.pharmacy.name if prescription.pharmacy is not None else ""
    template = "prescription_on_its_way" if pharmacy else "prescription_on_its_way_unnamed"
    return queue_text(MessageKind.PRESCRIPTION_NOTICE, template, to=client.phone,
                      language=client.preferred_language, programme=client.programme,
                      client=client, dedupe_key=f"prescription:{prescription.id}:on_its_way",
                      now=now, first_name=first_name(client.full_name), pharmacy=pharmacy)


def visit_recorded(visit, now: datetime | None = None, *,
                   raised: list[int] | None = None) -> list[Message]:
    """Send a visit report to each contact who chose to get them (called for a new visit).

    A contact already alerted about a need this visit raised (a no-answer, a fall) is not sent
    a report as well: one text about one doorstep is enough. `raised`: the ids of those needs,
    when the caller knows them (else they are looked up).
    """
    now = now or utcnow()
    client = db.session.get(Client, visit.client_id)
    contacts = [c for c in client.contacts if c.receives_visit_reports]
    if not contacts:
        return []
    alerted = _alerted_about(visit, [c.id for c in contacts], raised)
    timezone = client.programme.timezone
    sent = []
    for contact in contacts:
        if contact.id in alerted:
            continue
        message = to_contact(
            client, contact, MessageKind.VISIT_REPORT, f"visit_report_{visit.outcome.value}",
            dedupe_key=f"visit:{visit.id}:report:{contact.id}", now=now,
            when=dates.when(visit.visited_at, contact.preferred_language, timezone, now))
        if message is not None:
            sent.append(message)
    return sent


def _alerted_about(visit, contact_ids: list[int], raised: list[int] | None) -> set[int]:
    """Which of these contacts were texted an alert about a need raised by this visit."""
    if raised is None:
        raised = db.session.scalars(select(Need.id).where(Need.visit_id == visit.id)).all()
    keys = [f"need:{need_id}:alert:{contact_id}" for need_id in raised
            for contact_id in contact_ids]
    if not keys:
        return set()
    return set(db.session.scalars(select(Message.contact_id).where(
        Message.dedupe_key.in_(keys), Message.status != MessageStatus.CANCELLED)))
