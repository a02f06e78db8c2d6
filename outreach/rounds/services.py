"""Creating and changing rounds."""

from __future__ import annotations

from sqlalchemy import or_, select

from outreach.audit.services import record
from outreach.auth import access
from outreach.auth.models import User
from outreach.db import db
from outreach.enums import Role
from outreach.errors import Forbidden, NotFound, ValidationFailed
from outreach.people.services import managed_programme
from outreach.programmes.models import Programme
from outreach.rounds.models import Round


def _check_visitor(programme: Programme, visitor_id: int | None) -> None:
    if visitor_id is None:
        return
    visitor = db.session.get(User, visitor_id)
    if (visitor is None or visitor.role != Role.VISITOR
            or visitor.organisation_id != programme.operator_id):
        raise ValidationFailed("The visitor must be a visitor of the programme's operator.",
                               fields={"visitor_id": ["Not a visitor of this operator."]})


def _apply(round_: Round, data: dict) -> None:
    for key in ("name", "area", "visitor_id"):
        if key in data:
            setattr(round_, key, data[key])
    if "weekdays" in data:
        round_.weekdays = ",".join(str(d) for d in sorted(data["weekdays"]))


def create_round(actor: User, data: dict) -> Round:
    programme = managed_programme(actor, data["programme_id"])
    _check_visitor(programme, data.get("visitor_id"))
    round_ = Round(programme=programme)
    _apply(round_, data)
    db.session.add(round_)
    db.session.flush()
    record(actor, "round.create", subject=round_)
    return round_


def visible_rounds(actor: User):
    """Rounds of the caller's programmes; a visitor sees the rounds they walk."""
    query = select(Round).join(Programme).where(access.programme_filter(actor))
    if actor.role == Role.VISITOR:
        from outreach.auth.access import today
        from outreach.visits.schedule import rounds_walked_by

        query = query.where(or_(Round.visitor_id == actor.id,
                                Round.id.in_(rounds_walked_by(actor, today()))))
    elif actor.role not in (Role.ADMIN, Role.COORDINATOR):
        query = query.where(Round.id.is_(None))
    return query


def get_round(actor: User, round_id: int) -> Round:
    round_ = db.session.scalar(visible_rounds(actor).where(Round.id == round_id))
    if round_ is None:
        raise NotFound("No such round.")
    return round_


def update_round(actor: User, round_: Round, changes: dict) -> Round:
    if not access.can_manage_programme(actor, round_.programme):
        raise Forbidden("You cannot change this round.")
    changes.pop("programme_id", None)
    _check_visitor(round_.programme, changes.get("visitor_id"))
    _apply(round_, changes)
    db.session.flush()
    record(actor, "round.update", subject=round_, detail={"fields": sorted(changes)})
    return round_
