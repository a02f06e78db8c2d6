"""Creating and changing programmes."""

from __future__ import annotations

from outreach.audit.services import record, refuse
from outreach.auth import access
from outreach.db import db
from outreach.enums import OrganisationKind, Role
from outreach.errors import NotFound, ValidationFailed
from outreach.literacy.services import start_checklist
from outreach.organisations.models import Organisation
from outreach.programmes.models import Programme


def _check_operator(actor, operator_id: int) -> None:
    operator = db.session.get(Organisation, operator_id)
    if operator is None or operator.kind != OrganisationKind.OPERATOR:
        raise ValidationFailed("A programme is run by an operator organisation.",
                               fields={"operator_id": ["Not an operator."]})
    if actor is not None and actor.role != Role.ADMIN and operator_id != actor.organisation_id:
        refuse(actor, "programme.denied", "You can only run programmes for your own organisation.",
               detail={"operator_id": operator_id})


def create_programme(actor, data: dict) -> Programme:
    _check_operator(actor, data["operator_id"])
    programme = Programme(**_blank_number(data))
    db.session.add(programme)
    db.session.flush()
    start_checklist(programme)
    record(actor, "programme.create", subject=programme)
    return programme


def get_programme(actor, programme_id: int) -> Programme:
    programme = db.session.get(Programme, programme_id)
    if programme is None:
        raise NotFound("No such programme.")
    if db.session.scalar(
        db.select(Programme.id).where(Programme.id == programme_id,
                                      access.programme_filter(actor))
    ) is None:
        refuse(actor, "programme.denied", "This programme is not one of yours.",
               detail={"programme_id": programme_id})
    return programme


def update_programme(actor, programme: Programme, changes: dict) -> Programme:
    if not access.can_manage_programme(actor, programme):
        refuse(actor, "programme.denied", "You cannot change this programme.",
               detail={"programme_id": programme.id})
    if "operator_id" in changes:
        _check_operator(actor, changes["operator_id"])
    for key, value in _blank_number(changes).items():
        setattr(programme, key, value)
    db.session.flush()
    start_checklist(programme)  # it may have become a digital-literacy programme
    record(actor, "programme.update", subject=programme, detail={"fields": sorted(changes)})
    return programme


def _blank_number(data: dict) -> dict:
    """A blank SMS number means "the deployment's number", stored as an empty string."""
    if "sms_number" in data and data["sms_number"] is None:
        return dict(data, sms_number="")
    return data
