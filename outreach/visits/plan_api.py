"""API: visit plans, pauses, round cover and due lists."""

from outreach.api import Blueprint, paginate
from outreach.enums import Role
from outreach.people.services import client_for_change, get_client
from outreach.rounds.models import RoundCover
from outreach.visits import plans
from outreach.visits.models import VisitPause
from outreach.visits.plan_schemas import (
    CoverIn,
    CoverOut,
    DueOut,
    DueQuery,
    OrderIn,
    OrderOut,
    PauseIn,
    PauseOut,
    VisitPlanIn,
    VisitPlanOut,
)

MANAGERS = (Role.ADMIN, Role.COORDINATOR)
STAFF = (Role.ADMIN, Role.COORDINATOR, Role.VISITOR)
PLAN = "/clients/<int:client_id>/visit-plan"


blp = Blueprint("plans", __name__, part=True)


@blp.operation(PLAN, summary="A client's visit plan", tag="visit plans", response=VisitPlanOut,
               roles=STAFF)
def get_visit_plan(user, client_id):
    """How often the client is visited, on which round; visitors read their clients' plans."""
    return plans.get_plan(user, client_id)


@blp.operation(PLAN, method="PUT", summary="Set a client's visit plan", tag="visit plans",
               body=VisitPlanIn, response=VisitPlanOut, roles=MANAGERS)
def put_visit_plan(user, client_id, data):
    """Replace the plan and the client's place on a round (what is left out is reset)."""
    return plans.set_plan(user, client_for_change(user, client_id), data)


@blp.operation(PLAN, method="DELETE", summary="Stop a client's planned visits", tag="visit plans",
               roles=MANAGERS)
def delete_visit_plan(user, client_id):
    """Delete the plan; the client also leaves their round."""
    plans.delete_plan(user, client_for_change(user, client_id))


@blp.operation("/clients/<int:client_id>/pauses", summary="A client's planned pauses",
               tag="visit plans", response=PauseOut, many=True, roles=STAFF)
def list_client_pauses(user, client_id):
    """Planned absences (hospital stay, holiday) during which no visit is due."""
    client = get_client(user, client_id, purpose="pauses")
    return paginate(plans.list_pauses(client), VisitPause.id)


@blp.operation("/clients/<int:client_id>/pauses", method="POST", summary="Pause visits",
               tag="visit plans", body=PauseIn, response=PauseOut, status=201, roles=MANAGERS)
def add_client_pause(user, client_id, data):
    """Record a planned absence: no visit is due from starts_on to ends_on, both included."""
    return plans.add_pause(user, client_for_change(user, client_id), data)


@blp.operation("/clients/<int:client_id>/pauses/<int:pause_id>", method="DELETE",
               summary="Remove a pause", tag="visit plans", roles=MANAGERS)
def delete_client_pause(user, client_id, pause_id):
    """Remove a planned pause; visits are due again on those days."""
    plans.delete_pause(user, client_for_change(user, client_id), pause_id)


@blp.operation("/rounds/<int:round_id>/covers", summary="Holiday cover of a round", tag="rounds",
               response=CoverOut, many=True, roles=MANAGERS)
def list_round_covers(user, round_id):
    """Date ranges in which another visitor walks the round."""
    return paginate(plans.list_covers(plans.managed_round(user, round_id)), RoundCover.id)


@blp.operation("/rounds/<int:round_id>/covers", method="POST", summary="Hand a round over",
               tag="rounds", body=CoverIn, response=CoverOut, status=201, roles=MANAGERS)
def add_round_cover(user, round_id, data):
    """Another visitor of the operator walks the round for a date range (no overlaps)."""
    return plans.add_cover(user, plans.managed_round(user, round_id), data)


@blp.operation("/rounds/<int:round_id>/covers/<int:cover_id>", method="DELETE",
               summary="Remove a cover", tag="rounds", roles=MANAGERS)
def delete_round_cover(user, round_id, cover_id):
    """The round's own visitor walks it again on those days."""
    plans.delete_cover(user, plans.managed_round(user, round_id), cover_id)


@blp.operation("/rounds/<int:round_id>/order", method="PUT", summary="Set the walking order",
               tag="rounds", body=OrderIn, response=OrderOut, roles=MANAGERS)
def put_round_order(user, round_id, data):
    """List every client on the round, once each, in the order the round is walked."""
    round_ = plans.managed_round(user, round_id)
    return {"round_id": round_.id, "client_ids": plans.reorder(user, round_, data["client_ids"])}


@blp.operation("/rounds/<int:round_id>/due", summary="Today's round", tag="rounds", query=DueQuery,
               response=DueOut, roles=STAFF)
def round_due_list(user, round_id, params):
    """Who is due on `date` (default today where the programme runs), in walking order."""
    return plans.due_list(user, round_id, params["date"])
