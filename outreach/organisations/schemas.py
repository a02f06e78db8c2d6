from marshmallow import fields

from outreach.enums import OrganisationKind
from outreach.people.phones import Phone
from outreach.schemas import Email, Input, Output, Text, choice


class OrganisationIn(Input):
    name = Text(required=True, required_text=True)
    kind = fields.String(required=True, validate=choice(OrganisationKind))
    email = Email(load_default=None, allow_none=True)
    phone = Phone(load_default=None, allow_none=True)


class OrganisationOut(Output):
    id = fields.Integer()
    name = fields.String()
    kind = fields.String()
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()
