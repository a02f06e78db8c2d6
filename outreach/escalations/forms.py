"""The escalation page's forms, validated by marshmallow like every other input.

They mirror the API's bodies (see schemas.py) with what a web form sends instead: text for
numbers, one "send to" choice for reassigning, and error messages a person can act on.
"""

from __future__ import annotations

import re

from marshmallow import ValidationError, fields, post_load, validate

from outreach.enums import EscalationOutcome
from outreach.schemas import MAX_ID, Input, Text

NOTE_LENGTH = 4000
# "org:12" or "contact:34": the reassign form offers organisations and contacts in one list.
RECIPIENT = re.compile(r"^(org|contact):([0-9]{1,10})$")
BACK_TO = ("queue", "page")


class AcknowledgeForm(Input):
    note = Text(load_default="", max_length=NOTE_LENGTH)
    # Where to go afterwards: the queue row's button comes back to the queue.
    back = fields.String(load_default="page", validate=validate.OneOf(BACK_TO))


class NoteForm(Input):
    note = Text(required=True, required_text=True, max_length=NOTE_LENGTH,
                error_messages={"required": "Write the note."})


class ResolveForm(Input):
    # Blank is left to the service, which then says at once everything still missing (the
    # outcome, and the usefulness rating it requires from providers).
    outcome = fields.String(load_default=None, validate=validate.OneOf(
        [o.value for o in EscalationOutcome], error="Choose what happened from the list."))
    usefulness = fields.Integer(strict=True, load_default=None,
                                validate=validate.Range(min=1, max=5, error="Choose 1 to 5."),
                                error_messages={"invalid": "Choose 1 to 5."})
    note = Text(load_default="", max_length=NOTE_LENGTH)


class HandBackForm(Input):
    note = Text(required=True, required_text=True, max_length=NOTE_LENGTH,
                error_messages={"required": "Say why you are handing it back."})


class ReopenForm(Input):
    note = Text(required=True, required_text=True, max_length=NOTE_LENGTH,
                error_messages={"required": "Say why it is reopened."})


class ReassignForm(Input):
    recipient = fields.String(required=True,
                              error_messages={"required": "Choose who should have it."})
    note = Text(load_default="", max_length=NOTE_LENGTH)

    @post_load
    def _split(self, data, **kwargs) -> dict:
        match = RECIPIENT.match(data.pop("recipient"))
        if match is None or not 0 < int(match.group(2)) <= MAX_ID:
            raise ValidationError("Choose who should have it from the list.",
                                  field_name="recipient")
        kind, number = match.group(1), int(match.group(2))
        data["organisation_id"] = number if kind == "org" else None
        data["contact_id"] = number if kind == "contact" else None
        return data
