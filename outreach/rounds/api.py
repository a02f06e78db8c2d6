"""API: rounds."""

from outreach.api import Blueprint, paginate
from outreach.enums import Role
from outreach.rounds import services
from outreach.rounds.models import Round
from outreach.rounds.schemas import RoundIn, RoundOut

MANAGERS = (Role.ADMIN, Role.COORDINATOR)


blp = Blueprint("rounds_api", __name__)


@blp.operation("/rounds", summary="List rounds", tag="rounds", response=RoundOut, many=True)
def list_rounds(user):
    """Rounds of the caller's programmes; visitors see their own."""
    return paginate(services.visible_rounds(user), Round.id)


@blp.operation("/rounds", method="POST", summary="Create a round", tag="rounds", body=RoundIn,
               response=RoundOut, status=201, roles=MANAGERS)
def create_round(user, data):
    """A postal walk with a default visitor and the weekdays it runs."""
    return services.create_round(user, data)


@blp.operation("/rounds/<int:round_id>", summary="One round", tag="rounds", response=RoundOut)
def get_round(user, round_id):
    """A round the caller may see."""
    return services.get_round(user, round_id)


@blp.operation("/rounds/<int:round_id>", method="PATCH", summary="Change a round", tag="rounds",
               body=RoundIn, partial=True, response=RoundOut, roles=MANAGERS,
               fixed=("programme_id",))
def update_round(user, round_id, data):
    """Rename a round, change its visitor or its days."""
    return services.update_round(user, services.get_round(user, round_id), data)
