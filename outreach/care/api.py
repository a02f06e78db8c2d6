"""API: a client's appointments and prescriptions, and the prescriptions list of a pharmacy."""

from outreach.api import Blueprint, paginate
from outreach.care import services
from outreach.care.models import Appointment, Prescription
from outreach.care.schemas import (
    AppointmentChange,
    AppointmentIn,
    AppointmentOut,
    AppointmentQuery,
    PrescriptionIn,
    PrescriptionOut,
    PrescriptionQuery,
    StatusIn,
)
from outreach.enums import Role
from outreach.people.services import client_for_change, get_client

MANAGERS = (Role.ADMIN, Role.COORDINATOR)
READERS = MANAGERS + (Role.VISITOR,)
PHARMACY = MANAGERS + (Role.PROVIDER,)


blp = Blueprint("care_api", __name__)


@blp.operation("/clients/<int:client_id>/appointments", summary="A client's appointments",
               tag="appointments", query=AppointmentQuery, response=AppointmentOut, many=True,
               roles=READERS)
def list_appointments(user, client_id, params):
    """The client's appointments, cancelled ones included; `upcoming=true` for those ahead."""
    client = get_client(user, client_id, purpose="appointments")
    return paginate(services.appointments_for(client, upcoming=params["upcoming"]),
                    Appointment.id)


@blp.operation("/clients/<int:client_id>/appointments", method="POST",
               summary="Record an appointment", tag="appointments", body=AppointmentIn,
               response=AppointmentOut, status=201, roles=MANAGERS)
def add_appointment(user, client_id, data):
    """Record a medical appointment (at most a year ahead; past ones for history)."""
    return services.add_appointment(user, client_for_change(user, client_id), data)


@blp.operation("/clients/<int:client_id>/appointments/<int:appointment_id>", method="PATCH",
               summary="Change or cancel an appointment", tag="appointments",
               body=AppointmentChange, partial=True, response=AppointmentOut, roles=MANAGERS)
def change_appointment(user, client_id, appointment_id, data):
    """Change the fields given; `cancelled: true` cancels, `false` reinstates."""
    client = client_for_change(user, client_id)
    return services.change_appointment(user, services.get_appointment(client, appointment_id),
                                       data)


@blp.operation("/clients/<int:client_id>/prescriptions", summary="A client's prescriptions",
               tag="prescriptions", response=PrescriptionOut, many=True, roles=READERS,
               query=PrescriptionQuery)
def list_client_prescriptions(user, client_id, params):
    """Every prescription of the client, optionally of one `status`."""
    client = get_client(user, client_id, purpose="prescriptions")
    query = services.prescriptions_for(client)
    if params["status"] is not None:
        query = query.where(Prescription.status == params["status"])
    return paginate(query, Prescription.id)


@blp.operation("/clients/<int:client_id>/prescriptions", method="POST",
               summary="Record a prescription to deliver", tag="prescriptions", body=PrescriptionIn,
               response=PrescriptionOut, status=201, roles=PHARMACY)
def add_prescription(user, client_id, data):
    """Record a ready prescription; a pharmacy only for clients who consented to share with it."""
    client = services.client_for_prescriptions(user, client_id)
    return services.add_prescription(user, client, data)


@blp.operation("/clients/<int:client_id>/prescriptions/<int:prescription_id>/status",
               method="POST", summary="Move a prescription on", tag="prescriptions",
               body=StatusIn, response=PrescriptionOut, roles=PHARMACY)
def change_prescription_status(user, client_id, prescription_id, data):
    """ready → out_for_delivery → delivered; not_delivered needs a reason; then ready again."""
    client = services.client_for_prescriptions(user, client_id)
    prescription = services.get_prescription(user, client, prescription_id)
    return services.change_status(user, prescription, data["status"], data["reason"])


@blp.operation("/prescriptions", summary="Prescriptions to deliver", tag="prescriptions",
               query=PrescriptionQuery, response=PrescriptionOut, many=True,
               roles=READERS + (Role.PROVIDER,))
def list_prescriptions(user, params):
    """A pharmacy's own prescriptions (status, client name and round only); staff those of the
    clients they may see."""
    page = paginate(services.visible_prescriptions(user, status=params["status"]),
                    Prescription.id)
    services.audit_listing(user, page.items)
    return page
