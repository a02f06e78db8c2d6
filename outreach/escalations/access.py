"""Who may see and act on which escalation.

A provider's staff see only escalations whose recipient is their organisation; coordinators see
those of their operator's programmes (whoever the recipient); admins see all. Visitors and
tutors see none. Acting on one that is not yours is refused and audited, by every route.

Seeing an escalation is not seeing its client: what of the client a reader gets is decided by
`escalations.disclosure` (a live escalation and the consent standing). A provider may not act
on an escalation withdrawn from it (consent withdrawn): that is refused and audited too.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, select, true

from outreach.audit.services import record, refuse
from outreach.auth.access import operator_programme_ids
from outreach.auth.models import User
from outreach.db import db
from outreach.enums import EscalationEventKind, Role
from outreach.errors import APIError, NotFound
from outreach.escalations.disclosure import audience_of, judge
from outreach.escalations.models import Escalation, EscalationEvent


def escalation_filter(user: User) -> ColumnElement[bool]:
    """A WHERE clause selecting the escalations `user` may see."""
    if user.role == Role.ADMIN:
        return true()
    if user.role == Role.COORDINATOR:
        return Escalation.programme_id.in_(operator_programme_ids(user))
    if user.role == Role.PROVIDER:
        return Escalation.organisation_id == user.organisation_id
    return false()


def may_see(user: User, escalation: Escalation) -> bool:
    return db.session.scalar(select(Escalation.id).where(
        Escalation.id == escalation.id, escalation_filter(user))) is not None


def may_act(user: User, escalation: Escalation) -> bool:
    """Acknowledge, note, resolve, hand back: the recipient's staff (while it is not withdrawn
    from them), the coordinators, admins."""
    if user.role not in (Role.ADMIN, Role.COORDINATOR, Role.PROVIDER):
        return False
    return may_see(user, escalation) and judge(escalation, audience_of(user)).withdrawn is None


def may_manage(user: User, escalation: Escalation) -> bool:
    """Reassign and reopen: the coordinators of its programme, and admins."""
    return user.role in (Role.ADMIN, Role.COORDINATOR) and may_see(user, escalation)


def deny(actor: User | None, escalation: Escalation, action: str) -> None:
    """Refuse, keeping a record of the attempt even though nothing else is kept."""
    refuse(actor, "escalation.denied", "This escalation is not for you.",
           client_id=escalation.client_id,
           detail={"escalation_id": escalation.id, "action": action})


def get_escalation(actor: User, escalation_id: int, *, purpose: str = "read") -> Escalation:
    """One escalation `actor` may see; the read (of client data) and any refusal are audited."""
    escalation = db.session.get(Escalation, escalation_id)
    if escalation is None:
        if _erased_for(actor, escalation_id):
            raise APIError("This escalation was withdrawn: the client's records were erased. "
                           "Remove any copies you keep.", status=410, code="withdrawn")
        raise NotFound("No such escalation.")
    if not may_see(actor, escalation):
        deny(actor, escalation, purpose)
    if purpose == "read" and _client_shown(actor, escalation):
        record(actor, "client.read", subject=escalation.client, client_id=escalation.client_id,
               detail={"for": "escalation", "escalation_id": escalation.id})
    return escalation


def _erased_for(actor: User, escalation_id: int) -> bool:
    """Whether `actor`'s organisation (any, for admins) was told this escalation was withdrawn
    because its client was erased: what is left of it is that record."""
    query = select(EscalationEvent.id).where(
        EscalationEvent.escalation_id.is_(None),
        EscalationEvent.kind == EscalationEventKind.WITHDRAWN,
        EscalationEvent.detail["escalation_id"].as_integer() == escalation_id)
    if actor.role != Role.ADMIN:
        query = query.where(EscalationEvent.organisation_id == actor.organisation_id)
    return db.session.scalar(query.limit(1)) is not None


def _client_shown(actor: User, escalation: Escalation) -> bool:
    """Whether reading it shows the client (a withdrawn one shows no client: no client read)."""
    return judge(escalation, audience_of(actor)).shown
