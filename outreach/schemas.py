"""Fields and base schemas shared by every feature's marshmallow schemas."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, available_timezones

from marshmallow import Schema, ValidationError, fields, validate

# Control characters other than tab and newlines are refused: PostgreSQL cannot store NUL, and
# the rest only ever arrive by accident or malice.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MAX_ID = 2**31 - 1


class Text(fields.String):
    """A string, trimmed, without control characters, with a maximum length."""

    def __init__(self, *, max_length: int = 200, required_text: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.max_length = max_length
        self.required_text = required_text

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if CONTROL.search(text):
            raise ValidationError("Contains characters that are not allowed.")
        if len(text) > self.max_length:
            raise ValidationError(f"Must be at most {self.max_length} characters.")
        if self.required_text and not text:
            raise ValidationError("Cannot be blank.")
        return text


class Id(fields.Integer):
    """A database id: a positive integer that fits the column."""

    def __init__(self, **kwargs):
        kwargs.setdefault("validate", validate.Range(min=1, max=MAX_ID))
        super().__init__(strict=True, **kwargs)


class Email(fields.String):
    """An email address, lower-cased; blank means none (refused when `blank=False`)."""

    _check = validate.Email(error="Not a valid email address.")

    def __init__(self, *, blank: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.blank = blank

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if not text:
            if not self.blank:
                raise ValidationError("Give an email address.")
            return None
        if len(text) > 320 or CONTROL.search(text):
            raise ValidationError("Not a valid email address.")
        return self._check(text).lower()


class AwareDateTime(fields.AwareDateTime):
    """An ISO 8601 time; without an offset it is taken as UTC. Always handed on in UTC."""

    def __init__(self, **kwargs):
        super().__init__(default_timezone=UTC, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return super()._deserialize(value, attr, data, **kwargs).astimezone(UTC)
        except OverflowError as exc:  # e.g. 0001-01-01T00:00+01:00 has no UTC equivalent
            raise ValidationError("Not a valid date and time.") from exc


def not_in_future(value: date) -> None:
    if value > date.today():
        raise ValidationError("Cannot be in the future.")


def birth_date(value: date) -> None:
    not_in_future(value)
    if value < date(1900, 1, 1):
        raise ValidationError("Must be after 1900.")


_ZONES: set[str] | None = None


def timezone_name(value: str) -> None:
    global _ZONES
    if _ZONES is None:
        _ZONES = available_timezones()
    if value not in _ZONES:
        raise ValidationError("Unknown time zone; use a name such as Europe/Jersey.")
    ZoneInfo(value)


def choice(enum) -> validate.OneOf:
    return validate.OneOf([m.value for m in enum])


# Every date and time taken in lies in these years: at the ends of the calendar (year 1, 9999)
# moving a time to another zone, or a day to its bounds in one, overflows.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)


def in_calendar(value: date) -> None:
    """Refuse a date or time outside FIRST_DAY..LAST_DAY."""
    if value is None:  # a blank some fields read as "none given"
        return
    day = value.date() if isinstance(value, datetime) else value
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValidationError(f"Must be between {FIRST_DAY.year} and {LAST_DAY.year}.")


class Input(Schema):
    """Base for input schemas: unknown fields are refused (marshmallow's default, made explicit);
    every date and time is bounded (`in_calendar`)."""

    class Meta:
        unknown = "raise"

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        """Give every date and time field the calendar's bounds, however it was declared."""
        if isinstance(field_obj, fields.Date | fields.DateTime) \
                and in_calendar not in field_obj.validators:
            field_obj.validators.append(in_calendar)


class Output(Schema):
    """Base for output schemas."""
