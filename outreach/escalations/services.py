"""An escalation's life: routed from a need, acknowledged, noted, resolved, handed on.

Every change writes a timeline event in the same transaction; the providers' feeds and webhooks
are made of those events, so what a provider's system sees is exactly what happened, in order.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from outreach.audit.services import record
from outreach.auth.models import User
from outreach.consent.services import may_share_with
from outreach.db import db, utcnow
from outreach.enums import (
    ESCALATION_LIVE,
    EscalationEventKind,
    EscalationOutcome,
    EscalationStatus,
    NeedSeverity,
    NeedStatus,
    Role,
)
from outreach.errors import Conflict, ValidationFailed
from outreach.escalations import feed, routing
from outreach.escalations.access import may_act, may_manage
from outreach.escalations.models import Escalation, EscalationEvent, EscalationNeed
from outreach.escalations.queries import carried_needs
from outreach.escalations.routing import Target
from outreach.escalations.sla import due_times
from outreach.events import contact_escalated, escalation_event_recorded, escalation_resolved
from outreach.needs.models import Need
from outreach.organisations.models import Organisation
from outreach.people.models import Client, Contact
from outreach.programmes.models import Programme

Kind = EscalationEventKind

URGENCY = {NeedSeverity.URGENT: 0, NeedSeverity.SOON: 1, NeedSeverity.ROUTINE: 2}
# A coordinator's escalation is the last resort; past it there is nobody further to pass to.
LAST_TIER = 3


def record_event(escalation: Escalation, kind: EscalationEventKind, *, actor: User | None = None,
                 note: str = "", detail: dict | None = None, via: str | None = None,
                 now: datetime | None = None) -> EscalationEvent:
    """Add one timeline event (and feed item) to the current transaction."""
    event = EscalationEvent(
        escalation=escalation, organisation_id=escalation.organisation_id, kind=kind,
        actor_id=getattr(actor, "id", None), via=via or _via(actor), note=note,
        detail={"status": escalation.status.value, **(detail or {})}, at=now or utcnow())
    db.session.add(event)
    db.session.flush()
    # Every event changes what the escalation shows (a note, a status): FHIR's lastUpdated and
    # the clients polling it by time must see it, so the escalation is as new as its events.
    if escalation.updated_at is None or escalation.updated_at < event.at:
        escalation.updated_at = event.at
    feed.note_new_event()  # placed in the feed once this transaction has committed
    escalation_event_recorded.send(event)  # webhooks queue a delivery
    return event


def _via(actor: User | None) -> str:
    from flask import g, has_app_context

    if actor is None:
        return "system"
    return g.get("via", "web") if has_app_context() else "cli"


# --- Routing ------------------------------------------------------------------------------


def route_need(need: Need) -> list[Escalation]:
    """Escalate a new need to the first tier of its rule (called for every need raised)."""
    client = db.session.get(Client, need.client_id)
    # The programme and its operator (the coordinator, the usual target) in one query.
    programme = db.session.get(Programme, client.programme_id,
                               options=[joinedload(Programme.operator)])
    rule = routing.rule_for(programme, need.category, need.severity)
    tier_targets = routing.targets(rule, 1, client)
    return [open_or_join(need, target, tier=1, rule=rule) for target in tier_targets]


def open_or_join(need: Need, target: Target, *, tier: int, rule=None,
                 previous: Escalation | None = None, actor: User | None = None,
                 note: str = "", now: datetime | None = None) -> Escalation:
    """Open an escalation of `need` to `target`, or join the live one it already has."""
    now = now or utcnow()
    live = _live_for(need.client_id, need.category, target.key)
    if live is not None:
        return _join(live, need, actor, now)
    client = db.session.get(Client, need.client_id)
    acknowledge_minutes = getattr(rule, "acknowledge_minutes", None)
    resolve_minutes = getattr(rule, "resolve_minutes", None)
    due = due_times(need.severity, now, client.programme.timezone,
                    acknowledge_minutes=acknowledge_minutes, resolve_minutes=resolve_minutes)
    escalation = Escalation(
        programme_id=client.programme_id, client_id=client.id, need_id=need.id,
        category=need.category, severity=need.severity,
        organisation_id=getattr(target.organisation, "id", None),
        contact_id=getattr(target.contact, "id", None), recipient_key=target.key, tier=tier,
        rule_id=getattr(rule, "id", None), routed_because=target.because[:500],
        due_at=due.acknowledge_by, resolve_due_at=due.resolve_by,
        previous_id=getattr(previous, "id", None), created_at=now, updated_at=now)
    try:
        with db.session.begin_nested():  # another request may be opening the same one
            db.session.add(escalation)
            db.session.flush()
    except IntegrityError:
        live = _live_for(need.client_id, need.category, target.key)
        if live is None:
            raise
        return _join(live, need, actor, now)
    db.session.add(EscalationNeed(escalation_id=escalation.id, need_id=need.id))
    record_event(escalation, Kind.CREATED, actor=actor, note=note or target.because,
                 detail={"need_id": need.id, "tier": tier,
                         "previous_id": getattr(previous, "id", None)}, now=now)
    record(actor, "escalation.create", subject=escalation, client_id=client.id,
           detail={"organisation_id": escalation.organisation_id,
                   "contact_id": escalation.contact_id, "tier": tier},
           via=None if actor else "system")
    if escalation.contact_id is not None:
        contact_escalated.send(escalation)  # the alert text asking them to reply OK
    return escalation


def _live_for(client_id: int, category, key: str) -> Escalation | None:
    return db.session.scalar(select(Escalation).where(
        Escalation.client_id == client_id, Escalation.category == category,
        Escalation.recipient_key == key, Escalation.status.in_(ESCALATION_LIVE)))


def _join(escalation: Escalation, need: Need, actor: User | None, now: datetime) -> Escalation:
    """A repeat report joins the live escalation; a more urgent one brings its times forward."""
    if db.session.scalar(select(EscalationNeed.id).where(
            EscalationNeed.escalation_id == escalation.id,
            EscalationNeed.need_id == need.id)) is not None:
        return escalation
    db.session.add(EscalationNeed(escalation_id=escalation.id, need_id=need.id))
    if URGENCY[NeedSeverity(need.severity)] < URGENCY[escalation.severity]:
        escalation.severity = need.severity
        client = db.session.get(Client, escalation.client_id)
        due = due_times(need.severity, now, client.programme.timezone,
                        acknowledge_minutes=getattr(escalation.rule, "acknowledge_minutes", None),
                        resolve_minutes=getattr(escalation.rule, "resolve_minutes", None))
        escalation.due_at = min(escalation.due_at, due.acknowledge_by)
        escalation.resolve_due_at = min(escalation.resolve_due_at, due.resolve_by)
    escalation.updated_at = now
    record_event(escalation, Kind.JOINED, actor=actor, now=now,
                 detail={"need_id": need.id, "severity": escalation.severity.value})
    return escalation


# --- The recipient's actions --------------------------------------------------------------


def acknowledge(actor: User | None, escalation: Escalation, note: str = "", *,
                contact: Contact | None = None, via: str | None = None) -> Escalation:
    """Take ownership. A second acknowledgement changes nothing and is not an error."""
    _require_act(actor, escalation, contact=contact)
    if escalation.status == EscalationStatus.ACKNOWLEDGED:
        return escalation
    _require_live(escalation, "acknowledged")
    now = utcnow()
    escalation.status = EscalationStatus.ACKNOWLEDGED
    escalation.acknowledged_at = now
    escalation.acknowledged_by_id = getattr(actor, "id", None)
    escalation.updated_at = now
    record_event(escalation, Kind.ACKNOWLEDGED, actor=actor, note=note, via=via, now=now,
                 detail={"contact_id": getattr(contact, "id", None)})
    _audit(actor, "escalation.acknowledge", escalation, via=via)
    return escalation


def add_note(actor: User, escalation: Escalation, note: str) -> EscalationEvent:
    """Add a note to the timeline (any time, even after it is resolved; never once it was
    withdrawn from the provider)."""
    _require_act(actor, escalation, action="note")
    if not note.strip():
        raise ValidationFailed("Write the note.", fields={"note": ["Cannot be blank."]})
    event = record_event(escalation, Kind.NOTE, actor=actor, note=note.strip())
    _audit(actor, "escalation.note", escalation)
    return event


def resolve(actor: User, escalation: Escalation, outcome: str | None, *,
            usefulness: int | None = None, note: str = "") -> Escalation:
    """Close it with an outcome (required) and, from a provider, how useful the referral was."""
    _require_act(actor, escalation)
    if escalation.status == EscalationStatus.RESOLVED:
        raise Conflict("This escalation is already resolved.")
    _require_live(escalation, "resolved")
    errors = {}
    if not outcome:
        errors["outcome"] = ["Say what happened before resolving."]
    elif outcome not in EscalationOutcome.__members__.values():
        errors["outcome"] = ["Not a known outcome."]
    if usefulness is None and actor is not None and actor.role == Role.PROVIDER:
        errors["usefulness"] = ["Rate how useful this referral was, from 1 to 5."]
    if usefulness is not None and not 1 <= usefulness <= 5:
        errors["usefulness"] = ["From 1 to 5."]
    if errors:
        raise ValidationFailed("The escalation cannot be resolved yet.", fields=errors)
    now = utcnow()
    if escalation.acknowledged_at is None:
        escalation.acknowledged_at = now
        escalation.acknowledged_by_id = getattr(actor, "id", None)
    escalation.status = EscalationStatus.RESOLVED
    escalation.resolved_at = now
    escalation.resolved_by_id = getattr(actor, "id", None)
    escalation.outcome = EscalationOutcome(outcome)
    escalation.outcome_note = note
    escalation.usefulness = usefulness
    escalation.updated_at = now
    record_event(escalation, Kind.RESOLVED, actor=actor, note=note, now=now,
                 detail={"outcome": outcome, "usefulness": usefulness})
    _audit(actor, "escalation.resolve", escalation)
    _close_needs(escalation, now)
    escalation_resolved.send(escalation)  # the client is told by text
    return escalation


def hand_back(actor: User, escalation: Escalation, note: str) -> Escalation:
    """A provider gives it back to the coordinator (not theirs to deal with), saying why."""
    _require_act(actor, escalation)
    if not note.strip():
        raise ValidationFailed("Say why you are handing it back.",
                               fields={"note": ["Cannot be blank."]})
    client = db.session.get(Client, escalation.client_id)
    target = routing.coordinator(client, f"Handed back: {note.strip()}")
    if target.key == escalation.recipient_key:
        raise Conflict("This escalation is already with the coordinator.")
    return _pass_on(actor, escalation, target, Kind.HANDED_BACK, note.strip())


def reassign(actor: User, escalation: Escalation, *, organisation_id: int | None = None,
             contact_id: int | None = None, note: str = "") -> Escalation:
    """The coordinator sends it to another recipient; consent must allow sharing with it."""
    if not may_manage(actor, escalation):
        _deny(actor, escalation, "reassign")
    client = db.session.get(Client, escalation.client_id)
    if (organisation_id is None) == (contact_id is None):
        raise ValidationFailed("Name one organisation or one contact.",
                               fields={"organisation_id": ["Give this or contact_id."]})
    if organisation_id is not None:
        organisation = db.session.get(Organisation, organisation_id)
        if organisation is None:
            raise ValidationFailed("No such organisation.",
                                   fields={"organisation_id": ["No such organisation."]})
        target = Target(organisation=organisation, because=note)
        operator = organisation.id == client.programme.operator_id
        if not operator and not may_share_with(client, organisation=organisation):
            raise ValidationFailed(
                f"The client has not agreed to share information with {organisation.name}.",
                fields={"organisation_id": ["No consent to share with this organisation."]})
    else:
        contact = db.session.get(Contact, contact_id)
        if contact is None or contact.client_id != client.id:
            raise ValidationFailed("Not a contact of this client.",
                                   fields={"contact_id": ["Not a contact of this client."]})
        if not may_share_with(client, contact=contact):
            raise ValidationFailed(f"The client has not agreed to share information with "
                                   f"{contact.name}.",
                                   fields={"contact_id": ["No consent to share with them."]})
        target = Target(contact=contact, because=note)
    if target.key == escalation.recipient_key:
        raise Conflict("It is already with this recipient.")
    return _pass_on(actor, escalation, target, Kind.REASSIGNED, note)


def _pass_on(actor: User, escalation: Escalation, target: Target, kind: EscalationEventKind,
             note: str) -> Escalation:
    _require_live(escalation, "passed on")
    now = utcnow()
    escalation.status = EscalationStatus.REASSIGNED
    escalation.updated_at = now
    record_event(escalation, kind, actor=actor, note=note, now=now,
                 detail={"to": target.key})
    _audit(actor, f"escalation.{kind.value}", escalation)
    need = db.session.get(Need, escalation.need_id)
    successor = open_or_join(need, target, tier=escalation.tier, rule=escalation.rule,
                             previous=escalation, actor=actor, note=note, now=now)
    for other in carried_needs(escalation):
        if other.id != need.id:
            _join(successor, other, actor, now)
    return successor


def reopen(actor: User, escalation: Escalation, note: str) -> Escalation:
    """The coordinator reopens a resolved escalation (the problem is back, or not solved)."""
    if not may_manage(actor, escalation):
        _deny(actor, escalation, "reopen")
    if escalation.status != EscalationStatus.RESOLVED:
        raise Conflict("Only a resolved escalation can be reopened.")
    if not note.strip():
        raise ValidationFailed("Say why it is reopened.", fields={"note": ["Cannot be blank."]})
    if _live_for(escalation.client_id, escalation.category, escalation.recipient_key):
        raise Conflict("This recipient already has a live escalation of this kind for the "
                       "client; add to that one instead.")
    now = utcnow()
    client = db.session.get(Client, escalation.client_id)
    due = due_times(escalation.severity, now, client.programme.timezone,
                    acknowledge_minutes=getattr(escalation.rule, "acknowledge_minutes", None),
                    resolve_minutes=getattr(escalation.rule, "resolve_minutes", None))
    escalation.status = EscalationStatus.REOPENED
    escalation.due_at, escalation.resolve_due_at = due.acknowledge_by, due.resolve_by
    escalation.acknowledged_at = escalation.resolved_at = None
    escalation.acknowledged_by_id = escalation.resolved_by_id = None
    escalation.escalated_at = escalation.resolve_overdue_at = None
    escalation.outcome, escalation.usefulness, escalation.outcome_note = None, None, ""
    escalation.outcome_shown_visit_id = None
    escalation.updated_at = now
    record_event(escalation, Kind.REOPENED, actor=actor, note=note.strip(), now=now)
    _audit(actor, "escalation.reopen", escalation)
    for need in carried_needs(escalation):
        if need.status == NeedStatus.RESOLVED:
            need.status, need.resolved_at, need.resolution = NeedStatus.OPEN, None, ""
    return escalation


# --- Needs and escalations together -------------------------------------------------------


def _close_needs(escalation: Escalation, now: datetime) -> None:
    """A need is met once nothing live still carries it."""
    for need in carried_needs(escalation):
        if need.status != NeedStatus.OPEN:
            continue
        still_live = db.session.scalar(
            select(func.count(Escalation.id))
            .join(EscalationNeed, EscalationNeed.escalation_id == Escalation.id)
            .where(EscalationNeed.need_id == need.id, Escalation.status.in_(ESCALATION_LIVE)))
        if not still_live:
            need.status = NeedStatus.RESOLVED
            need.resolved_at = now
            need.resolution = _outcome_words(escalation)
            record(None, "need.resolve", subject=need, client_id=need.client_id,
                   detail={"category": need.category.value, "escalation_id": escalation.id},
                   via="system")


def _outcome_words(escalation: Escalation) -> str:
    who = escalation.organisation.name if escalation.organisation else escalation.contact.name
    words = escalation.outcome.value.replace("_", " ")
    return f"{who}: {words}" + (f". {escalation.outcome_note}" if escalation.outcome_note
                                else "")[:1000]


def need_closed_elsewhere(need: Need, now: datetime, because: str) -> list[Escalation]:
    """The need was met without its recipients (the client was seen, answered a text): close
    its live escalations so nobody keeps chasing it."""
    closed = []
    for escalation in db.session.scalars(
            select(Escalation).join(EscalationNeed, EscalationNeed.escalation_id == Escalation.id)
            .where(EscalationNeed.need_id == need.id, Escalation.status.in_(ESCALATION_LIVE))
            .order_by(Escalation.id)):
        others_open = [n for n in carried_needs(escalation)
                       if n.id != need.id and n.status == NeedStatus.OPEN]
        if others_open:
            continue
        escalation.status = EscalationStatus.RESOLVED
        escalation.resolved_at = now
        escalation.outcome = EscalationOutcome.NOT_NEEDED
        escalation.outcome_note = because
        escalation.updated_at = now
        record_event(escalation, Kind.RESOLVED, note=because, now=now,
                     detail={"outcome": EscalationOutcome.NOT_NEEDED.value, "by": "system"})
        closed.append(escalation)
    return closed


def consent_withdrawn(actor: User | None, consent) -> list[Escalation]:
    """Sharing with a recipient was withdrawn (or taking part altogether): its live escalations
    about the client go back to the coordinator, saying why."""
    from outreach.enums import ConsentPurpose

    client = db.session.get(Client, consent.client_id)
    query = select(Escalation).where(Escalation.client_id == client.id,
                                     Escalation.status.in_(ESCALATION_LIVE))
    if consent.purpose == ConsentPurpose.SHARE_INFORMATION:
        key = (f"org:{consent.organisation_id}" if consent.organisation_id is not None
               else f"contact:{consent.contact_id}")
        query = query.where(Escalation.recipient_key == key)
    else:
        query = query.where(Escalation.recipient_key != f"org:{client.programme.operator_id}")
    moved = []
    for escalation in db.session.scalars(query.order_by(Escalation.id)).all():
        if not escalation.live:
            continue  # already passed on by an earlier one in this loop
        target = routing.coordinator(client, "Consent to share was withdrawn.")
        moved.append(_pass_on(actor, escalation, target, Kind.REASSIGNED,
                              "Consent to share was withdrawn."))
    return moved


# --- Checks -------------------------------------------------------------------------------


def _require_live(escalation: Escalation, what: str) -> None:
    if not escalation.live:
        raise Conflict(f"This escalation is {escalation.status.value} and cannot be {what}.")


def _require_act(actor: User | None, escalation: Escalation, *,
                 contact: Contact | None = None, action: str = "act") -> None:
    if contact is not None:
        if escalation.contact_id != contact.id:
            raise Conflict("This escalation is not with this contact.")
        return
    if actor is None or not may_act(actor, escalation):
        _deny(actor, escalation, action)


def _deny(actor: User | None, escalation: Escalation, action: str) -> None:
    from outreach.escalations.access import deny

    deny(actor, escalation, action)


def _audit(actor: User | None, action: str, escalation: Escalation,
           via: str | None = None) -> None:
    record(actor, action, subject=escalation, client_id=escalation.client_id,
           detail={"organisation_id": escalation.organisation_id,
                   "contact_id": escalation.contact_id},
           via=via if actor is None else None)
