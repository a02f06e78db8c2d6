"""API: a client's outcome measures (loneliness, wellbeing, satisfaction), for programme staff.

Only admins and the coordinators of the client's programme read or record them: the answers
are sensitive and a visitor needs none of them to ask the questions.
"""

from __future__ import annotations

from flask import request

from outreach.api import endpoint
from outreach.api.core import Page, decode_cursor, encode_cursor, page_size
from outreach.db import db, utcnow
from outreach.enums import Role
from outreach.evaluation import services
from outreach.evaluation.models import MeasureSource, OutcomeMeasure
from outreach.evaluation.schemas import MeasureIn, MeasureOut, MeasureQuery

MANAGERS = (Role.ADMIN, Role.COORDINATOR)


@endpoint("/clients/<int:client_id>/measures", summary="A client's outcome measures",
          tag="outcome measures", query=MeasureQuery, response=MeasureOut, many=True,
          roles=MANAGERS)
def list_measures(user, client_id, params):
    """Every asking of the client, newest first; `kind=wellbeing|satisfaction` for one kind."""
    client = services.client_for_measures(user, client_id)
    return _newest_first(services.measures_of(client, params["kind"]))


@endpoint("/clients/<int:client_id>/measures", methods=["POST"],
          summary="Record outcome measure answers", tag="outcome measures", body=MeasureIn,
          response=MeasureOut, status=201, roles=MANAGERS)
def add_measure(user, client_id, data):
    """Record answers taken by telephone or in person (source web); some answers, or declined."""
    client = services.client_for_measures(user, client_id)
    return services.record_measure(user, client, data["kind"], MeasureSource.WEB,
                                   data["answers"], utcnow(), declined=data["declined"])


def _newest_first(query) -> Page:
    # Keyset pagination like `paginate`, walking the ids downwards: the cursor is the last id
    # shown, and the next page holds the ids below it.
    before = decode_cursor(request.args.get("cursor"))
    if before:
        query = query.where(OutcomeMeasure.id < before)
    size = page_size()
    rows = list(db.session.scalars(query.order_by(OutcomeMeasure.id.desc()).limit(size + 1)))
    more = len(rows) > size
    rows = rows[:size]
    return Page(rows, encode_cursor(rows[-1].id) if more and rows else None)
