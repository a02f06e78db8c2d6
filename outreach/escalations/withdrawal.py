"""Telling recipients an escalation was taken back from them: consent withdrawn, client erased.

Each organisation that received an escalation about the client gets a `withdrawn` event on its
feed (pull feed, Atom, webhook), one per escalation, carrying ids, the reason and nothing
personal, so its own system can remove the copies it made. On erasure the escalation itself is
deleted with the client; its withdrawn event is written without one (its detail names it), so
it outlives the erasure and still reaches the recipient.
"""

from __future__ import annotations

from sqlalchemy import select

from outreach.db import db, utcnow
from outreach.enums import ConsentPurpose, EscalationEventKind
from outreach.escalations import feed
from outreach.escalations.disclosure import CONSENT_WITHDRAWN, ERASED
from outreach.escalations.models import Escalation, EscalationEvent
from outreach.events import escalation_event_recorded
from outreach.people.models import Client

Kind = EscalationEventKind


def withdrawn_recipients(consent) -> list[int] | None:
    """The organisations a withdrawn consent takes the client back from (None: every one but
    the operator, when taking part altogether was withdrawn)."""
    if consent.purpose == ConsentPurpose.TAKE_PART:
        return None
    return [consent.organisation_id] if consent.organisation_id is not None else []


def consent_withdrawn(actor, consent) -> list[EscalationEvent]:
    """After a consent is withdrawn (and live escalations passed back): a withdrawn event for
    each escalation the affected organisations hold about the client."""
    client = db.session.get(Client, consent.client_id)
    organisations = withdrawn_recipients(consent)
    query = select(Escalation).where(Escalation.client_id == client.id,
                                     Escalation.organisation_id.is_not(None),
                                     Escalation.organisation_id != client.programme.operator_id)
    if organisations is not None:
        query = query.where(Escalation.organisation_id.in_(organisations))
    return [_record(escalation, CONSENT_WITHDRAWN, actor=actor, keep=True)
            for escalation in db.session.scalars(query.order_by(Escalation.id))
            if not _already_withdrawn(escalation)]


def client_erasing(client: Client) -> list[EscalationEvent]:
    """Before the client's rows are deleted: a withdrawn event, detached from its escalation
    (which goes), for each escalation any organisation holds about the client."""
    escalations = db.session.scalars(select(Escalation).where(
        Escalation.client_id == client.id, Escalation.organisation_id.is_not(None))
        .order_by(Escalation.id)).all()
    return [_record(escalation, ERASED, keep=False) for escalation in escalations]


def _already_withdrawn(escalation: Escalation) -> bool:
    """Whether its last event already told the recipient (a second withdrawal adds nothing)."""
    last = db.session.scalar(select(EscalationEvent.kind).where(
        EscalationEvent.escalation_id == escalation.id)
        .order_by(EscalationEvent.id.desc()).limit(1))
    return last == Kind.WITHDRAWN


def _record(escalation: Escalation, because: str, *, actor=None,
            keep: bool) -> EscalationEvent:
    from outreach.escalations.services import _via

    event = EscalationEvent(
        escalation_id=escalation.id if keep else None, organisation_id=escalation.organisation_id,
        kind=Kind.WITHDRAWN, actor_id=getattr(actor, "id", None), via=_via(actor), note="",
        detail={"status": escalation.status.value, "because": because,
                "escalation_id": escalation.id}, at=utcnow())
    db.session.add(event)
    db.session.flush()
    feed.note_new_event()
    escalation_event_recorded.send(event)
    return event
