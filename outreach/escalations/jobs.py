"""The SLA watch, run by every tick: nothing left unacknowledged or unresolved unnoticed.

An escalation not acknowledged by its due time is passed to the next tier (the rule's fallback,
then the coordinator) while staying with its first recipient, who may still take it. One not
resolved by its resolve time is flagged for the coordinator. Rows are claimed with SKIP LOCKED
and marked when done, so several workers never pass the same escalation on twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from outreach.db import db
from outreach.enums import EscalationEventKind, EscalationStatus
from outreach.escalations import feed, routing
from outreach.escalations.models import Escalation
from outreach.escalations.services import LAST_TIER, open_or_join, record_event
from outreach.jobs.tick import periodic
from outreach.needs.models import Need
from outreach.people.models import Client

BATCH = 500
WAITING = (EscalationStatus.OPEN, EscalationStatus.REOPENED)
LIVE = (*WAITING, EscalationStatus.ACKNOWLEDGED)


@periodic("feed_positions")
def place_events(now: datetime) -> str:
    """Place in the feed any committed events a crash left without a position."""
    placed = 0
    while batch := feed.assign_positions():
        placed += batch
        db.session.commit()
    return f"{placed} event(s) placed in the feed"


@periodic("escalation_sla")
def watch_slas(now: datetime) -> str:
    """Pass on escalations unacknowledged past their SLA; flag those unresolved past theirs."""
    passed = _pass_on_unacknowledged(now)
    flagged = _flag_unresolved(now)
    return (f"{passed} escalation(s) passed to the next tier, "
            f"{flagged} flagged as not resolved in time")


def _claim(query):
    return db.session.scalars(query.order_by(Escalation.due_at, Escalation.id).limit(BATCH)
                              .with_for_update(skip_locked=True, of=Escalation)).all()


def _pass_on_unacknowledged(now: datetime) -> int:
    passed = 0
    while batch := _claim(select(Escalation).where(
            Escalation.status.in_(WAITING), Escalation.due_at <= now,
            Escalation.escalated_at.is_(None))):
        for escalation in batch:
            escalation.escalated_at = now
            successors = next_tier(escalation, now)
            record_event(escalation, EscalationEventKind.OVERDUE, now=now,
                         note=_overdue_note(escalation, successors),
                         detail={"passed_to": [s.id for s in successors]})
            passed += 1
        db.session.flush()
    return passed


def next_tier(escalation: Escalation, now: datetime) -> list[Escalation]:
    """Open the escalations of the tier after this one's (none past the coordinator)."""
    if escalation.tier >= LAST_TIER:
        return []
    client = db.session.get(Client, escalation.client_id)
    need = db.session.get(Need, escalation.need_id)
    rule = escalation.rule
    tier = escalation.tier + 1
    targets = routing.targets(rule, 2, client) if tier == 2 and rule is not None else []
    if not targets:
        tier = LAST_TIER
        targets = [routing.coordinator(client, "")]
    why = f"Not acknowledged in time by {_recipient_name(escalation)}."
    made = []
    for target in targets:
        if target.key == escalation.recipient_key:
            continue  # the coordinator's own escalation has nobody further to go to
        target.because = " ".join(part for part in (why, target.because) if part)
        made.append(open_or_join(need, target, tier=tier, rule=rule, previous=escalation,
                                 now=now))
    return made


def _recipient_name(escalation: Escalation) -> str:
    if escalation.organisation is not None:
        return escalation.organisation.name
    return escalation.contact.name


def _overdue_note(escalation: Escalation, successors: list[Escalation]) -> str:
    if not successors:
        return "Not acknowledged in time; shown to the coordinator as overdue."
    names = ", ".join(_recipient_name(s) for s in successors)
    return f"Not acknowledged in time; passed on to {names}."


def _flag_unresolved(now: datetime) -> int:
    flagged = 0
    while batch := _claim(select(Escalation).where(
            Escalation.status.in_(LIVE), Escalation.resolve_due_at <= now,
            Escalation.resolve_overdue_at.is_(None))):
        for escalation in batch:
            escalation.resolve_overdue_at = now
            record_event(escalation, EscalationEventKind.RESOLVE_OVERDUE, now=now,
                         note="Not resolved in time; shown to the coordinator as overdue.")
            flagged += 1
        db.session.flush()
    return flagged
