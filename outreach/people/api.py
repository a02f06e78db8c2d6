"""API: clients, their programme enrolments and their contacts."""

from outreach.api import Blueprint, Page, paginate
from outreach.audit.services import record_listing
from outreach.enums import Role
from outreach.people import services
from outreach.people.models import Client
from outreach.people.schemas import ClientIn, ClientOut, ClientQuery, ContactIn, ContactOut
from outreach.schemas import Id, Input, Text

MANAGERS = (Role.ADMIN, Role.COORDINATOR)


class EnrolIn(Input):
    programme_id = Id(required=True)


class LeaveIn(Input):
    reason = Text(load_default="", max_length=500)


blp = Blueprint("people_api", __name__)


@blp.operation("/clients", summary="List or search clients", tag="clients", query=ClientQuery,
               response=ClientOut, many=True)
def list_clients(user, params):
    """Clients the caller may see; `q` searches name, parish and phone."""
    query = services.visible_clients(user, q=params["q"], programme_id=params["programme_id"])
    page = paginate(query, Client.id)
    record_listing(user, page.items)
    return page


@blp.operation("/clients", method="POST", summary="Enrol a client", tag="clients", body=ClientIn,
               response=ClientOut, status=201, roles=MANAGERS)
def create_client(user, data):
    """Enrol a client; a likely duplicate in the programme is refused with 409 unless forced."""
    force = data.pop("force")
    return services.create_client(user, data, force=force)


@blp.operation("/clients/<int:client_id>", summary="One client", tag="clients", response=ClientOut)
def get_client(user, client_id):
    """A client record; every read is audited."""
    return services.get_client(user, client_id)


@blp.operation("/clients/<int:client_id>", method="PATCH", summary="Change a client",
               tag="clients", body=ClientIn, partial=True, response=ClientOut, roles=MANAGERS,
               fixed=("programme_id",))
def update_client(user, client_id, data):
    """Change the fields given; programme_id cannot change (enrol in another programme)."""
    client = services.client_for_change(user, client_id)
    return services.update_client(user, client, data)


@blp.operation("/clients/<int:client_id>/enrolments", method="POST",
               summary="Enrol a client in another programme", tag="clients", body=EnrolIn,
               response=ClientOut, status=201, roles=MANAGERS)
def enrol(user, client_id, data):
    """Add the client to another programme of the same operator."""
    client = services.client_for_change(user, client_id)
    services.enrol_in_programme(user, client, data["programme_id"])
    return client


@blp.operation("/clients/<int:client_id>/enrolments/<int:programme_id>/leave", method="POST",
               summary="Record that a client left a programme", tag="clients", body=LeaveIn,
               response=ClientOut, roles=MANAGERS)
def leave(user, client_id, programme_id, data):
    """Mark the client's enrolment in the programme as ended."""
    client = services.client_for_change(user, client_id)
    services.leave_programme(user, client, programme_id, data["reason"])
    return client


@blp.operation("/clients/<int:client_id>/contacts", summary="A client's designated contacts",
               tag="contacts", response=ContactOut, many=True)
def list_contacts(user, client_id):
    """Every designated contact of a client the caller may see."""
    client = services.get_client(user, client_id, purpose="contacts")
    return Page(list(client.contacts), None)


@blp.operation("/clients/<int:client_id>/contacts", method="POST", summary="Add a contact",
               tag="contacts", body=ContactIn, response=ContactOut, status=201, roles=MANAGERS)
def add_contact(user, client_id, data):
    """Add a designated contact and what they receive (visit_reports, alerts)."""
    return services.add_contact(user, services.client_for_change(user, client_id), data)


@blp.operation("/clients/<int:client_id>/contacts/<int:contact_id>", method="PATCH",
               summary="Change a contact", tag="contacts", body=ContactIn, partial=True,
               response=ContactOut, roles=MANAGERS)
def update_contact(user, client_id, contact_id, data):
    """Change a contact's details or what they receive."""
    client = services.client_for_change(user, client_id)
    return services.update_contact(user, services.get_contact(client, contact_id), data)


@blp.operation("/clients/<int:client_id>/contacts/<int:contact_id>", method="DELETE",
               summary="Remove a contact", tag="contacts", roles=MANAGERS)
def remove_contact(user, client_id, contact_id):
    """Remove a designated contact (their consents to receive go with them)."""
    client = services.client_for_change(user, client_id)
    services.remove_contact(user, services.get_contact(client, contact_id))



