"""Subject access and erasure: everything held about one client, gathered or removed.

Each feature that stores something about a client registers it here, so neither the export nor
the erasure can silently miss a table: `register_section` adds a part to the export and
`register_eraser` deletes that feature's rows. The audit trail is never deleted: erasure keeps
every event (they hold ids) and scrubs anything in them that could identify the person.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import delete, func, inspect, select

from outreach.audit.models import AuditEvent
from outreach.consent.models import Consent
from outreach.db import db, utcnow
from outreach.people.models import Client, Contact, ProgrammeEnrolment

Section = Callable[[Client], Any]
FORMAT_VERSION = 1
ERASED = "[erased]"

_sections: dict[str, Section] = {}


def register_section(name: str, fn: Section | None = None):
    """Add a named part to every subject access export; usable as a decorator."""

    def add(section: Section) -> Section:
        if name == "export" or name in _sections:
            raise ValueError(f"export section {name!r} is already taken")
        _sections[name] = section
        return section

    return add(fn) if fn is not None else add


def export(client: Client) -> dict:
    """Everything held about the client as JSON-ready data, dates and times in ISO 8601."""
    document: dict[str, Any] = {"export": {
        "format_version": FORMAT_VERSION, "client_id": client.id,
        "generated_at": utcnow().isoformat(), "sections": list(_sections),
    }}
    for name, section in _sections.items():
        document[name] = jsonable(section(client))
    return document


def to_json(document: dict) -> str:
    """The export as indented UTF-8 JSON text."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def row(obj, *, exclude: tuple[str, ...] = ()) -> dict:
    """Every stored column of a model instance, by column name, so new columns are never missed."""
    data = {}
    for attr in inspect(obj).mapper.column_attrs:
        name = attr.columns[0].name
        if name not in exclude:
            data[name] = jsonable(getattr(obj, attr.key))
    return data


def jsonable(value: Any) -> Any:
    """`value` with dates, times, enums and decimals turned into JSON's own types."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [jsonable(v) for v in value]
    return value


# --- erasure ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Eraser:
    name: str
    count: Callable[[Client], int]
    erase: Callable[[Client], int]


_erasers: list[Eraser] = []
# Called with the client before anything of theirs is deleted, in erasure's transaction: features
# that told others about the client say it is withdrawn (escalations), without importing this.
ERASING: list[Callable[[Client], object]] = []


def register_eraser(name: str, model=None, *, count: Callable[[Client], int] | None = None,
                    erase: Callable[[Client], int] | None = None) -> None:
    """Delete a feature's rows on erasure: give a model with a client_id, or count and erase."""
    if model is not None:
        count, erase = _count_rows(model), _delete_rows(model)
    if count is None or erase is None:
        raise ValueError("give a model, or both count and erase")
    if any(e.name == name for e in _erasers):
        raise ValueError(f"eraser {name!r} is already registered")
    _erasers.append(Eraser(name, count, erase))


def _ordered() -> list[Eraser]:
    # Features register after the ones they build on (they import them first), so their rows
    # go first: what refers to a row is deleted before the row, as foreign keys require.
    return list(reversed(_erasers))


def related_counts(client: Client) -> dict[str, int]:
    """How many rows of each kind erasure would delete, and how many audit events it keeps."""
    counts = {eraser.name: eraser.count(client) for eraser in _ordered()}
    counts["audit_events"] = db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.client_id == client.id))
    return counts


def erase(client: Client) -> dict[str, int]:
    """Delete the client and all that is theirs; keep the audit trail, scrubbed of personal data."""
    personal = _personal_values(client)
    for listener in ERASING:
        listener(client)
    counts = {eraser.name: eraser.erase(client) for eraser in _ordered()}
    counts["audit_events_kept"], counts["audit_events_scrubbed"] = scrub_audit_trail(
        client.id, personal)
    # The erasers deleted rows behind the ORM's back; reload the collections before the delete
    # cascades over them, or it would try to delete those rows a second time.
    db.session.expire(client)
    db.session.delete(client)
    db.session.flush()
    return counts


def scrub_audit_trail(client_id: int, personal: set[str]) -> tuple[int, int]:
    """Keep every event about the client but blank any detail that is not an id or a code."""
    kept = scrubbed = 0
    for event in db.session.scalars(select(AuditEvent).where(AuditEvent.client_id == client_id)):
        kept += 1
        clean = _scrub(event.detail or {}, personal)
        if clean != (event.detail or {}):
            event.detail = clean  # a new object, so the JSON column is seen as changed
            scrubbed += 1
    db.session.flush()
    return kept, scrubbed


# Details are meant to hold ids, counts, field names and vocabulary words: lowercase codes.
_CODE = re.compile(r"[a-z][a-z0-9_.-]{0,59}\Z")


def _scrub(value: Any, personal: set[str]) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        # A lowercase word can still be a surname; the client's own words are removed too.
        return value if _CODE.match(value) and value not in personal else ERASED
    if isinstance(value, list):
        return [_scrub(v, personal) for v in value]
    if isinstance(value, dict):
        return {k: _scrub(v, personal) for k, v in value.items()}
    return ERASED


def _personal_values(client: Client) -> set[str]:
    texts = [client.full_name, client.phone, client.email, client.address]
    for contact in client.contacts:
        texts += [contact.name, contact.phone, contact.email]
    values = set()
    for text in filter(None, texts):
        values.add(text.lower())
        values.update(word for word in re.split(r"[\s,]+", text.lower()) if word)
    return values


def _count_rows(model) -> Callable[[Client], int]:
    def count(client: Client) -> int:
        return db.session.scalar(
            select(func.count()).select_from(model).where(model.client_id == client.id))

    return count


def _delete_rows(model) -> Callable[[Client], int]:
    def erase_rows(client: Client) -> int:
        result = db.session.execute(delete(model).where(model.client_id == client.id),
                                    execution_options={"synchronize_session": "fetch"})
        return result.rowcount

    return erase_rows


# --- what this package holds ----------------------------------------------------------------


@register_section("client")
def _client(client: Client) -> dict:
    return row(client)


@register_section("enrolments")
def _enrolments(client: Client) -> list[dict]:
    return [dict(row(e), programme_name=e.programme.name) for e in client.enrolments]


@register_section("contacts")
def _contacts(client: Client) -> list[dict]:
    return [row(c) for c in client.contacts]


@register_section("consents")
def _consents(client: Client) -> list[dict]:
    consents = db.session.scalars(select(Consent).where(Consent.client_id == client.id)
                                  .order_by(Consent.id))
    return [dict(row(c), organisation_name=c.organisation.name if c.organisation else None)
            for c in consents]


@register_section("audit_events")
def _audit_events(client: Client) -> list[dict]:
    # The client's own trail; the staff member's IP address is theirs, not the client's.
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.client_id == client.id)
                                .order_by(AuditEvent.id))
    return [row(e, exclude=("ip_address",)) for e in events]


# Registered in the order they depend on each other; erasure runs them in reverse.
register_eraser("enrolments", ProgrammeEnrolment)
register_eraser("contacts", Contact)
register_eraser("consents", Consent)
