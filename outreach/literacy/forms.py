"""What the digital-literacy pages' forms send, validated with marshmallow like the API.

Errors are plain sentences a tutor or a learner can act on; the sign-up form's are replaced by
its own words in the reader's language (see `outreach/literacy/signup_words.py`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from marshmallow import ValidationError, fields, validate, validates, validates_schema

from outreach.enums import AttendanceStatus, Language
from outreach.people.phones import Phone
from outreach.schemas import Id, Input, Text

ONE_TO_FIVE = "Choose a number from 1 to 5."
MAX_CAPACITY = 500


class WorkshopForm(Input):
    """A workshop's details; the programme is chosen only when it is created."""

    programme_id = Id(required=True, error_messages={"required": "Choose a programme."})
    title = Text(required=True, required_text=True, max_length=200,
                 error_messages={"required": "Give the workshop a title."})
    description = Text(load_default="", max_length=2000)
    tutor_id = Id(load_default=None, allow_none=True)
    partner_id = Id(load_default=None, allow_none=True)
    skill_ids = fields.List(Id(), load_default=list)


class SessionForm(Input):
    """A session as people say it: a day, a start and an end time on the programme's clocks."""

    day = fields.Date(required=True, error_messages={
        "required": "Give the day of the session.", "invalid": "Give a real date."})
    starts = fields.Time(required=True, error_messages={
        "required": "Give the start time.", "invalid": "Give a time such as 10:30."})
    ends = fields.Time(required=True, error_messages={
        "required": "Give the end time.", "invalid": "Give a time such as 12:00."})
    online = fields.Boolean(load_default=False)
    venue = Text(load_default="", max_length=300)
    accessibility_notes = Text(load_default="", max_length=1000)
    capacity = fields.Integer(strict=True, required=True, validate=validate.Range(
        min=1, max=MAX_CAPACITY, error=f"A number of places from 1 to {MAX_CAPACITY}."),
        error_messages={"required": "Say how many people can come.",
                        "invalid": "Give a number of places."})

    @validates("day")
    def _sensible_day(self, value: date, **_kw) -> None:
        if not 2000 <= value.year <= 2100:
            raise ValidationError("Give a date between 2000 and 2100.")

    @validates_schema
    def _ends_after_start(self, data: dict, **_kw) -> None:
        if "starts" in data and "ends" in data and data["ends"] <= data["starts"]:
            raise ValidationError("The session must end after it starts.", "ends")
        if not data.get("venue"):
            raise ValidationError("Say where the session is held, or give the joining link.",
                                  "venue")


def session_times(data: dict, timezone: str) -> dict:
    """The form's day and times as the UTC start and end the services store."""
    zone = ZoneInfo(timezone)
    out = {k: data[k] for k in ("online", "venue", "accessibility_notes", "capacity")
           if k in data}
    out["starts_at"] = _utc(data["day"], data["starts"], zone)
    out["ends_at"] = _utc(data["day"], data["ends"], zone)
    return out


def _utc(day: date, at: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


class AttendanceForm(Input):
    """One tap on the register."""

    enrolment_id = Id(required=True)
    status = fields.String(required=True, validate=validate.OneOf(
        [s.value for s in AttendanceStatus], error="Choose present, late or did not come."))


class SkillForm(Input):
    """A skill the tutor saw the learner do (or takes back)."""

    skill_id = Id(required=True)
    shown = fields.String(required=True, validate=validate.OneOf(["yes", "no"]))


def _score(**kw):
    return fields.Integer(strict=True, load_default=None, allow_none=True,
                          validate=validate.Range(min=1, max=5, error=ONE_TO_FIVE),
                          error_messages={"invalid": ONE_TO_FIVE}, **kw)


class ConfidenceForm(Input):
    """How sure the learner feels online, 1 to 5, at the start and at the end."""

    before = _score()
    after = _score()


class EnrolForm(Input):
    """A learner the coordinator chose for a workshop."""

    client_id = Id(required=True, error_messages={"required": "Choose a learner."})


class InviteForm(Input):
    """Which workshop to invite a client to, from their digital_help need."""

    workshop_id = Id(required=True, error_messages={"required": "Choose a workshop."})


class WithdrawForm(Input):
    """Why a learner leaves a workshop (optional)."""

    reason = Text(load_default="", max_length=500)


class SignupForm(Input):
    """The public sign-up form: who they are, how to reach them, which workshop, and consent."""

    full_name = Text(required=True, required_text=True, max_length=200)
    phone = Phone(required=True)
    preferred_language = fields.String(required=True, validate=validate.OneOf(
        [lang.value for lang in Language]))
    workshop_id = Id(required=True)
    consent = fields.Boolean(required=True)

    @validates("phone")
    def _has_phone(self, value, **_kw) -> None:
        if not value:
            raise ValidationError("Give a phone number.")

    @validates("consent")
    def _agreed(self, value: bool, **_kw) -> None:
        if not value:
            raise ValidationError("Tick the box to agree to take part.")
