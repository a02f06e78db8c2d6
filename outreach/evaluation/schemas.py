"""Input and output shapes for outcome measures (the API, the visit's `measures`, the forms)."""

from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from outreach.errors import ValidationFailed
from outreach.evaluation.models import ITEM_RANGES, MeasureKind
from outreach.evaluation.services import check_answers
from outreach.schemas import Input, Output, choice

ANSWERS_DOC = ("Answers by item, each a whole number: ucla_companionship, ucla_left_out, "
               "ucla_isolated 1..3 (hardly ever, some of the time, often); "
               "ons_life_satisfaction, ons_worthwhile, ons_happy, ons_anxious 0..10; "
               "satisfaction 1..5. Leave out (or null) what was not answered.")


def _answers_field() -> fields.Dict:
    # Items and values are checked against the kind by `check_answers`; the size is bounded
    # here so a huge body is refused before anything is looked at.
    return fields.Dict(keys=fields.String(validate=validate.Length(max=40)),
                       values=fields.Raw(allow_none=True), load_default=dict,
                       validate=validate.Length(max=len(ITEM_RANGES)),
                       metadata={"description": ANSWERS_DOC})


def _check(kind: MeasureKind | str, data: dict) -> None:
    """Refuse answers with a refusal, and bad answers, as field errors under `answers`."""
    answers = data.get("answers") or {}
    if data.get("declined") and any(v is not None for v in answers.values()):
        raise ValidationError({"answers": ["Leave the answers empty when they would rather "
                                           "not answer."]})
    try:
        check_answers(kind, answers)
    except ValidationFailed as exc:
        raise ValidationError({"answers": exc.fields}) from exc


class VisitMeasuresIn(Input):
    """The wellbeing questions asked on the doorstep, sent with the visit."""

    declined = fields.Boolean(load_default=False, metadata={
        "description": "The client would rather not answer (counts as asked)"})
    answers = _answers_field()

    @validates_schema
    def _answers(self, data, **kwargs):
        _check(MeasureKind.WELLBEING, data)


class MeasureIn(Input):
    kind = fields.String(required=True, validate=choice(MeasureKind))
    declined = fields.Boolean(load_default=False)
    answers = _answers_field()

    @validates_schema
    def _answers(self, data, **kwargs):
        if "kind" in data:  # else the kind's own error says what is wrong
            _check(data["kind"], data)
        if not data.get("declined") and not any(
                v is not None for v in (data.get("answers") or {}).values()):
            raise ValidationError({"answers": ["Give at least one answer, or record that "
                                               "they would rather not answer."]})


class MeasureQuery(Input):
    kind = fields.String(load_default=None, validate=choice(MeasureKind))
    cursor = fields.String(load_default=None)
    limit = fields.String(load_default=None)


class MeasureOut(Output):
    id = fields.Integer()
    client_id = fields.Integer()
    programme_id = fields.Integer()
    kind = fields.String()
    source = fields.String(metadata={"description": "visit, sms or web"})
    visit_id = fields.String(allow_none=True)
    recorded_by_id = fields.Integer(allow_none=True)
    asked_at = fields.AwareDateTime()
    completed_at = fields.AwareDateTime(allow_none=True, metadata={
        "description": "Set once every question of the kind is answered"})
    declined = fields.Boolean()
    ucla_companionship = fields.Integer(allow_none=True)
    ucla_left_out = fields.Integer(allow_none=True)
    ucla_isolated = fields.Integer(allow_none=True)
    ucla_total = fields.Integer(allow_none=True, metadata={
        "description": "UCLA-3 score 3..9 (higher is lonelier), once all three are answered"})
    ons_life_satisfaction = fields.Integer(allow_none=True)
    ons_worthwhile = fields.Integer(allow_none=True)
    ons_happy = fields.Integer(allow_none=True)
    ons_anxious = fields.Integer(allow_none=True)
    satisfaction = fields.Integer(allow_none=True)
