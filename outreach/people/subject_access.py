"""Subject access and erasure: everything held about one client, gathered or removed.

Each feature declares what it stores about a client: its `init_app` hands `declare_holdings`
the function that does (its `personal_data.declare`), and `declare_all` runs them once, in the
order of FEATURES: `register_section` adds a part to the export and `register_eraser` deletes
that feature's rows, each naming the tables it covers. Which rows of a table are the client's is
read from the foreign keys: a row that refers to the client, or to a row that does, through any
chain. A test compares the tables covered with every table the foreign keys lead from `clients`,
so a table added later cannot be left out of either. The audit trail is never deleted: erasure
keeps every event (they hold ids) and scrubs anything in them that could identify the person.
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

from sqlalchemy import ColumnElement, Table, delete, false, func, inspect, or_, select

from outreach.audit.models import AuditEvent
from outreach.consent.models import Consent
from outreach.db import db, utcnow
from outreach.events import client_erased
from outreach.people.models import Client, Contact, ProgrammeEnrolment

Section = Callable[[Client], Any]
FORMAT_VERSION = 2
ERASED = "[erased]"

# The order the export lists the features' sections in, and their erasers are registered in.
FEATURES = ("visits", "needs", "care", "escalations", "messages", "selfreport", "literacy",
            "evaluation")
_declarations: dict[str, Callable[[], object]] = {}
_declared: list[str] = []

_sections: dict[str, Section] = {}
# Table names each export section and each eraser covers (the coverage test reads these).
_exported: dict[str, frozenset[str]] = {}


def _table_names(covers) -> frozenset[str]:
    return frozenset(getattr(getattr(c, "__table__", c), "name", c) for c in covers)


def declare_holdings(feature: str, declare: Callable[[], object]) -> None:
    """Have `declare` register what `feature` holds about a client (from its `init_app`)."""
    if feature not in FEATURES:
        raise ValueError(f"{feature!r} is not in subject_access.FEATURES: give it its place")
    _declarations.setdefault(feature, declare)


def declare_all() -> None:
    """Run the features' declarations not run yet, in the order of FEATURES (once each per
    process: the registry is the process's, like the models)."""
    for feature in FEATURES:
        if feature in _declarations and feature not in _declared:
            _declarations[feature]()
            _declared.append(feature)


def register_section(name: str, fn: Section | None = None, *, covers=()):
    """Add a named part to every subject access export, holding the rows of the tables (or
    models) it `covers`; usable as a decorator."""

    def add(section: Section) -> Section:
        if name == "export" or name in _sections:
            raise ValueError(f"export section {name!r} is already taken")
        _sections[name] = section
        _exported[name] = _table_names(covers)
        return section

    return add(fn) if fn is not None else add


def register_table(name: str, model, *, exclude: tuple[str, ...] = (),
                   labels: Callable[[Any], dict] | None = None) -> None:
    """Export every row of `model` that is the client's as section `name`, and delete them on
    erasure: the usual declaration of a feature's table. `labels` adds names to each row."""

    def section(client: Client) -> list[dict]:
        found = db.session.scalars(select(model).where(rows_of(model.__table__, client.id))
                                   .order_by(*model.__table__.primary_key.columns))
        return [dict(row(obj, exclude=exclude), **(labels(obj) if labels else {}))
                for obj in found]

    register_section(name, section, covers=(model,))
    register_eraser(model.__table__.name, model)


def exported_tables() -> frozenset[str]:
    """Every table some export section covers."""
    return frozenset().union(*_exported.values())


# --- which rows are the client's ----------------------------------------------------------


def referring_tables(metadata=None) -> dict[str, Table]:
    """Every table with a foreign key to `clients`, or to such a table, through any chain."""
    metadata = metadata if metadata is not None else db.metadata
    found: dict[str, Table] = {}
    targets = {"clients"}
    while True:
        more = {t.name: t for t in metadata.tables.values() if t.name not in found
                and t.name != "clients"
                and any(fk.column.table.name in targets for fk in t.foreign_keys)}
        if not more:
            return found
        found.update(more)
        targets |= set(more)


def rows_of(table: Table, client_id: int) -> ColumnElement[bool]:
    """Which rows of `table` are the client's: those whose foreign keys lead to the client."""
    return _rows_of(table, client_id, set(referring_tables(table.metadata)), frozenset())


