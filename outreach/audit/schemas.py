from marshmallow import fields, validate

from outreach.schemas import MAX_ID, Input, Output, Text


class AuditQuery(Input):
    client_id = fields.Integer(load_default=None, validate=validate.Range(min=1, max=MAX_ID))
    action = Text(load_default="", max_length=60)
    cursor = fields.String(load_default=None)
    limit = fields.String(load_default=None)


class AuditEventOut(Output):
    id = fields.Integer()
    occurred_at = fields.AwareDateTime()
    actor_id = fields.Integer(allow_none=True)
    actor_role = fields.String()
    action = fields.String()
    subject_type = fields.String()
    subject_id = fields.String()
    client_id = fields.Integer(allow_none=True)
    via = fields.String()
    detail = fields.Dict()
