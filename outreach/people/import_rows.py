"""Checking one row of a client import exactly as the API checks a client, without writing it.

The checks that need no other row happen here, as each row is read; what depends on the rest of
the file or on the database (duplicates, the programme, the write itself) is left to the batch.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from marshmallow import Schema, ValidationError, fields
from sqlalchemy import func, select

from outreach.consent.schemas import ConsentIn
from outreach.db import db
from outreach.enums import ConsentPurpose, OrganisationKind
from outreach.errors import APIError
from outreach.organisations.models import Organisation
from outreach.people.schemas import ClientIn, ContactIn

CLIENT_TEXT = ("full_name", "phone", "email", "address", "parish", "access_notes", "notes")
# Schema field -> the CSV column a person would recognise in an error message.
CLIENT_COLUMN = {"gp_practice_id": "gp_practice"}
CONTACT_COLUMN = {"name": "contact_name", "relationship": "contact_relationship",
                  "phone": "contact_phone", "email": "contact_email"}
CONTACT_FIELDS = tuple(CONTACT_COLUMN.values())


class RowProblem(Exception):
    """What is wrong with one row, in words for the person who made the file."""


class ConsentFlags(Schema):
    """The yes/no consent columns, read with the same Boolean rules as the API."""

    consent_take_part = fields.Boolean(load_default=False)
    consent_share_gp = fields.Boolean(load_default=False)


@dataclass
class CheckedRow:
    """A row that passed its own checks (`problem` None), or why it did not."""

    line: int
    problem: str | None = None
    client: dict = field(default_factory=dict)
    contacts: list[dict] = field(default_factory=list)
    consents: list[dict] = field(default_factory=list)
    keys: list[tuple] = field(default_factory=list)


class RowChecker:
    """Checks rows one by one; holds what every row shares (schemas, GP practices found)."""

    def __init__(self, default_programme: int | None) -> None:
        self.default_programme = default_programme
        # Building a schema is far dearer than loading with one, so each is built once.
        self.client_schema, self.contact_schema = ClientIn(), ContactIn()
        self.flag_schema, self.consent_schema = ConsentFlags(), ConsentIn()
        self.practices: dict[str, int | None] = {}

    def check(self, line: int, values: dict[str, str]) -> CheckedRow:
        """The row ready to write, or the problems found with it (never raises for the row)."""
        try:
            return self._check(line, values)
        except RowProblem as problem:
            return CheckedRow(line, problem=str(problem))

    def _check(self, line: int, values: dict[str, str]) -> CheckedRow:
        errors: dict[str, list[str]] = {}
        gp_id = self._gp_practice(values.get("gp_practice", ""), errors)
        client = _load(self.client_schema, _client_payload(values, self.default_programme, gp_id),
                       errors, CLIENT_COLUMN)
        if not values.get("programme_id", "").strip() and self.default_programme is None:
            # Said in the file's terms rather than the schema's "Missing data for required field".
            errors["programme_id"] = ["Give a programme_id, or use --programme."]
        contacts = []
        if any(values.get(column, "").strip() for column in CONTACT_FIELDS):
            contact = _load(self.contact_schema, {key: _or_none(key, values.get(column, ""))
                                                  for key, column in CONTACT_COLUMN.items()},
                            errors, CONTACT_COLUMN)
            if contact is not None and not contact["phone"] and not contact["email"]:
                # The service makes the same check, but would name the client's phone column.
                errors.setdefault("contact_phone", []).append(
                    "Give the contact's phone number or email address.")
            contacts = [contact] if contact is not None else []
        given = {name: values[name] for name in ("consent_take_part", "consent_share_gp")
                 if values.get(name, "").strip()}
        flags = _load(self.flag_schema, given, errors, {})
        consents = []
        if flags and flags["consent_take_part"]:
            consents.append({"purpose": ConsentPurpose.TAKE_PART.value})
        if flags and flags["consent_share_gp"]:
            if gp_id is None and "gp_practice" not in errors:
                errors.setdefault("consent_share_gp", []).append(
                    "Name the gp_practice the client agrees to share with.")
            consents.append({"purpose": ConsentPurpose.SHARE_INFORMATION.value,
                             "organisation_id": gp_id})
        consents = [_load(self.consent_schema, c, errors, {}) for c in consents] \
            if not errors else []
        if errors or client is None:
            raise RowProblem(_describe(errors))
        client.pop("force", None)
        return CheckedRow(line, client=client, contacts=contacts, consents=consents,
                          keys=_duplicate_keys(client))

    def _gp_practice(self, name: str, errors: dict) -> int | None:
        name = name.strip()
        if not name:
            return None
        key = name.lower()
        if key not in self.practices:
            self.practices[key] = db.session.scalar(select(Organisation.id).where(
                func.lower(Organisation.name) == key,
                Organisation.kind == OrganisationKind.HEALTH))
        if self.practices[key] is None:
            errors.setdefault("gp_practice", []).append(
                "No GP practice (health organisation) has this name.")
        return self.practices[key]


def explain(exc: APIError) -> str:
    """A refusal from a service, in the file's column names."""
    if exc.fields:
        return _describe({CLIENT_COLUMN.get(k, k): v if isinstance(v, list) else [str(v)]
                          for k, v in exc.fields.items()})
    return exc.message


