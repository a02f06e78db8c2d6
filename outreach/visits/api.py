"""API: visits."""

from __future__ import annotations

from outreach.api import Blueprint, paginate
from outreach.api.pagination import Cursor, bad_cursor, decode_text, encode_text
from outreach.enums import Role
from outreach.errors import NotFound
from outreach.visits import plan_api, services
from outreach.visits.models import Visit
from outreach.visits.schemas import VisitIn, VisitOut, VisitQuery, is_visit_id

RECORDERS = (Role.ADMIN, Role.COORDINATOR, Role.VISITOR)


def _after_visit(raw: str) -> str:
    after = decode_text(raw)
    if after is None or not is_visit_id(after):
        raise bad_cursor()
    return after


# Visit ids are UUIDs, not increasing integers: the cursor carries the last id shown.
BY_VISIT_ID = Cursor(read=_after_visit, write=encode_text)


blp = Blueprint("visits_api", __name__)


@blp.operation("/visits", method="POST", summary="Record a visit", tag="visits", body=VisitIn,
               response=VisitOut, status=201, roles=RECORDERS)
def create_visit(user, data):
    """Record a doorstep visit: 201 when new, 200 when this id was already stored unchanged."""
    visit, created = services.record_visit(user, data)
    return visit, 201 if created else 200


@blp.operation("/visits", summary="List visits", tag="visits", query=VisitQuery, response=VisitOut,
               many=True, roles=RECORDERS)
def list_visits(user, params):
    """Visits to the clients the caller may see; filter by client_id, round_id and date."""
    query = services.visible_visits(user, client_id=params["client_id"],
                                    round_id=params["round_id"], on=params["date"])
    return paginate(query, Visit.id, cursor=BY_VISIT_ID)


@blp.operation("/visits/<visit_id>", summary="One visit", tag="visits", response=VisitOut,
               roles=RECORDERS)
def get_visit(user, visit_id):
    """A visit to a client the caller may see."""
    if not is_visit_id(visit_id):
        raise NotFound("No such visit.")
    return services.get_visit(user, visit_id.lower())


# Plans, pauses, cover and due lists, declared in their own module (after the routes above,
# which the OpenAPI document lists first).
blp.register_blueprint(plan_api.blp)
