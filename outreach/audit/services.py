"""Writing and reading the audit trail."""

from __future__ import annotations

from functools import cache
from typing import NoReturn

from flask import g, has_app_context, has_request_context, request
from sqlalchemy import Integer, String, bindparam, cast, func, insert, select
from sqlalchemy.dialects.postgresql import ARRAY

from outreach.audit import refusals
from outreach.audit.models import AuditEvent
from outreach.db import db, utcnow
from outreach.errors import Forbidden


def record(actor, action: str, *, subject=None, client_id: int | None = None,
           detail: dict | None = None, via: str | None = None) -> AuditEvent:
    """Add an audit event to the current transaction. `detail` holds ids and field names only."""
    event = AuditEvent(**_columns(actor, action, subject, client_id, detail, via))
    db.session.add(event)
    return event


def _columns(actor, action: str, subject, client_id: int | None, detail: dict | None,
             via: str | None) -> dict:
    """An audit event's columns: who, what, about which record, and by which way in."""
    ip = ""
    if has_request_context():
        ip = request.remote_addr or ""
        via = via or g.get("via", "web")
    elif has_app_context():
        # Outside a request it is the command line, unless a worker said otherwise.
        via = via or g.get("via", "cli")
    return {"actor_id": getattr(actor, "id", None),
            "actor_role": str(getattr(actor, "role", "") or ""),
            "action": action,
            "subject_type": type(subject).__name__.lower() if subject is not None else "",
            "subject_id": str(subject.id) if subject is not None and subject.id is not None
            else "",
            "client_id": client_id, "via": via or "system", "ip_address": ip,
            "detail": detail or {}}


def refuse(actor, action: str, message: str, *, subject=None, client_id: int | None = None,
           detail: dict | None = None) -> NoReturn:
    """Refuse with 403: nothing of the request is kept but the audited record of the attempt.

    In a request the event is written by audit.refusals as the answer goes out (once, however
    the refusal came about); elsewhere (a command) it is written here.
    """
    if has_request_context():
        refusals.note(action, actor=actor, subject=subject, client_id=client_id, detail=detail)
    else:
        db.session.rollback()
        record(actor, action, subject=subject, client_id=client_id, detail=detail)
        db.session.commit()
    raise Forbidden(message)


def record_listing(actor, clients, *, purpose: str = "list") -> None:
    """A list shows client records too: one event per client shown, so every read is traceable."""
    record_listing_ids(actor, [client.id for client in clients], purpose=purpose)


def record_listing_ids(actor, client_ids, *, purpose: str = "list") -> None:
    """record_listing for a page that read its clients as plain rows: one event per client id.

    A page of 50 clients as ORM objects cost more than the rest of the request. On PostgreSQL
    the events are one INSERT ... SELECT over the array of ids, a statement of the same text
    whatever the page's length, so the driver parses it once and the server prepares it once;
    a multi-row INSERT has a parameter per value and was a quarter of a long page's time.
    Elsewhere SQLAlchemy sends them as one multi-row INSERT ("insertmanyvalues").
    """
    client_ids = list(client_ids)
    if not client_ids:
        return
    base = {**_columns(actor, "client.list", None, None, {"for": purpose}, None),
            "subject_type": "client"}
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(_listing_from_array(),
                           {**base, "occurred_at": utcnow(), "client_ids": client_ids})
        return
    rows = [{**base, "subject_id": str(client_id), "client_id": client_id}
            for client_id in client_ids]
    db.session.execute(insert(AuditEvent).returning(AuditEvent.id), rows)


@cache
def _listing_from_array():
    """INSERT INTO audit_events (...) SELECT ... FROM unnest(:client_ids): one event an id."""
    table = AuditEvent.__table__
    ids = func.unnest(bindparam("client_ids", type_=ARRAY(Integer))).table_valued(
        "client_id").render_derived()
    same = ("occurred_at", "actor_id", "actor_role", "action", "subject_type", "via",
            "ip_address", "detail")
    chosen = [bindparam(name, type_=table.c[name].type) for name in same]
    return insert(table).from_select(
        [*same, "client_id", "subject_id"],
        select(*chosen, ids.c.client_id, cast(ids.c.client_id, String)))


def events_for_client(client_id: int) -> list[AuditEvent]:
    """Every audit event about one client, oldest first."""
    return list(db.session.scalars(
        select(AuditEvent).where(AuditEvent.client_id == client_id).order_by(AuditEvent.id)
    ))
