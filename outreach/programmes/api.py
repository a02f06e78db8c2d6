"""API: programmes."""

from sqlalchemy import select

from outreach.api import Blueprint, paginate
from outreach.auth import access
from outreach.enums import Role
from outreach.programmes import services
from outreach.programmes.models import Programme
from outreach.programmes.schemas import ProgrammeIn, ProgrammeOut

blp = Blueprint("programmes_api", __name__)


@blp.operation("/programmes", summary="List programmes", tag="programmes", response=ProgrammeOut,
               many=True)
def list_programmes(user):
    """Programmes run by the caller's operator (all of them for admins)."""
    return paginate(select(Programme).where(access.programme_filter(user)), Programme.id)


@blp.operation("/programmes", method="POST", summary="Create a programme", tag="programmes",
               body=ProgrammeIn, response=ProgrammeOut, status=201,
               roles=[Role.ADMIN, Role.COORDINATOR])
def create_programme(user, data):
    """Start a Call & Check or digital-literacy programme for an operator."""
    return services.create_programme(user, data)


@blp.operation("/programmes/<int:programme_id>", summary="One programme", tag="programmes",
               response=ProgrammeOut)
def get_programme(user, programme_id):
    """A programme the caller may see."""
    return services.get_programme(user, programme_id)


@blp.operation("/programmes/<int:programme_id>", method="PATCH", summary="Change a programme",
               tag="programmes", body=ProgrammeIn, partial=True, response=ProgrammeOut,
               roles=[Role.ADMIN, Role.COORDINATOR])
def update_programme(user, programme_id, data):
    """Rename a programme or change its time zone."""
    return services.update_programme(user, services.get_programme(user, programme_id), data)