def _client_payload(values: dict[str, str], default_programme: int | None,
                    gp_id: int | None) -> dict:
    payload: dict = {key: _or_none(key, values[key]) for key in CLIENT_TEXT if key in values}
    birth = values.get("date_of_birth", "").strip()
    if birth:
        payload["date_of_birth"] = _iso_date(birth)
    language = values.get("preferred_language", "").strip()
    if language:
        payload["preferred_language"] = language.lower()
    lives_alone = values.get("lives_alone", "").strip()
    if lives_alone:
        payload["lives_alone"] = lives_alone
    programme = values.get("programme_id", "").strip()
    if programme:
        # The schema's Id is strict about type; hand over an int when the text is one, and the
        # text itself otherwise so the schema reports it in its usual words.
        payload["programme_id"] = int(programme) if programme.isascii() and programme.isdigit() \
            else programme
    elif default_programme is not None:
        payload["programme_id"] = default_programme
    if gp_id is not None:
        payload["gp_practice_id"] = gp_id
    return payload


def _or_none(key: str, value: str) -> str | None:
    # An empty cell means "none"; the shared Email field refuses "" (its blank check runs after
    # its validator), so blanks are handed over as None, which both fields accept.
    return None if key in ("phone", "email") and not value.strip() else value


def _iso_date(text: str) -> str:
    # Spreadsheets in Jersey and the UK write dates day first; ISO dates pass straight through.
    try:
        return datetime.strptime(text, "%d/%m/%Y").date().isoformat()
    except ValueError:
        return text


def _load(schema: Schema, payload: dict, errors: dict, columns: dict) -> dict | None:
    try:
        return schema.load(payload)
    except ValidationError as exc:
        for name, messages in _flatten(exc.messages):
            errors.setdefault(columns.get(name, name), []).extend(messages)
        return None


def _flatten(messages) -> Iterator[tuple[str, list[str]]]:
    if isinstance(messages, dict):
        for name, inner in messages.items():
            yield str(name), [str(m) for m in (inner if isinstance(inner, list) else [inner])]
    else:
        yield "_schema", [str(messages)]


def _describe(errors: dict[str, list[str]]) -> str:
    return "; ".join(f"{column}: {' '.join(messages)}" if column != "_schema"
                     else " ".join(messages) for column, messages in errors.items())


def _duplicate_keys(client: dict) -> list[tuple]:
    # The same rule as services.possible_duplicates, applied to rows earlier in this file.
    keys = []
    if client.get("phone"):
        keys.append((client["programme_id"], "phone", client["phone"]))
    if client.get("date_of_birth") is not None:
        keys.append((client["programme_id"], "name", client["full_name"].lower(),
                     client["date_of_birth"]))
    return keys
