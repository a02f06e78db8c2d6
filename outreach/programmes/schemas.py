from marshmallow import fields, validate

from outreach.enums import ProgrammeKind
from outreach.schemas import Id, Input, Output, Phone, Text, choice, timezone_name

MINUTES = validate.Range(min=5, max=7 * 24 * 60)


class ProgrammeIn(Input):
    name = Text(required=True, required_text=True)
    kind = fields.String(required=True, validate=choice(ProgrammeKind))
    operator_id = Id(required=True)
    timezone = Text(load_default="Europe/Jersey", max_length=64, validate=timezone_name)
    description = Text(load_default="", max_length=2000)
    no_answer_window_minutes = fields.Integer(load_default=120, strict=True, validate=MINUTES)
    check_in_reply_window_minutes = fields.Integer(load_default=240, strict=True,
                                                   validate=MINUTES)
    check_in_time = fields.Time()
    quiet_hours_start = fields.Time()
    quiet_hours_end = fields.Time()
    sms_number = Phone()


class ProgrammeOut(Output):
    id = fields.Integer()
    name = fields.String()
    kind = fields.String()
    operator_id = fields.Integer()
    timezone = fields.String()
    description = fields.String()
    no_answer_window_minutes = fields.Integer()
    check_in_reply_window_minutes = fields.Integer()
    check_in_time = fields.Time(format="%H:%M")
    quiet_hours_start = fields.Time(format="%H:%M")
    quiet_hours_end = fields.Time(format="%H:%M")
    sms_number = fields.String()
    created_at = fields.AwareDateTime()
