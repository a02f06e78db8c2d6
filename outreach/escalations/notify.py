"""Texts about escalations: the alert to a contact (reply OK), the contact's OK, and the
outcome told to the client. The SMS pipeline sends them after commit, like every text."""

from __future__ import annotations

from sqlalchemy import select

from outreach.db import db, utcnow
from outreach.enums import (
    ESCALATION_LIVE,
    SYSTEM_CATEGORIES,
    EscalationEventKind,
    InboundMeaning,
    MessageKind,
    NeedCategory,
    NeedSeverity,
    NeedSource,
)
from outreach.escalations import services
from outreach.escalations.models import Escalation
from outreach.messages import keywords
from outreach.messages.models import Message
from outreach.messages.notices import first_name, may_text_client, to_contact
from outreach.messages.outbox import queue_text
from outreach.messages.texts import render
from outreach.messages.texts.outbound import TEXTS
from outreach.messages.texts.replies import WHAT
from outreach.messages.understanding import Handled, Text
from outreach.people.models import Client, Contact


def alert_contact(escalation: Escalation) -> Message | None:
    """Text a contact a need routed to them, asking them to reply OK if they take it on."""
    contact = db.session.get(Contact, escalation.contact_id)
    client = db.session.get(Client, escalation.client_id)
    category = escalation.category
    template, values = f"alert_{category.value}", {}
    if template not in TEXTS:
        what = WHAT.get(category, {}).get(contact.preferred_language)
        template, values = ("alert_need", {"what": what}) if what else ("alert_concern", {})
    message = to_contact(client, contact, MessageKind.ALERT, template,
                         dedupe_key=f"need:{escalation.need_id}:alert:{contact.id}",
                         now=utcnow(), urgent=escalation.severity == NeedSeverity.URGENT,
                         **values)
    if message is not None:
        message.need_id = escalation.need_id
        services.record_event(escalation, EscalationEventKind.MESSAGE,
                              detail={"message_id": message.id, "direction": "outbound"})
    return message


def acknowledge_by_text(contacts: list[Contact], message: Message) -> list[Escalation]:
    """A contact replied OK: they take on every alert of theirs still waiting for an answer."""
    taken = []
    for contact in contacts:
        waiting = db.session.scalars(select(Escalation).where(
            Escalation.contact_id == contact.id,
            Escalation.status.in_(ESCALATION_LIVE)).order_by(Escalation.id)).all()
        for escalation in waiting:
            if escalation.acknowledged_at is not None:
                continue
            services.acknowledge(None, escalation, f'Replied "{message.body.strip()[:40]}"',
                                 contact=contact, via="sms")
            services.record_event(escalation, EscalationEventKind.MESSAGE,
                                  detail={"message_id": message.id, "direction": "inbound"})
            taken.append(escalation)
    return taken


def contact_ok(text: Text) -> Handled | None:
    """The "contact's OK" handler of inbound texts: a designated contact's OK takes on the
    alerts waiting for their answer."""
    if not text.who.contacts or not keywords.acknowledgement(text.folded):
        return None
    message = text.message
    taken = acknowledge_by_text(list(text.who.contacts.values()), message)
    if not taken:
        return None
    message.meaning = InboundMeaning.ACKNOWLEDGEMENT
    message.need_id = taken[0].need_id
    return Handled(render("reply_contact_ok", text.who.language))


# Needs the client told us about (or a visitor heard at the door); not the safety net's own.
TOLD_BY_CLIENT = (NeedSource.SMS, NeedSource.WEB, NeedSource.VISIT)


def tell_client_outcome(escalation: Escalation) -> Message | None:
    """Text the client that what they told us about has been dealt with, and by whom."""
    if escalation.contact_id is not None or escalation.category in SYSTEM_CATEGORIES:
        return None
    if escalation.need.source not in TOLD_BY_CLIENT:
        return None
    client = db.session.get(Client, escalation.client_id)
    if not may_text_client(client):
        return None
    language = client.preferred_language
    what = WHAT.get(NeedCategory(escalation.category), {}).get(language)
    template = "outcome" if what else "outcome_unnamed"
    message = queue_text(
        MessageKind.OUTCOME, template, to=client.phone, language=language,
        programme=client.programme, client=client,
        dedupe_key=f"escalation:{escalation.id}:outcome:{escalation.resolved_at.isoformat()}",
        first_name=first_name(client.full_name), what=what or "",
        who=escalation.organisation.name)
    if message is not None:
        message.need_id = escalation.need_id
        services.record_event(escalation, EscalationEventKind.MESSAGE,
                              detail={"message_id": message.id, "direction": "outbound"})
    return message
