"""Schemas for visit plans, pauses, round cover, walking order and due lists."""

from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from outreach.enums import VisitFrequency
from outreach.schemas import Id, Input, Output, Text, choice

# A round of a few hundred stops is already long; this only keeps absurd numbers out.
MAX_WALK_ORDER = 100_000
MAX_ROUND_SIZE = 5_000
WEEKDAY = fields.Integer(strict=True, validate=validate.Range(min=1, max=7,
                         error="Use ISO weekdays: 1 (Monday) to 7 (Sunday)."))


def _dates_in_order(data: dict, start: str = "starts_on", end: str = "ends_on") -> None:
    if data.get(start) and data.get(end) and data[end] < data[start]:
        raise ValidationError({end: ["Must be on or after the start date."]})


class VisitPlanIn(Input):
    """A whole plan (PUT): how often, on which days, in which window, on which round."""

    frequency = fields.String(required=True, validate=choice(VisitFrequency))
    weekdays = fields.List(WEEKDAY, load_default=list)
    window_start = fields.Time(load_default=None, allow_none=True)
    window_end = fields.Time(load_default=None, allow_none=True)
    starts_on = fields.Date(load_default=None, allow_none=True)
    ends_on = fields.Date(load_default=None, allow_none=True)
    round_id = Id(load_default=None, allow_none=True)
    walk_order = fields.Integer(strict=True, load_default=None, allow_none=True,
                                validate=validate.Range(min=1, max=MAX_WALK_ORDER))
    sms_check_ins = fields.Boolean(load_default=False)

    @validates_schema
    def _consistent(self, data, **kwargs):
        days = data.get("weekdays") or []
        frequency = data.get("frequency")
        if len(set(days)) != len(days):
            raise ValidationError({"weekdays": ["Give each day once."]})
        if frequency == VisitFrequency.WEEKDAYS and not 1 <= len(days) <= 6:
            raise ValidationError({"weekdays": [
                "Choose from 1 to 6 days a week (for every day, choose daily)."]})
        if frequency in (VisitFrequency.WEEKLY, VisitFrequency.FORTNIGHTLY) and len(days) != 1:
            raise ValidationError({"weekdays": ["Choose exactly one day of the week."]})
        if frequency == VisitFrequency.DAILY and days:
            raise ValidationError({"weekdays": [
                "A daily plan follows the round's days: leave the days empty."]})
        _dates_in_order(data)
        start, end = data.get("window_start"), data.get("window_end")
        if (start is None) != (end is None):
            raise ValidationError({"window_end" if end is None else "window_start": [
                "Give both ends of the time window, or neither."]})
        if start is not None and end is not None and not start < end:
            raise ValidationError({"window_end": ["Must be later than the window's start."]})


class VisitPlanOut(Output):
    client_id = fields.Integer()
    round_id = fields.Integer(allow_none=True, attribute="client.round_id")
    walk_order = fields.Integer(allow_none=True, attribute="client.walk_order")
    frequency = fields.String()
    weekdays = fields.List(fields.Integer(), attribute="weekday_list")
    window_start = fields.Time(allow_none=True, format="%H:%M")
    window_end = fields.Time(allow_none=True, format="%H:%M")
    starts_on = fields.Date()
    ends_on = fields.Date(allow_none=True)
    sms_check_ins = fields.Boolean()


class PauseIn(Input):
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    reason = Text(load_default="", max_length=500)

    @validates_schema
    def _order(self, data, **kwargs):
        _dates_in_order(data)


class PauseOut(Output):
    id = fields.Integer()
    client_id = fields.Integer()
    starts_on = fields.Date()
    ends_on = fields.Date()
    reason = fields.String()


class CoverIn(Input):
    visitor_id = Id(required=True)
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    note = Text(load_default="", max_length=500)

    @validates_schema
    def _order(self, data, **kwargs):
        _dates_in_order(data)


class CoverOut(Output):
    id = fields.Integer()
    round_id = fields.Integer()
    visitor_id = fields.Integer()
    starts_on = fields.Date()
    ends_on = fields.Date()
    note = fields.String()


class OrderIn(Input):
    client_ids = fields.List(Id(), required=True,
                             validate=validate.Length(max=MAX_ROUND_SIZE))


class OrderOut(Output):
    round_id = fields.Integer()
    client_ids = fields.List(fields.Integer())


class DueQuery(Input):
    date = fields.Date(load_default=None)


class DuePrescription(Output):
    id = fields.Integer()
    description = fields.String()
    status = fields.String()


class DueAppointment(Output):
    id = fields.Integer()
    starts_at = fields.String()  # ISO 8601 in the programme's time zone, with its offset
    place = fields.String()
    with_whom = fields.String()
    transport_needed = fields.Boolean()


class DueNeed(Output):
    id = fields.Integer()
    category = fields.String()
    severity = fields.String()
    description = fields.String()


class DueItem(Output):
    client = fields.Integer()
    full_name = fields.String()
    address = fields.String()
    parish = fields.String()
    phone = fields.String(allow_none=True)
    access_notes = fields.String()
    walk_order = fields.Integer(allow_none=True)
    window_start = fields.String(allow_none=True)
    window_end = fields.String(allow_none=True)
    done = fields.Boolean()
    visit_id = fields.String(allow_none=True)
    outcome = fields.String(allow_none=True)
    prescriptions = fields.List(fields.Nested(DuePrescription))
    appointments = fields.List(fields.Nested(DueAppointment))
    open_needs = fields.List(fields.Nested(DueNeed))


class DueRound(Output):
    id = fields.Integer()
    programme_id = fields.Integer()
    name = fields.String()
    area = fields.String()
    visitor_id = fields.Integer(allow_none=True)
    weekdays = fields.List(fields.Integer(), attribute="weekday_list")


class DueOut(Output):
    round = fields.Nested(DueRound)
    date = fields.Date()
    timezone = fields.String()
    visitor_id = fields.Integer(allow_none=True)
    items = fields.List(fields.Nested(DueItem))
