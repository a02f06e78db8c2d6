"""Input and output shapes for appointments and prescriptions (API and web forms alike)."""

from __future__ import annotations

from datetime import UTC
from zoneinfo import ZoneInfo

from marshmallow import ValidationError, fields, validates_schema

from outreach.enums import PrescriptionStatus
from outreach.schemas import Id, Input, Output, Text, choice


class OffsetDateTime(fields.AwareDateTime):
    """An ISO 8601 time that must carry its offset, handed on in UTC.

    An appointment at "10:30" is ambiguous for half the year in Jersey (GMT or BST), and a
    wrong hour means a missed appointment, so unlike other times here no offset is assumed.
    """

    default_error_messages = {
        "invalid_awareness": "Give the time with its offset, e.g. 2025-03-04T10:30:00+00:00.",
    }

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            return moment.astimezone(UTC)
        except OverflowError as exc:  # year 1 or 9999 pushed past the calendar by its offset
            raise ValidationError("Not a time that can be stored.") from exc


class LocalDateTime(fields.Field):
    """Dumps a UTC time in the time zone of the record's programme, with its offset."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return value.astimezone(ZoneInfo(obj.client.programme.timezone)).isoformat()


class AppointmentIn(Input):
    starts_at = OffsetDateTime(required=True)
    place = Text(load_default="", max_length=300)
    with_whom = Text(load_default="", max_length=200)
    transport_needed = fields.Boolean(load_default=False)
    notes = Text(load_default="", max_length=1000)


class AppointmentChange(AppointmentIn):
    # True cancels (and keeps the record for history); false reinstates.
    cancelled = fields.Boolean()


class AppointmentOut(Output):
    id = fields.Integer()
    client_id = fields.Integer()
    starts_at = LocalDateTime()
    place = fields.String()
    with_whom = fields.String()
    transport_needed = fields.Boolean()
    notes = fields.String()
    cancelled = fields.Method("_cancelled")
    cancelled_at = LocalDateTime()
    created_at = LocalDateTime()

    def _cancelled(self, obj) -> bool:
        return obj.cancelled_at is not None


class AppointmentQuery(Input):
    upcoming = fields.Boolean(load_default=False)
    cursor = fields.String(load_default=None)
    limit = fields.String(load_default=None)


class PrescriptionIn(Input):
    description = Text(required=True, required_text=True, max_length=300)
    # Coordinators name the pharmacy; a pharmacy's own users may leave it out (it is theirs).
    pharmacy_id = Id(load_default=None, allow_none=True)


class StatusIn(Input):
    status = fields.String(required=True, validate=choice(PrescriptionStatus))
    reason = Text(load_default="", max_length=500)

    @validates_schema
    def reason_when_not_delivered(self, data, **kwargs):
        if data.get("status") == PrescriptionStatus.NOT_DELIVERED and not data.get("reason"):
            raise ValidationError("Say why it was not delivered.", "reason")


class PrescriptionOut(Output):
    """What anyone allowed to see a prescription gets: its status, and who and which round
    it is for, but nothing more about the client (a pharmacy needs no more)."""

    id = fields.Integer()
    client_id = fields.Integer()
    client_name = fields.Function(lambda p: p.client.full_name)
    round_name = fields.Function(lambda p: _round_name(p.client))
    pharmacy_id = fields.Integer(allow_none=True)
    pharmacy_name = fields.Function(lambda p: p.pharmacy.name if p.pharmacy else None)
    description = fields.String()
    status = fields.String()
    not_delivered_reason = fields.String()
    ready_at = LocalDateTime()
    delivered_at = LocalDateTime()
    visit_id = fields.String(allow_none=True)
    updated_at = LocalDateTime()


def _round_name(client) -> str | None:
    from outreach.db import db
    from outreach.rounds.models import Round

    # The client model has no relationship to its round; the identity map makes this cheap.
    round_ = db.session.get(Round, client.round_id) if client.round_id else None
    return round_.name if round_ else None


class PrescriptionQuery(Input):
    status = fields.String(load_default=None, validate=choice(PrescriptionStatus))
    cursor = fields.String(load_default=None)
    limit = fields.String(load_default=None)
