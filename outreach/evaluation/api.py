"""API: a client's outcome measures (loneliness, wellbeing, satisfaction), for programme staff.

Only admins and the coordinators of the client's programme read or record them: the answers
are sensitive and a visitor needs none of them to ask the questions.
"""

from __future__ import annotations

from outreach.api import Blueprint, paginate
from outreach.db import utcnow
from outreach.enums import Role
from outreach.evaluation import services
from outreach.evaluation.models import MeasureSource, OutcomeMeasure
from outreach.evaluation.schemas import MeasureIn, MeasureOut, MeasureQuery

MANAGERS = (Role.ADMIN, Role.COORDINATOR)


blp = Blueprint("evaluation_api", __name__)


@blp.operation("/clients/<int:client_id>/measures", summary="A client's outcome measures",
               tag="outcome measures", query=MeasureQuery, response=MeasureOut, many=True,
               roles=MANAGERS)
def list_measures(user, client_id, params):
    """Every asking of the client, newest first; `kind=wellbeing|satisfaction` for one kind."""
    client = services.client_for_measures(user, client_id)
    # Newest first: the cursor is the last id shown, and the next page holds the ids below it.
    return paginate(services.measures_of(client, params["kind"]), OutcomeMeasure.id,
                    descending=True)


@blp.operation("/clients/<int:client_id>/measures", method="POST",
               summary="Record outcome measure answers", tag="outcome measures", body=MeasureIn,
               response=MeasureOut, status=201, roles=MANAGERS)
def add_measure(user, client_id, data):
    """Record answers taken by telephone or in person (source web); some answers, or declined."""
    client = services.client_for_measures(user, client_id)
    return services.record_measure(user, client, data["kind"], MeasureSource.WEB,
                                   data["answers"], utcnow(), declined=data["declined"])

