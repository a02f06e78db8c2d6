"""API: organisations."""

from sqlalchemy import select

from outreach.api import Blueprint, paginate
from outreach.auth import access
from outreach.db import db
from outreach.enums import Role
from outreach.errors import NotFound
from outreach.organisations import services
from outreach.organisations.models import Organisation
from outreach.organisations.schemas import OrganisationIn, OrganisationOut

blp = Blueprint("organisations_api", __name__)


@blp.operation("/organisations", summary="List organisations", tag="organisations",
               response=OrganisationOut, many=True)
def list_organisations(user):
    """Admins and coordinators see all organisations; others only their own."""
    return paginate(select(Organisation).where(access.organisation_filter(user)), Organisation.id)


@blp.operation("/organisations", method="POST", summary="Create an organisation",
               tag="organisations", body=OrganisationIn, response=OrganisationOut, status=201,
               roles=[Role.ADMIN])
def create_organisation(user, data):
    """Add an operator, health or community organisation."""
    return services.create_organisation(user, data)


def _visible(user, organisation_id: int) -> Organisation:
    found = db.session.scalar(select(Organisation).where(
        Organisation.id == organisation_id, access.organisation_filter(user)))
    if found is None:
        raise NotFound("No such organisation.")
    return found


@blp.operation("/organisations/<int:organisation_id>", summary="One organisation",
               tag="organisations", response=OrganisationOut)
def get_organisation(user, organisation_id):
    """An organisation the caller may see."""
    return _visible(user, organisation_id)


@blp.operation("/organisations/<int:organisation_id>", method="PATCH",
               summary="Change an organisation", tag="organisations", body=OrganisationIn,
               partial=True, response=OrganisationOut, roles=[Role.ADMIN])
def update_organisation(user, organisation_id, data):
    """Rename or change the details of an organisation."""
    return services.update_organisation(user, services.get_organisation(organisation_id), data)
