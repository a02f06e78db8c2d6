"""Raising and finding needs: what a client said or a visitor saw, for escalation to route."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, select

from outreach.audit.services import record
from outreach.auth import access
from outreach.auth.models import User
from outreach.db import db
from outreach.enums import SYSTEM_CATEGORIES, NeedCategory, NeedSeverity, NeedSource, NeedStatus
from outreach.errors import NotFound, ValidationFailed
from outreach.events import need_closed, need_raised
from outreach.needs.models import Need
from outreach.people.models import Client
from outreach.people.services import read_client


def create_need(actor: User | None, client: Client, category: NeedCategory | str,
                severity: NeedSeverity | str, description: str, source: NeedSource | str,
                visit=None) -> Need:
    """Record a need about `client`; the safety-net categories are for the system alone."""
    category, severity, source = NeedCategory(category), NeedSeverity(severity), NeedSource(source)
    if category in SYSTEM_CATEGORIES and source != NeedSource.SYSTEM:
        raise ValidationFailed(
            "This kind of need is raised by the system itself.",
            fields={"category": [f"{category.value} cannot be reported by hand."]})
    need = Need(client_id=client.id, category=category, severity=severity, source=source,
                description=description, visit_id=getattr(visit, "id", None),
                raised_by_id=getattr(actor, "id", None))
    db.session.add(need)
    db.session.flush()
    record(actor, "need.create", subject=need, client_id=client.id,
           detail={"category": category.value, "severity": severity.value,
                   "source": source.value})
    need_raised.send(need)  # escalations routes it
    return need


def close_need(need: Need, now: datetime, resolution: str, *, by: str, via: str) -> Need:
    """Mark a need met by the system's own evidence (`by` says which), and announce it."""
    need.status = NeedStatus.RESOLVED
    need.resolved_at = now
    need.resolution = resolution
    record(None, "need.resolve", subject=need, client_id=need.client_id,
           detail={"category": str(need.category), "by": by}, via=via)
    need_closed.send(need, now=now, resolution=resolution)  # escalations close theirs
    return need


def visible_needs(actor: User, *, client_id: int | None = None, status: str | None = None,
                  category: str | None = None) -> Select:
    """Needs about the clients `actor` may see, filtered."""
    query = select(Need).where(Need.client_id.in_(access.visible_client_ids(actor)))
    if client_id is not None:
        query = query.where(Need.client_id == client_id)
    if status is not None:
        query = query.where(Need.status == status)
    if category is not None:
        query = query.where(Need.category == category)
    return query


def get_need(actor: User, need_id: int) -> Need:
    """One need, if `actor` may see its client; the read and any refusal are audited."""
    need = db.session.get(Need, need_id)
    if need is None:
        raise NotFound("No such need.")
    read_client(actor, need.client, "need", need_id=need.id)
    return need
