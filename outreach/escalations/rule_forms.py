"""The routing-rule form as a coordinator fills it in, turned into what `rules` services take.

The page offers recipients as one list of choices (the coordinator, the client's GP practice,
the client's contacts, or a named organisation) and times as an amount and a unit; this schema
checks them in plain words and hands on the same shape as the API's `RoutingRuleIn`.
"""

from __future__ import annotations

from marshmallow import ValidationError, fields, post_load, validate, validates_schema

from outreach.enums import NeedCategory, NeedSeverity, RecipientKind
from outreach.escalations.sla import DAY, HOUR
from outreach.schemas import Input, Text, choice

UNITS = {"minutes": 1, "hours": HOUR, "days": DAY}
ROLE_CHOICES = (RecipientKind.COORDINATOR.value, RecipientKind.GP_PRACTICE.value,
                RecipientKind.CONTACTS.value)
ORGANISATION_PREFIX = "org:"
MAX_MINUTES = 366 * DAY  # as the API allows


def recipient_value(kind: RecipientKind, organisation_id: int | None) -> str:
    """How a recipient is written in the form: its kind, or org:<id> for a named organisation."""
    if kind == RecipientKind.ORGANISATION:
        return f"{ORGANISATION_PREFIX}{organisation_id}"
    return kind.value


def split_minutes(minutes: int | None) -> tuple[str, str]:
    """Minutes as the form shows them: the largest whole unit ("", "hours" when blank)."""
    if minutes is None:
        return "", "hours"
    for unit in ("days", "hours"):
        if minutes % UNITS[unit] == 0:
            return str(minutes // UNITS[unit]), unit
    return str(minutes), "minutes"


class RuleFormIn(Input):
    """A routing rule from the web form; `organisations` are the ids the form offered."""

    category = fields.String(load_default=None, validate=choice(NeedCategory))
    severity = fields.String(load_default=None, validate=choice(NeedSeverity))
    told_first = fields.List(fields.String(), load_default=list, validate=validate.Length(
        max=20, error="Choose at most 20."))
    fallback = fields.List(fields.String(), load_default=list, validate=validate.Length(
        max=20, error="Choose at most 20."))
    acknowledge_within = fields.Integer(strict=True, load_default=None,
                                        validate=validate.Range(min=1, max=99_999,
                                                                error="Give a whole number "
                                                                      "from 1 to 99999."))
    acknowledge_unit = fields.String(load_default="hours", validate=validate.OneOf(UNITS))
    resolve_within = fields.Integer(strict=True, load_default=None,
                                    validate=validate.Range(min=1, max=99_999,
                                                            error="Give a whole number from 1 "
                                                                  "to 99999."))
    resolve_unit = fields.String(load_default="days", validate=validate.OneOf(UNITS))
    note = Text(load_default="", max_length=500)

    def __init__(self, *, organisations: set[int], **kwargs):
        super().__init__(**kwargs)
        self.organisations = organisations

    def _recipients(self, values: list[str], name: str) -> list[dict]:
        chosen = []
        for value in values:
            if value in ROLE_CHOICES:
                chosen.append({"kind": value, "organisation_id": None})
                continue
            digits = value[len(ORGANISATION_PREFIX):] if value.startswith(
                ORGANISATION_PREFIX) else ""
            if not (digits.isascii() and digits.isdigit() and len(digits) < 10
                    and int(digits) in self.organisations):
                raise ValidationError("Choose from the list.", field_name=name)
            chosen.append({"kind": RecipientKind.ORGANISATION.value,
                           "organisation_id": int(digits)})
        return chosen

    @validates_schema
    def _check(self, data, **kwargs):
        errors: dict[str, list[str]] = {}
        try:
            first = self._recipients(data.get("told_first", []), "told_first")
            if not first:
                errors["told_first"] = ["Choose at least one recipient to be told first."]
        except ValidationError as exc:
            errors.update(exc.normalized_messages())
            first = []
        try:
            fallback = self._recipients(data.get("fallback", []), "fallback")
        except ValidationError as exc:
            errors.update(exc.normalized_messages())
            fallback = []
        if {_key(r) for r in first} & {_key(r) for r in fallback}:
            errors["fallback"] = ["A recipient told first cannot also be the fallback."]
        acknowledge = _minutes(data, "acknowledge")
        resolve = _minutes(data, "resolve")
        for name, minutes in (("acknowledge_within", acknowledge), ("resolve_within", resolve)):
            if minutes is not None and minutes > MAX_MINUTES:
                errors[name] = ["At most a year."]
        if acknowledge and resolve and resolve < acknowledge and "resolve_within" not in errors:
            errors["resolve_within"] = ["Cannot be shorter than the time to acknowledge."]
        if errors:
            raise ValidationError(errors)

    @post_load
    def _to_rule(self, data, **kwargs) -> dict:
        return {"category": data["category"], "severity": data["severity"],
                "recipients": self._recipients(data["told_first"], "told_first"),
                "fallback": self._recipients(data["fallback"], "fallback"),
                "acknowledge_minutes": _minutes(data, "acknowledge"),
                "resolve_minutes": _minutes(data, "resolve"), "note": data["note"]}


def _key(recipient: dict) -> tuple:
    return recipient["kind"], recipient["organisation_id"]


def _minutes(data: dict, name: str) -> int | None:
    amount = data.get(f"{name}_within")
    if amount is None:
        return None
    return amount * UNITS.get(data.get(f"{name}_unit"), HOUR)
