"""Input and output shapes for workshops, sessions, enrolments, the register and skills."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from marshmallow import ValidationError, fields, validate, validates_schema

from outreach.care.schemas import OffsetDateTime
from outreach.enums import AttendanceStatus, WorkshopEnrolmentStatus
from outreach.literacy import services
from outreach.schemas import MAX_ID, AwareDateTime, Id, Input, Output, Text, choice

LONGEST_SESSION = timedelta(hours=12)
MOST_PLACES = 500


class ProgrammeTime(fields.Field):
    """Dumps a UTC time in the time zone of the record's programme, with its offset."""

    def __init__(self, programme_of, **kwargs):
        super().__init__(**kwargs)
        self.programme_of = programme_of

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return value.astimezone(ZoneInfo(self.programme_of(obj).timezone)).isoformat()


def _of_workshop(obj):
    return obj.programme


def _of_workshops(obj):
    """The programme of a session's or an enrolment's workshop."""
    return obj.workshop.programme


class StrictBoolean(fields.Boolean):
    """true or false, nothing else: 1, "yes" or "on" are refused, as a typo is likelier."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise ValidationError("Must be true or false.")
        return value


# --- Queries ---------------------------------------------------------------------------------

def QueryId(**kwargs):  # noqa: N802 - used like a field class
    """An id in a query string: text there, so not the strict Id of JSON bodies."""
    return fields.Integer(validate=validate.Range(min=1, max=MAX_ID), **kwargs)


class Paged(Input):
    cursor = fields.String(load_default=None)
    limit = fields.String(load_default=None)


class WorkshopQuery(Paged):
    programme_id = QueryId(load_default=None)


class WorkshopSessionQuery(Paged):
    workshop_id = QueryId(load_default=None)
    # Sessions starting at or after `from` and before `to`.
    starts_from = AwareDateTime(load_default=None, data_key="from")
    starts_to = AwareDateTime(load_default=None, data_key="to")


class WorkshopEnrolmentQuery(Paged):
    workshop_id = QueryId(load_default=None)
    client_id = QueryId(load_default=None)
    status = fields.String(load_default=None, validate=choice(WorkshopEnrolmentStatus))


class AttendanceQuery(Paged):
    session_id = QueryId(load_default=None)


class SkillQuery(Paged):
    programme_id = QueryId(load_default=None)


# --- Workshops -------------------------------------------------------------------------------

class WorkshopChange(Input):
    title = Text(required=True, required_text=True, max_length=200)
    description = Text(load_default="", max_length=2000)
    tutor_id = Id(load_default=None, allow_none=True)
    # An organisation helping to run it (a housing association, a bank).
    partner_id = Id(load_default=None, allow_none=True)
    skill_ids = fields.List(Id(), validate=validate.Length(max=50))


class WorkshopIn(WorkshopChange):
    programme_id = Id(required=True)


class SkillSummary(Output):
    id = fields.Integer()
    name = fields.String()


class SkillOut(Output):
    id = fields.Integer()
    programme_id = fields.Integer()
    name = fields.String()
    position = fields.Integer()
    active = fields.Boolean()


class WorkshopOut(Output):
    id = fields.Integer()
    programme_id = fields.Integer()
    title = fields.String()
    description = fields.String()
    tutor_id = fields.Integer(allow_none=True)
    tutor_name = fields.Function(lambda w: w.tutor.full_name if w.tutor else None)
    partner_id = fields.Integer(allow_none=True)
    partner_name = fields.Function(lambda w: w.partner.name if w.partner else None)
    skills = fields.List(fields.Nested(SkillSummary))
    sessions_count = fields.Function(
        lambda w: sum(1 for s in w.sessions if s.cancelled_at is None))
    places_left = fields.Function(lambda w: services.places_left(w))
    created_at = ProgrammeTime(_of_workshop)


# --- Sessions --------------------------------------------------------------------------------

class WorkshopSessionChange(Input):
    starts_at = OffsetDateTime(required=True)
    ends_at = OffsetDateTime(required=True)
    online = fields.Boolean(load_default=False)
    venue = Text(load_default="", max_length=300)  # or the joining link, when online
    accessibility_notes = Text(load_default="", max_length=1000)
    capacity = fields.Integer(required=True, strict=True,
                              validate=validate.Range(min=1, max=MOST_PLACES))

    @validates_schema
    def sensible_times(self, data, **kwargs):
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if starts is not None and ends is not None:
            if ends <= starts:
                raise ValidationError("Must be after the start.", "ends_at")
            if ends - starts > LONGEST_SESSION:
                raise ValidationError("A session lasts at most 12 hours.", "ends_at")
        for name in ("starts_at", "ends_at"):
            if data.get(name) is not None and not 2000 <= data[name].year <= 2100:
                raise ValidationError("Give a date between 2000 and 2100.", name)


class WorkshopSessionOut(Output):
    id = fields.Integer()
    workshop_id = fields.Integer()
    starts_at = ProgrammeTime(_of_workshops)
    ends_at = ProgrammeTime(_of_workshops)
    online = fields.Boolean()
    venue = fields.String()
    accessibility_notes = fields.String()
    capacity = fields.Integer()
    short_code = fields.String()
    cancelled = fields.Function(lambda s: s.cancelled_at is not None)
    cancelled_at = ProgrammeTime(_of_workshops)
    places_left = fields.Function(lambda s: session_places_left(s))


def session_places_left(session) -> int:
    """Places left in this room: none once it is cancelled or over."""
    from outreach.db import utcnow

    if session.cancelled_at is not None or session.ends_at <= utcnow():
        return 0
    return max(session.capacity - services.places_taken(session.workshop), 0)


# --- Enrolments ------------------------------------------------------------------------------

class WorkshopEnrolmentIn(Input):
    workshop_id = Id(required=True)
    client_id = Id()
    # A digital_help need to turn into an invitation: the learner is the need's client.
    need_id = Id()

    @validates_schema
    def one_learner(self, data, **kwargs):
        if ("client_id" in data) == ("need_id" in data):
            raise ValidationError("Give either client_id or need_id.", "client_id")


class WorkshopWithdrawIn(Input):
    reason = Text(load_default="", max_length=500)


class ConfidenceIn(Input):
    before = fields.Integer(strict=True, allow_none=True,
                            validate=validate.Range(min=1, max=5, error="From 1 to 5."))
    after = fields.Integer(strict=True, allow_none=True,
                           validate=validate.Range(min=1, max=5, error="From 1 to 5."))

    @validates_schema
    def something(self, data, **kwargs):
        if data.get("before") is None and data.get("after") is None:
            raise ValidationError("Give before, after or both.", "before")


class SkillMarkIn(Input):
    shown = StrictBoolean(required=True)
    # The session it was shown at, if the tutor says so.
    session_id = Id(load_default=None, allow_none=True)


class LearnerSummary(Output):
    id = fields.Integer()
    full_name = fields.String()
    phone = fields.String(allow_none=True)
    preferred_language = fields.String()


class WorkshopEnrolmentOut(Output):
    id = fields.Integer()
    workshop_id = fields.Integer()
    workshop_title = fields.Function(lambda e: e.workshop.title)
    client = fields.Nested(LearnerSummary)
    status = fields.String()
    source = fields.String()
    need_id = fields.Integer(allow_none=True)
    enrolled_at = ProgrammeTime(_of_workshops)
    waiting_since = ProgrammeTime(_of_workshops)
    offered_at = ProgrammeTime(_of_workshops)
    offer_expires_at = ProgrammeTime(_of_workshops)
    withdrawn_at = ProgrammeTime(_of_workshops)
    withdrawal_reason = fields.String()
    confidence_before = fields.Integer(allow_none=True)
    confidence_after = fields.Integer(allow_none=True)
    follow_up_sent_at = ProgrammeTime(_of_workshops)
    follow_up_answer = fields.Integer(allow_none=True)
    follow_up_answered_at = ProgrammeTime(_of_workshops)
    skills_shown = fields.Function(lambda e: skill_ids_shown(e))
    created_at = ProgrammeTime(_of_workshops)


def skill_ids_shown(enrolment) -> list[int]:
    from sqlalchemy import select

    from outreach.db import db
    from outreach.literacy.models import SkillShown

    return list(db.session.scalars(select(SkillShown.skill_id).where(
        SkillShown.enrolment_id == enrolment.id).order_by(SkillShown.skill_id)))


# --- The register and skills -----------------------------------------------------------------

class AttendanceIn(Input):
    session_id = Id(required=True)
    enrolment_id = Id(required=True)
    status = fields.String(required=True, validate=choice(AttendanceStatus))


class AttendanceOut(Output):
    id = fields.Integer()
    session_id = fields.Integer()
    enrolment_id = fields.Integer()
    client_id = fields.Function(lambda a: a.enrolment.client_id)
    full_name = fields.Function(lambda a: a.enrolment.client.full_name)
    status = fields.String()
    via = fields.String()
    recorded_by_id = fields.Integer(allow_none=True)
    updated_at = ProgrammeTime(lambda a: a.session.workshop.programme)


class SkillIn(Input):
    programme_id = Id(required=True)
    name = Text(required=True, required_text=True, max_length=200)
