from marshmallow import ValidationError, fields

from outreach.schemas import Id, Input, Output, Text


def _weekdays(value: list[int]) -> None:
    if not value or len(set(value)) != len(value) or any(d < 1 or d > 7 for d in value):
        raise ValidationError("Give distinct ISO weekdays from 1 (Monday) to 7 (Sunday).")


class RoundIn(Input):
    programme_id = Id(required=True)
    name = Text(required=True, required_text=True)
    area = Text(load_default="", max_length=200)
    visitor_id = Id(load_default=None, allow_none=True)
    # The metadata says in the OpenAPI document what _weekdays checks.
    weekdays = fields.List(fields.Integer(strict=True, metadata={"minimum": 1, "maximum": 7}),
                           load_default=lambda: [1, 2, 3, 4, 5], validate=_weekdays,
                           metadata={"minItems": 1, "maxItems": 7, "uniqueItems": True})


class RoundOut(Output):
    id = fields.Integer()
    programme_id = fields.Integer()
    name = fields.String()
    area = fields.String()
    visitor_id = fields.Integer(allow_none=True)
    weekdays = fields.List(fields.Integer(), attribute="weekday_list")
