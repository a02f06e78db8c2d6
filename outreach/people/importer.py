"""Importing clients from a CSV file, each row checked exactly as the API checks it.

The file is read as a stream, one row at a time, inside the caller's single transaction: the
caller commits only when the result says so, which is what makes "nothing on error" hold. Each
row gets its own savepoint so a bad row leaves no trace while the rest are still checked.
"""

from __future__ import annotations

import codecs
import csv
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from marshmallow import Schema, ValidationError, fields
from sqlalchemy import func, select
from sqlalchemy.exc import DataError, IntegrityError

from outreach.audit.services import record
from outreach.auth.models import User
from outreach.auth.services import find_by_email
from outreach.consent.schemas import ConsentIn
from outreach.consent.services import record_consent
from outreach.db import db
from outreach.enums import ConsentPurpose, OrganisationKind, Role
from outreach.errors import APIError, Conflict
from outreach.organisations.models import Organisation
from outreach.people import services
from outreach.people.schemas import ClientIn, ContactIn

log = logging.getLogger(__name__)

COLUMNS = (
    "full_name", "date_of_birth", "phone", "email", "address", "parish", "preferred_language",
    "lives_alone", "access_notes", "notes", "gp_practice", "programme_id",
    "contact_name", "contact_relationship", "contact_phone", "contact_email",
    "consent_take_part", "consent_share_gp",
)
CLIENT_TEXT = ("full_name", "phone", "email", "address", "parish", "access_notes", "notes")
# Schema field -> the CSV column a person would recognise in an error message.
CLIENT_COLUMN = {"gp_practice_id": "gp_practice"}
CONTACT_COLUMN = {"name": "contact_name", "relationship": "contact_relationship",
                  "phone": "contact_phone", "email": "contact_email"}
CONTACT_FIELDS = tuple(CONTACT_COLUMN.values())

# A single line beyond this is not a client record; refusing it keeps memory bounded.
MAX_LINE_BYTES = 1024 * 1024
# Drop finished rows from the session now and then so a large file does not fill memory.
EXPUNGE_EVERY = 500


class ImportRefused(Exception):
    """The file as a whole cannot be imported; nothing from it was kept."""


@dataclass
class BadRow:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass
class ImportResult:
    skip_bad: bool
    rows: int = 0
    created: int = 0
    bad: list[BadRow] = field(default_factory=list)

    @property
    def keep(self) -> bool:
        """Should the caller commit? Only with no bad rows, or when told to skip them."""
        return not self.bad or self.skip_bad

    @property
    def imported(self) -> int:
        """Clients that stay once the caller has committed or rolled back as `keep` says."""
        return self.created if self.keep else 0


class ConsentFlags(Schema):
    """The yes/no consent columns, read with the same Boolean rules as the API."""

    consent_take_part = fields.Boolean(load_default=False)
    consent_share_gp = fields.Boolean(load_default=False)


class _RowProblem(Exception):
    pass


def resolve_actor(email: str | None) -> User:
    """The user the import acts as: the one named, else the first active administrator."""
    if email:
        user = find_by_email(email)
        if user is None or not user.active:
            raise ImportRefused(f"No active user with email {email}.")
        if user.role not in (Role.ADMIN, Role.COORDINATOR):
            raise ImportRefused("Only an administrator or a coordinator can import clients.")
        return user
    user = db.session.scalar(select(User).where(User.role == Role.ADMIN, User.active.is_(True))
                             .order_by(User.id).limit(1))
    if user is None:
        raise ImportRefused("There is no active administrator to record the import against. "
                            "Create one with `outreach create-admin`, or pass --as-email.")
    return user


def count_lines(path: Path) -> int:
    """Lines in the file, counted quickly in binary, for the progress bar."""
    lines, last = 0, b""
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    return lines + (1 if last and last != b"\n" else 0)


