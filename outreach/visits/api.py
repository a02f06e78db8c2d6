"""API: visits."""

from __future__ import annotations

import base64
import binascii

from flask import request

from outreach.api import endpoint
from outreach.api.core import Page, page_size
from outreach.db import db
from outreach.enums import Role
from outreach.errors import APIError, NotFound
from outreach.visits import services
from outreach.visits.models import Visit
from outreach.visits.schemas import VisitIn, VisitOut, VisitQuery, is_visit_id

RECORDERS = (Role.ADMIN, Role.COORDINATOR, Role.VISITOR)


@endpoint("/visits", methods=["POST"], summary="Record a visit", tag="visits", body=VisitIn,
          response=VisitOut, status=201, roles=RECORDERS)
def create_visit(user, data):
    """Record a doorstep visit: 201 when new, 200 when this id was already stored unchanged."""
    visit, created = services.record_visit(user, data)
    return visit, 201 if created else 200


@endpoint("/visits", summary="List visits", tag="visits", query=VisitQuery, response=VisitOut,
          many=True, roles=RECORDERS)
def list_visits(user, params):
    """Visits to the clients the caller may see; filter by client_id, round_id and date."""
    query = services.visible_visits(user, client_id=params["client_id"],
                                    round_id=params["round_id"], on=params["date"])
    return _paginate_by_uuid(query)


@endpoint("/visits/<visit_id>", summary="One visit", tag="visits", response=VisitOut,
          roles=RECORDERS)
def get_visit(user, visit_id):
    """A visit to a client the caller may see."""
    if not is_visit_id(visit_id):
        raise NotFound("No such visit.")
    return services.get_visit(user, visit_id.lower())


def _paginate_by_uuid(query) -> Page:
    # Visit ids are UUIDs, not increasing integers: the cursor is the last id shown.
    raw = request.args.get("cursor")
    if raw:
        try:
            after = base64.urlsafe_b64decode(raw.encode() + b"==").decode()
        except (ValueError, binascii.Error, UnicodeError):
            after = ""
        if not is_visit_id(after):
            raise APIError("The cursor is not valid.", fields={"cursor": ["Not a valid cursor."]})
        query = query.where(Visit.id > after)
    size = page_size()
    rows = list(db.session.scalars(query.order_by(Visit.id).limit(size + 1)))
    more = len(rows) > size
    rows = rows[:size]
    cursor = base64.urlsafe_b64encode(rows[-1].id.encode()).decode().rstrip("=") \
        if more and rows else None
    return Page(rows, cursor)
