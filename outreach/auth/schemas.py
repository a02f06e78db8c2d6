from marshmallow import fields, validate

from outreach.enums import Role
from outreach.people.phones import Phone
from outreach.schemas import Email, Id, Input, Output, Text, choice


class TokenRequest(Input):
    email = Email(required=True, blank=False)
    password = fields.String(required=True, validate=validate.Length(min=1, max=200))
    name = Text(load_default="", max_length=100)


class TokenOut(Output):
    token = fields.String()
    token_type = fields.String()
    expires_at = fields.AwareDateTime(allow_none=True)
    user_id = fields.Integer()
    role = fields.String()


class UserIn(Input):
    email = Email(required=True, blank=False)  # a user logs in with it
    password = fields.String(required=True, load_only=True,
                             validate=validate.Length(min=1, max=200))
    role = fields.String(required=True, validate=choice(Role))
    organisation_id = Id(required=True)
    full_name = Text(load_default="", max_length=200)
    phone = Phone(load_default=None, allow_none=True)
    active = fields.Boolean(load_default=True)


class UserOut(Output):
    id = fields.Integer()
    email = fields.String()
    full_name = fields.String()
    role = fields.String()
    organisation_id = fields.Integer()
    phone = fields.String(allow_none=True)
    active = fields.Boolean()
    last_login_at = fields.AwareDateTime(allow_none=True)
    created_at = fields.AwareDateTime()


class PasswordChangeIn(Input):
    current_password = fields.String(required=True, load_only=True,
                                     validate=validate.Length(min=1, max=200))
    new_password = fields.String(required=True, load_only=True,
                                 validate=validate.Length(min=1, max=200))


class PasswordResetOut(Output):
    user_id = fields.Integer()
    url = fields.String()
    expires_at = fields.AwareDateTime()
