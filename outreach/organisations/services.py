"""Creating and changing organisations (administrators only)."""

from __future__ import annotations

from sqlalchemy import func, select

from outreach.audit.services import record
from outreach.db import db
from outreach.errors import Conflict, NotFound
from outreach.organisations.models import Organisation


def _check_name_free(name: str, exclude_id: int | None = None) -> None:
    query = select(Organisation.id).where(func.lower(Organisation.name) == name.lower())
    if exclude_id is not None:
        query = query.where(Organisation.id != exclude_id)
    if db.session.scalar(query) is not None:
        raise Conflict("An organisation with this name already exists.",
                       fields={"name": ["Taken."]})


def create_organisation(actor, data: dict) -> Organisation:
    _check_name_free(data["name"])
    organisation = Organisation(**data)
    db.session.add(organisation)
    db.session.flush()
    record(actor, "organisation.create", subject=organisation)
    return organisation


def update_organisation(actor, organisation: Organisation, changes: dict) -> Organisation:
    if "name" in changes:
        _check_name_free(changes["name"], organisation.id)
    if "kind" in changes and changes["kind"] != organisation.kind:
        from outreach.programmes.models import Programme

        if db.session.scalar(select(Programme.id).where(
                Programme.operator_id == organisation.id).limit(1)) is not None:
            raise Conflict("This organisation runs programmes, so it must stay an operator.",
                           fields={"kind": ["Runs programmes."]})
    for key, value in changes.items():
        setattr(organisation, key, value)
    db.session.flush()
    record(actor, "organisation.update", subject=organisation, detail={"fields": sorted(changes)})
    return organisation


def get_organisation(organisation_id: int) -> Organisation:
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound("No such organisation.")
    return organisation
