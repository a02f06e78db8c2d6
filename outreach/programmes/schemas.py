from decimal import Decimal

from marshmallow import ValidationError, fields, validate

from outreach.enums import ProgrammeKind
from outreach.people.phones import Phone
from outreach.schemas import Id, Input, Output, Text, choice, timezone_name

MINUTES = validate.Range(min=5, max=7 * 24 * 60)


def _pounds(value: Decimal) -> None:
    # Checked here rather than with validate.Range, which would document its bounds as strings.
    if not 0 <= value <= 1000:
        raise ValidationError("Must be greater than or equal to 0 and less than or equal to "
                              "1000.")
    if value != value.quantize(Decimal("0.01")):
        raise ValidationError("Give pounds and pence: at most 2 decimals.")


# What one visit costs the programme, for the evaluation dashboard (pounds, 0 to 1000).
COST_PER_VISIT = fields.Decimal(validate=_pounds, metadata={
    "description": "Cost of one visit in pounds (0 to 1000, 2 decimals), e.g. 6.75",
    "minimum": 0, "maximum": 1000})


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
    cost_per_visit = COST_PER_VISIT


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
    cost_per_visit = fields.Float()
    created_at = fields.AwareDateTime()
