from marshmallow import fields

from outreach.enums import ProgrammeKind
from outreach.schemas import Id, Input, Output, Text, choice, timezone_name


class ProgrammeIn(Input):
    name = Text(required=True, required_text=True)
    kind = fields.String(required=True, validate=choice(ProgrammeKind))
    operator_id = Id(required=True)
    timezone = Text(load_default="Europe/Jersey", max_length=64, validate=timezone_name)
    description = Text(load_default="", max_length=2000)


class ProgrammeOut(Output):
    id = fields.Integer()
    name = fields.String()
    kind = fields.String()
    operator_id = fields.Integer()
    timezone = fields.String()
    description = fields.String()
    created_at = fields.AwareDateTime()