def import_clients(actor: User, path: Path, *, programme_id: int | None = None,
                   skip_bad: bool = False,
                   progress: Callable[[int], None] | None = None) -> ImportResult:
    """Check and write every row in the current transaction; the caller commits if `keep`."""
    if programme_id is not None:
        try:
            services.managed_programme(actor, programme_id)
        except APIError as exc:
            raise ImportRefused(
                f"You cannot import into programme {programme_id}: no such programme, "
                "or not one of yours.") from exc
    result = ImportResult(skip_bad=skip_bad)
    with path.open("rb") as handle:
        reader = csv.reader(_decoded_lines(handle))
        try:
            header = _read_header(next(reader, None), programme_id)
            _import_rows(actor, reader, header, programme_id, result, progress)
        except csv.Error as exc:
            raise ImportRefused(
                f"Line {reader.line_num}: the file cannot be read as CSV ({exc}).") from exc
    return result


def audit(actor: User, result: ImportResult, programme_id: int | None) -> None:
    """Record the import (or its refusal) with counts only: the rows themselves are personal."""
    record(actor, "client.import", via="cli", detail={
        "rows": result.rows, "imported": result.imported, "bad": len(result.bad),
        "skip_bad": result.skip_bad, "programme_id": programme_id,
    })


def _decoded_lines(handle: BinaryIO) -> Iterator[str]:
    # Decoding line by line (rather than through a text wrapper that reads ahead in blocks) lets
    # a non-UTF-8 byte be reported with the line it is on.
    number = 0
    while raw := handle.readline(MAX_LINE_BYTES + 1):
        number += 1
        if len(raw) > MAX_LINE_BYTES:
            raise ImportRefused(f"Line {number} is longer than {MAX_LINE_BYTES} bytes; "
                                "this is not a file of client records.")
        if number == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8):]
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ImportRefused(
                f"The file is not UTF-8 text (first problem on line {number}). Save it as "
                "\"CSV UTF-8\" from your spreadsheet and try again.") from exc


def _read_header(row: list[str] | None, programme_id: int | None) -> list[str]:
    if not row:
        raise ImportRefused("The file is empty: the first line must name the columns.")
    header = [name.strip().lower() for name in row]
    if "" in header:
        raise ImportRefused(f"Column {header.index('') + 1} has no name in the header line.")
    unknown = [name for name in header if name not in COLUMNS]
    if unknown:
        # Spreadsheets set to a continental locale save with semicolons; say so plainly.
        hint = (" The file seems to be separated by semicolons; save it with commas."
                if any(";" in name for name in unknown) else "")
        raise ImportRefused(f"Unknown column(s): {', '.join(unknown)}. "
                            f"The known columns are: {', '.join(COLUMNS)}.{hint}")
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise ImportRefused(f"Column(s) named more than once: {', '.join(repeated)}.")
    if "full_name" not in header:
        raise ImportRefused("The file needs a full_name column.")
    if "programme_id" not in header and programme_id is None:
        raise ImportRefused("Say which programme to import into: a programme_id column, "
                            "or --programme.")
    return header


def _import_rows(actor, reader, header, programme_id, result, progress) -> None:
    seen: dict[tuple, int] = {}  # duplicate keys of rows already imported -> their line
    practices: dict[str, int | None] = {}
    actor_id, done_lines = actor.id, reader.line_num
    if progress:
        progress(done_lines)
    for row in reader:
        line = done_lines + 1  # a quoted field may span lines: report where the row starts
        if progress:
            progress(reader.line_num - done_lines)
        done_lines = reader.line_num
        if not any(value.strip() for value in row):
            continue  # blank lines are common at the end of spreadsheet exports
        result.rows += 1
        try:
            if len(row) != len(header):
                raise _RowProblem(f"has {len(row)} values but the header names "
                                  f"{len(header)} columns.")
            with db.session.begin_nested():
                keys = _import_row(actor, dict(zip(header, row, strict=True)), programme_id,
                                   seen, practices)
        except _RowProblem as problem:
            result.bad.append(BadRow(line, str(problem)))
            continue
        except (IntegrityError, DataError) as exc:
            # The exception's text quotes the row's values: log only what kind of refusal it was.
            log.warning("Import row at line %d refused by the database (%s)", line,
                        type(exc).__name__)
            result.bad.append(BadRow(line, "the database refused this row."))
            continue
        result.created += 1
        for key in keys:
            seen.setdefault(key, line)
        if result.created % EXPUNGE_EVERY == 0:
            db.session.flush()
            db.session.expunge_all()
            actor = db.session.get(User, actor_id)


