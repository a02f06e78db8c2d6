"""Input and output shapes for visits (the API and the visitor's form alike)."""

from __future__ import annotations

import uuid

from marshmallow import ValidationError, fields, validate

from outreach.enums import VisitOutcome
from outreach.evaluation.schemas import VisitMeasuresIn
from outreach.needs.schemas import NeedOut
from outreach.schemas import MAX_ID, AwareDateTime, Id, Input, Output, Text, choice


class VisitId(fields.String):
    """A UUID made by the visitor's phone, kept in its canonical lower-case form."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            parsed = uuid.UUID(text) if len(text) <= 36 else None
        except ValueError:
            parsed = None
        if parsed is None or str(parsed) != text.lower():
            raise ValidationError("Not a UUID such as 0b6f4c1e-2f7a-4c0e-9a51-3f1f0d8b2c11.")
        return str(parsed)


def is_visit_id(text: str) -> bool:
    """Is `text` a canonical UUID (so it may name a visit)?"""
    try:
        return str(uuid.UUID(text)) == text.lower() and len(text) == 36
    except ValueError:
        return False


MAX_OPTION, MAX_OPTIONS = 100, 20


class Answer(fields.Field):
    """One answer: an option's value, a list of them (a question with several), or null.

    Only the shape is checked here (the questionnaire is the service's to apply), so that a
    replay, compared with the stored visit before the questions are looked at, compares like
    with like."""

    def __init__(self, **kwargs):
        super().__init__(allow_none=True, metadata={
            "description": "An option's value, a list of option values, or null.",
            "nullable": True, "oneOf": [
                {"type": "string", "maxLength": MAX_OPTION},
                {"type": "array", "maxItems": MAX_OPTIONS,
                 "items": {"type": "string", "maxLength": MAX_OPTION}}]}, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str) and len(value) <= MAX_OPTION:
            return value
        if isinstance(value, list) and len(value) <= MAX_OPTIONS and all(
                isinstance(item, str) and len(item) <= MAX_OPTION for item in value):
            return value
        raise ValidationError("Give an option, a list of options or null.")


class VisitIn(Input):
    id = VisitId(required=True)
    client_id = Id(required=True)
    visited_at = AwareDateTime(required=True)
    outcome = fields.String(required=True, validate=choice(VisitOutcome))
    questionnaire_version = fields.Integer(load_default=None, allow_none=True, strict=True,
                                           validate=validate.Range(min=1, max=MAX_ID))
    # Checked against the questionnaire by the service; the size is bounded here.
    answers = fields.Dict(keys=fields.String(validate=validate.Length(max=100)), values=Answer(),
                          load_default=dict, validate=validate.Length(max=50))
    prescription_delivered = fields.Boolean(load_default=False)
    appointment_reminded = fields.Boolean(load_default=False)
    note = Text(load_default="", max_length=2000)
    # The wellbeing questions, when the form asked them (only kept for a client seen).
    measures = fields.Nested(VisitMeasuresIn, load_default=None, allow_none=True)


class VisitQuery(Input):
    client_id = fields.Integer(load_default=None, validate=validate.Range(min=1, max=MAX_ID))
    round_id = fields.Integer(load_default=None, validate=validate.Range(min=1, max=MAX_ID))
    date = fields.Date(load_default=None)
    # The last visit id shown, in unpadded base64url (not the integer cursor of other lists).
    cursor = fields.String(load_default=None,
                           metadata={"pattern": "^[A-Za-z0-9_-]*$", "maxLength": 64})
    limit = fields.String(load_default=None)


class VisitOut(Output):
    id = fields.String()
    client_id = fields.Integer()
    visitor_id = fields.Integer(allow_none=True)
    round_id = fields.Integer(allow_none=True)
    visited_at = fields.AwareDateTime()
    visited_on = fields.Date()
    outcome = fields.String()
    questionnaire_version = fields.Integer(allow_none=True)
    answers = fields.Dict()
    prescription_delivered = fields.Boolean()
    appointment_reminded = fields.Boolean()
    note = fields.String()
    recorded_at = fields.AwareDateTime()
    needs = fields.Method("_needs")
    # Whether the wellbeing questions were asked at this visit; never the answers themselves.
    measure_taken = fields.Method("_measure_taken")

    def _needs(self, visit) -> list:
        known = _known(visit, "needs")
        if known is not None:
            return _NEEDS.dump(known)
        from sqlalchemy import select

        from outreach.db import db
        from outreach.needs.models import Need

        return _NEEDS.dump(db.session.scalars(
            select(Need).where(Need.visit_id == visit.id).order_by(Need.id)))

    def _measure_taken(self, visit) -> bool:
        known = _known(visit, "measure_taken")
        if known is not None:
            return known
        from sqlalchemy import select

        from outreach.db import db
        from outreach.evaluation.models import OutcomeMeasure

        return db.session.scalar(select(OutcomeMeasure.id).where(
            OutcomeMeasure.visit_id == visit.id).limit(1)) is not None


_NEEDS = NeedOut(many=True)  # schemas hold no state between dumps: one will do
_KNOWN = "_visit_out_known"


def remember_outcome(visit, needs: list, *, measure_taken: bool) -> None:
    """Note what recording `visit` raised and stored, so dumping it next (the API's answer)
    need not ask the database again. Each value serves one dump; later dumps look it up."""
    setattr(visit, _KNOWN, {"needs": sorted(needs, key=lambda need: need.id),
                            "measure_taken": measure_taken})


def _known(visit, key: str):
    known = getattr(visit, _KNOWN, None)
    return known.pop(key, None) if known else None
