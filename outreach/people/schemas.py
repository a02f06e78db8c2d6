"""Input and output shapes for clients and contacts (API and web forms alike)."""

from __future__ import annotations

from marshmallow import fields, validate

from outreach.enums import ContactReceives, EnrolmentStatus, Language
from outreach.people.phones import Phone
from outreach.schemas import (
    MAX_ID,
    Email,
    Id,
    Input,
    Output,
    Text,
    birth_date,
    choice,
)


class ContactIn(Input):
    name = Text(required=True, required_text=True)
    relationship = Text(load_default="", max_length=100)
    phone = Phone(load_default=None, allow_none=True)
    email = Email(load_default=None, allow_none=True)
    preferred_language = fields.String(load_default="en", validate=choice(Language))
    receives = fields.List(
        fields.String(validate=choice(ContactReceives)),
        load_default=lambda: [ContactReceives.ALERTS.value],
        validate=validate.Length(max=2),
    )


class ContactOut(Output):
    id = fields.Integer()
    client_id = fields.Integer()
    name = fields.String()
    relationship = fields.String(attribute="relationship_to_client")
    phone = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    preferred_language = fields.String()
    receives = fields.List(fields.String())
    created_at = fields.AwareDateTime()


class ClientIn(Input):
    programme_id = Id(required=True)
    full_name = Text(required=True, required_text=True)
    date_of_birth = fields.Date(load_default=None, allow_none=True, validate=birth_date)
    address = Text(load_default="", max_length=500)
    parish = Text(load_default="", max_length=100)
    phone = Phone(load_default=None, allow_none=True)
    email = Email(load_default=None, allow_none=True)
    preferred_language = fields.String(load_default="en", validate=choice(Language))
    lives_alone = fields.Boolean(load_default=False)
    gp_practice_id = Id(load_default=None, allow_none=True)
    access_notes = Text(load_default="", max_length=2000)
    notes = Text(load_default="", max_length=5000)
    round_id = Id(load_default=None, allow_none=True)
    walk_order = fields.Integer(load_default=None, allow_none=True, strict=True,
                                validate=validate.Range(min=0, max=100000))
    force = fields.Boolean(load_default=False, metadata={
        "description": "Create even if a possible duplicate exists."})


class EnrolmentOut(Output):
    programme_id = fields.Integer()
    status = fields.String(validate=choice(EnrolmentStatus))
    enrolled_at = fields.AwareDateTime()
    left_at = fields.AwareDateTime(allow_none=True)


class ClientOut(Output):
    id = fields.Integer()
    programme_id = fields.Integer()
    full_name = fields.String()
    date_of_birth = fields.Date(allow_none=True)
    address = fields.String()
    parish = fields.String()
    phone = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    preferred_language = fields.String()
    lives_alone = fields.Boolean()
    gp_practice_id = fields.Integer(allow_none=True)
    access_notes = fields.String()
    notes = fields.String()
    round_id = fields.Integer(allow_none=True)
    walk_order = fields.Integer(allow_none=True)
    enrolments = fields.List(fields.Nested(EnrolmentOut))
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class ClientMatch(Output):
    """A possible duplicate, as returned with a 409."""

    id = fields.Integer()
    full_name = fields.String()
    date_of_birth = fields.Date(allow_none=True)
    phone = fields.String(allow_none=True)
    reason = fields.String()


class ClientQuery(Input):
    q = Text(load_default="", max_length=100)
    programme_id = fields.Integer(load_default=None, validate=validate.Range(min=1, max=MAX_ID))
    cursor = fields.String(load_default=None)
    limit = fields.String(load_default=None)