def _rows_of(table: Table, client_id: int, referring: set[str], seen: frozenset[str]
             ) -> ColumnElement[bool]:
    clauses = []
    for fk in table.foreign_keys:
        target = fk.column.table
        if target.name == "clients":
            clauses.append(fk.parent == client_id)
        elif target is not table and target.name in referring and target.name not in seen:
            # A self-reference (a reply to a text) adds no row the other keys do not find.
            inner = _rows_of(target, client_id, referring, seen | {table.name})
            clauses.append(fk.parent.in_(select(fk.column).where(inner)))
    return or_(*clauses) if clauses else false()


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
    tables: frozenset[str] = frozenset()


_erasers: list[Eraser] = []


def register_eraser(name: str, model=None, *, count: Callable[[Client], int] | None = None,
                    erase: Callable[[Client], int] | None = None, covers=()) -> None:
    """Delete a feature's rows on erasure: give a model (its rows that are the client's go), or
    count and erase (a hook: these run first, while every row is still there) and the tables
    they empty, if any, in `covers`."""
    if model is not None:
        count, erase, covers = _count_rows(model), _delete_rows(model), (model,)
    if count is None or erase is None:
        raise ValueError("give a model, or both count and erase")
    if any(e.name == name for e in _erasers):
        raise ValueError(f"eraser {name!r} is already registered")
    _erasers.append(Eraser(name, count, erase, _table_names(covers)))


def erased_tables() -> frozenset[str]:
    """Every table some eraser empties of the client's rows."""
    return frozenset().union(*(eraser.tables for eraser in _erasers))


def _ordered() -> list[Eraser]:
    # Hooks first, the later registered first (they may read what the others delete); then the
    # tables, each before the tables it refers to, so no row goes by a foreign key's cascade
    # without being counted.
    place = {table.name: i for i, table in enumerate(db.metadata.sorted_tables)}
    hooks = [eraser for eraser in reversed(_erasers) if not eraser.tables]
    tables = sorted((eraser for eraser in _erasers if eraser.tables),
                    key=lambda eraser: -max(place.get(t, -1) for t in eraser.tables))
    return hooks + tables


def related_counts(client: Client) -> dict[str, int]:
    """How many rows of each kind erasure would delete, and how many audit events it keeps."""
    counts = {eraser.name: eraser.count(client) for eraser in _ordered()}
    counts["audit_events"] = db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.client_id == client.id))
    return counts


def erase(client: Client) -> dict[str, int]:
    """Delete the client and all that is theirs; keep the audit trail, scrubbed of personal data.

    Answers the rows deleted per kind (table), the client's own row included.
    """
    personal = _personal_values(client)
    # Before anything is deleted: features that told others about the client say it is
    # withdrawn (escalations), while what they told is still there to read.
    client_erased.send(client)
    counts = {eraser.name: eraser.erase(client) for eraser in _ordered()}
    counts["audit_events_kept"], counts["audit_events_scrubbed"] = scrub_audit_trail(
        client.id, personal)
    # The erasers deleted rows behind the ORM's back; reload the collections before the delete
    # cascades over them, or it would try to delete those rows a second time.
    db.session.expire(client)
    db.session.delete(client)
    db.session.flush()
    counts["clients"] = 1
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
        return db.session.scalar(select(func.count()).select_from(model)
                                 .where(rows_of(model.__table__, client.id)))

    return count


def _delete_rows(model) -> Callable[[Client], int]:
    def erase_rows(client: Client) -> int:
        result = db.session.execute(delete(model).where(rows_of(model.__table__, client.id)),
                                    execution_options={"synchronize_session": "fetch"})
        return result.rowcount

    return erase_rows


# --- what this package holds ----------------------------------------------------------------


@register_section("client", covers=(Client,))
def _client(client: Client) -> dict:
    return row(client)


@register_section("enrolments", covers=(ProgrammeEnrolment,))
def _enrolments(client: Client) -> list[dict]:
    return [dict(row(e), programme_name=e.programme.name) for e in client.enrolments]


@register_section("contacts", covers=(Contact,))
def _contacts(client: Client) -> list[dict]:
    return [row(c) for c in client.contacts]


@register_section("consents", covers=(Consent,))
def _consents(client: Client) -> list[dict]:
    consents = db.session.scalars(select(Consent).where(rows_of(Consent.__table__, client.id))
                                  .order_by(Consent.id))
    return [dict(row(c), organisation_name=c.organisation.name if c.organisation else None)
            for c in consents]


@register_section("audit_events", covers=(AuditEvent,))
def _audit_events(client: Client) -> list[dict]:
    # The client's own trail; the staff member's IP address is theirs, not the client's.
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.client_id == client.id)
                                .order_by(AuditEvent.id))
    return [row(e, exclude=("ip_address",)) for e in events]


register_eraser("programme_enrolments", ProgrammeEnrolment)
register_eraser("contacts", Contact)
register_eraser("consents", Consent)
