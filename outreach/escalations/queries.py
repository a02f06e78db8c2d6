"""Finding escalations: a recipient's queue, the coordinator's overview, a client's history.

Shared by the API, the web pages and the feeds, so each shows the same thing in the same order.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, and_, case, or_, select
from sqlalchemy.orm import selectinload

from outreach.auth.models import User
from outreach.db import db
from outreach.enums import ESCALATION_LIVE, EscalationStatus, NeedSeverity
from outreach.escalations.access import escalation_filter
from outreach.escalations.models import Escalation, EscalationNeed
from outreach.needs.models import Need

WAITING = (EscalationStatus.OPEN, EscalationStatus.REOPENED)
# What EscalationOut shows of each escalation besides its own columns, loaded for a whole page
# in two queries instead of two a row (which made a page of 50 cost some 40 ms).
WITH_SUMMARY = (selectinload(Escalation.client), selectinload(Escalation.needs))


def carried_needs(escalation: Escalation) -> list[Need]:
    """The need that opened it and every repeat report that joined it, oldest first."""
    return list(db.session.scalars(
        select(Need).join(EscalationNeed, EscalationNeed.need_id == Need.id)
        .where(EscalationNeed.escalation_id == escalation.id).order_by(Need.id)))


def overdue_clause(now: datetime):
    """Past the acknowledge time unacknowledged, or past the resolve time while live."""
    return or_(and_(Escalation.status.in_(WAITING), Escalation.due_at <= now),
               and_(Escalation.status.in_(ESCALATION_LIVE), Escalation.resolve_due_at <= now))


def visible(actor: User, *, status: str | None = None, programme_id: int | None = None,
            client_id: int | None = None, organisation_id: int | None = None,
            category: str | None = None, severity: str | None = None,
            overdue: bool | None = None, now: datetime | None = None) -> Select:
    """The escalations `actor` may see, filtered."""
    query = select(Escalation).where(escalation_filter(actor))
    for column, value in ((Escalation.status, status), (Escalation.programme_id, programme_id),
                          (Escalation.client_id, client_id),
                          (Escalation.organisation_id, organisation_id),
                          (Escalation.category, category), (Escalation.severity, severity)):
        if value is not None:
            query = query.where(column == value)
    if overdue is not None:
        clause = overdue_clause(now)
        query = query.where(clause if overdue else ~clause)
    return query


_URGENCY = case({NeedSeverity.URGENT.value: 0, NeedSeverity.SOON.value: 1},
                value=Escalation.severity, else_=2)


def queue_order(now: datetime) -> tuple:
    """Overdue first, then by urgency, then by the time it is due."""
    return (case((overdue_clause(now), 0), else_=1), _URGENCY, Escalation.due_at, Escalation.id)


def live_queue(actor: User, now: datetime, **filters) -> Select:
    """What still waits for someone: overdue first, then most urgent, then soonest due."""
    return (visible(actor, now=now, **filters)
            .where(Escalation.status.in_(ESCALATION_LIVE)).order_by(*queue_order(now))
            .options(*WITH_SUMMARY))


def for_client(client_id: int) -> list[Escalation]:
    """A client's escalations, newest first (the coordinator's view of their history)."""
    return list(db.session.scalars(select(Escalation).where(Escalation.client_id == client_id)
                                   .order_by(Escalation.created_at.desc(),
                                             Escalation.id.desc())))


def outcomes_to_show(client_id: int) -> list[Escalation]:
    """Resolved escalations about the client the visitor has not yet been shown."""
    return list(db.session.scalars(select(Escalation).where(
        Escalation.client_id == client_id, Escalation.status == EscalationStatus.RESOLVED,
        Escalation.outcome_shown_visit_id.is_(None), Escalation.organisation_id.is_not(None))
        .order_by(Escalation.resolved_at)))
