"""API: a client's consents."""

from outreach.api import Blueprint, Page
from outreach.consent import services
from outreach.consent.schemas import ConsentIn, ConsentOut, WithdrawIn
from outreach.enums import Role
from outreach.people.services import client_for_change, get_client

MANAGERS = (Role.ADMIN, Role.COORDINATOR)


blp = Blueprint("consent_api", __name__)


@blp.operation("/clients/<int:client_id>/consents", summary="A client's consents", tag="consents",
               response=ConsentOut, many=True, roles=MANAGERS + (Role.VISITOR,))
def list_consents(user, client_id):
    """Every consent recorded for the client, including withdrawn ones."""
    client = get_client(user, client_id, purpose="consents")
    return Page(services.consents_for(client), None)


@blp.operation("/clients/<int:client_id>/consents", method="POST", summary="Record a consent",
               tag="consents", body=ConsentIn, response=ConsentOut, status=201, roles=MANAGERS)
def give_consent(user, client_id, data):
    """Record consent to take part, or to share with one organisation or contact."""
    return services.record_consent(user, client_for_change(user, client_id), data)


@blp.operation("/clients/<int:client_id>/consents/<int:consent_id>/withdraw", method="POST",
               summary="Withdraw a consent", tag="consents", body=WithdrawIn, response=ConsentOut,
               roles=MANAGERS)
def withdraw_consent(user, client_id, consent_id, data):
    """Withdraw a consent; nothing is shared on its strength from then on."""
    client = client_for_change(user, client_id)
    return services.withdraw(user, services.get_consent(client, consent_id), data["reason"],
                             data["withdrawn_at"])