def _import_row(actor, values: dict[str, str], default_programme: int | None,
                seen: dict[tuple, int], practices: dict[str, int | None]) -> list[tuple]:
    errors: dict[str, list[str]] = {}
    gp_id = _gp_practice(values.get("gp_practice", ""), practices, errors)
    client = _load(ClientIn(), _client_payload(values, default_programme, gp_id), errors,
                   CLIENT_COLUMN)
    if not values.get("programme_id", "").strip() and default_programme is None:
        # Said in the file's terms rather than the schema's "Missing data for required field".
        errors["programme_id"] = ["Give a programme_id, or use --programme."]
    contacts = []
    if any(values.get(column, "").strip() for column in CONTACT_FIELDS):
        contact = _load(ContactIn(), {key: _or_none(key, values.get(column, ""))
                                      for key, column in CONTACT_COLUMN.items()},
                        errors, CONTACT_COLUMN)
        if contact is not None and not contact["phone"] and not contact["email"]:
            # The service makes the same check, but would name the client's phone column.
            errors.setdefault("contact_phone", []).append(
                "Give the contact's phone number or email address.")
        contacts = [contact] if contact is not None else []
    given = {name: values[name] for name in ("consent_take_part", "consent_share_gp")
             if values.get(name, "").strip()}
    flags = _load(ConsentFlags(), given, errors, {})
    consents = []
    if flags and flags["consent_take_part"]:
        consents.append({"purpose": ConsentPurpose.TAKE_PART.value})
    if flags and flags["consent_share_gp"]:
        if gp_id is None and "gp_practice" not in errors:
            errors.setdefault("consent_share_gp", []).append(
                "Name the gp_practice the client agrees to share with.")
        consents.append({"purpose": ConsentPurpose.SHARE_INFORMATION.value,
                         "organisation_id": gp_id})
    consents = [_load(ConsentIn(), c, errors, {}) for c in consents] if not errors else []
    if errors or client is None:
        raise _RowProblem(_describe(errors))
    client.pop("force", None)
    keys = _duplicate_keys(client)
    for key in keys:
        if key in seen:
            why = "same phone" if key[1] == "phone" else "same name and date of birth"
            raise _RowProblem(f"duplicate of line {seen[key]} in this file ({why}).")
    try:
        made = services.create_client(actor, client, contacts=contacts, force=False)
        for consent in consents:
            record_consent(actor, made, consent)
    except APIError as exc:
        raise _RowProblem(_explain(exc)) from exc
    return keys


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


def _gp_practice(name: str, cache: dict[str, int | None], errors: dict) -> int | None:
    name = name.strip()
    if not name:
        return None
    key = name.lower()
    if key not in cache:
        cache[key] = db.session.scalar(select(Organisation.id).where(
            func.lower(Organisation.name) == key, Organisation.kind == OrganisationKind.HEALTH))
    if cache[key] is None:
        errors.setdefault("gp_practice", []).append(
            "No GP practice (health organisation) has this name.")
    return cache[key]


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


def _explain(exc: APIError) -> str:
    if isinstance(exc, Conflict) and exc.extra.get("matches"):
        found = ", ".join(f"client {m['id']} ({m['reason']})" for m in exc.extra["matches"])
        return f"possible duplicate of an existing client: {found}."
    if exc.fields:
        return _describe({CLIENT_COLUMN.get(k, k): v if isinstance(v, list) else [str(v)]
                          for k, v in exc.fields.items()})
    return exc.message


def _duplicate_keys(client: dict) -> list[tuple]:
    # The same rule as services.possible_duplicates, applied to rows earlier in this file.
    keys = []
    if client.get("phone"):
        keys.append((client["programme_id"], "phone", client["phone"]))
    if client.get("date_of_birth") is not None:
        keys.append((client["programme_id"], "name", client["full_name"].lower(),
                     client["date_of_birth"]))
    return keys
