"""Helpers that let one marshmallow schema validate both API bodies and HTML forms."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields
from werkzeug.datastructures import MultiDict

from outreach.web.pages import start_again


# Checkboxes send nothing when unticked; list them so they read as False.
def form_data(schema: Schema, form: MultiDict, *, booleans: tuple[str, ...] = (),
              lists: tuple[str, ...] = (), prefix: str = "") -> dict:
    """Pick the schema's fields out of a submitted form; blank optional fields become absent."""
    data: dict = {}
    for name, field in schema.fields.items():
        key = prefix + name
        if name in lists:
            data[name] = form.getlist(key)
        elif name in booleans:
            data[name] = key in form
        elif key in form:
            value = form.get(key, "")
            if value == "" and not field.required:
                continue
            if isinstance(field, fields.Integer) and value.strip().isdigit():
                value = int(value.strip())  # API ids are strict integers; forms send text
            data[name] = value
    return data


def validate_form(schema: Schema, data: dict, *, partial: bool = False) -> tuple[dict, dict]:
    """Returns (loaded data, errors by field); errors are plain sentences."""
    try:
        return schema.load(data, partial=partial), {}
    except ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        return {}, {k: " ".join(_flatten(v)) for k, v in messages.items()}


def attempt(action) -> dict:
    """Run a form's service call; a refusal (APIError) is rolled back and becomes form errors.

    What the request writes after a refusal (the audit of the page drawn again) is kept.
    """
    from outreach.errors import APIError

    try:
        action()
    except APIError as exc:
        start_again()
        return refusal_errors(exc)
    return {}


def refusal_errors(exc) -> dict:
    """A service's refusal (an APIError) as form errors: by field, or one for the whole form."""
    return {k: " ".join(_flatten(v)) for k, v in exc.fields.items()} or {"_schema": exc.message}


def _flatten(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [m for v in value.values() for m in _flatten(v)]
    return [m for v in value for m in _flatten(v)]


LABELS = {
    "programme_id": "Programme", "full_name": "Full name", "date_of_birth": "Date of birth",
    "gp_practice_id": "GP practice", "round_id": "Round", "walk_order": "Place on the round",
    "preferred_language": "Language", "access_notes": "Access notes",
    "consent_take_part": "Agreement to take part", "organisation_id": "Organisation",
    "measures": "How the client is feeling (every 3 months)",
    "contact_id": "Contact", "given_by": "Given by", "visitor_id": "Visitor",
    # A programme's settings
    "timezone": "Time zone", "check_in_time": "Check-in texts go at",
    "check_in_reply_window_minutes": "Minutes to wait for a reply",
    "quiet_hours_start": "No texts from", "quiet_hours_end": "No texts until",
    "sms_number": "Number the texts come from",
    "no_answer_window_minutes": "Minutes before a no-answer goes to the coordinator",
    "cost_per_visit": "Cost of one visit",
}


def field_label(name: str) -> str:
    """The label a person saw for a form field, for error summaries."""
    prefix = ""
    if name.startswith("contact-"):
        prefix, name = "Contact: ", name[len("contact-"):]
    return prefix + LABELS.get(name, name.replace("_", " ").capitalize())
