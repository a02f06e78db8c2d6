"""Phone numbers: parsed with `phonenumbers`, stored in E.164, limited to the allowed regions."""

from __future__ import annotations

import phonenumbers
from flask import current_app
from marshmallow import ValidationError, fields

from outreach.schemas import CONTROL

FICTIONAL_PREFIX = "+447700900"  # Ofcom's range for drama, 07700 900000-900999


class InvalidPhone(ValueError):
    pass


def normalise(raw: str) -> str:
    """Return `raw` as E.164, or raise InvalidPhone with a message a person can act on."""
    config = current_app.config
    text = raw.strip()
    try:
        number = phonenumbers.parse(text, config["DEFAULT_PHONE_REGION"])
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone("This does not look like a phone number.") from exc
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if config["ALLOW_FICTIONAL_NUMBERS"] and e164.startswith(FICTIONAL_PREFIX) and len(e164) == 13:
        return e164
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone("This phone number is not valid.")
    allowed = {r.strip().upper() for r in config["ALLOWED_PHONE_REGIONS"].split(",") if r.strip()}
    region = phonenumbers.region_code_for_number(number)
    if allowed and region not in allowed:
        raise InvalidPhone(
            f"Numbers from {region} are not accepted here (allowed: {', '.join(sorted(allowed))})."
        )
    return e164


def display(e164: str | None) -> str:
    """A number formatted for people to read."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


class Phone(fields.String):
    """A phone number, accepted in any common form and returned in E.164."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if len(text) > 40 or CONTROL.search(text):
            raise ValidationError("This does not look like a phone number.")
        if not text.strip():
            return None
        try:
            return normalise(text)
        except InvalidPhone as exc:
            raise ValidationError(str(exc)) from exc
