"""API: needs."""

from outreach.api import Blueprint, paginate
from outreach.enums import Role
from outreach.needs import services
from outreach.needs.models import Need
from outreach.needs.schemas import NeedIn, NeedOut, NeedQuery
from outreach.people.services import get_client

# Providers see needs only as escalations routed to them; tutors have no Call & Check clients.
READERS = (Role.ADMIN, Role.COORDINATOR, Role.VISITOR)


blp = Blueprint("needs_api", __name__)


@blp.operation("/needs", summary="List needs", tag="needs", query=NeedQuery, response=NeedOut,
               many=True, roles=READERS)
def list_needs(user, params):
    """Needs about the clients the caller may see; filter by client_id, status, category."""
    return paginate(services.visible_needs(user, client_id=params["client_id"],
                                           status=params["status"],
                                           category=params["category"]), Need.id)


@blp.operation("/needs", method="POST", summary="Report a need", tag="needs", body=NeedIn,
               response=NeedOut, status=201, roles=READERS)
def create_need(user, data):
    """Report a need seen or heard about a client the caller may see."""
    client = get_client(user, data["client_id"], purpose="need")
    return services.create_need(user, client, data["category"], data["severity"],
                                data["description"], data["source"])


@blp.operation("/needs/<int:need_id>", summary="One need", tag="needs", response=NeedOut,
               roles=READERS)
def get_need(user, need_id):
    """A need about a client the caller may see."""
    return services.get_need(user, need_id)
