"""The event feed behind `?since=`, the Atom feed and webhooks: never a gap, never a repeat.

Events are read in (position, id) order, where `position` is the id of the PostgreSQL
transaction that wrote them, and only from transactions older than every transaction still
running (`pg_snapshot_xmin`). A writer that started earlier but commits later therefore cannot
slip an event in behind a cursor already handed out: its events are held back until it ends.
SQLite allows one writer at a time, so there the id order is the commit order.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, select, text, true, tuple_

from outreach.auth.models import User
from outreach.db import db
from outreach.enums import Role
from outreach.errors import APIError
from outreach.escalations.models import EscalationEvent

BEGINNING = (0, 0)
_MAX = 2**63 - 1


@dataclass
class FeedPage:
    items: list[EscalationEvent]
    next_cursor: str  # where to read from next time: always given, even when nothing was new
    more: bool  # another page is ready now


def encode(position: int, event_id: int) -> str:
    return base64.urlsafe_b64encode(f"{position}.{event_id}".encode()).decode().rstrip("=")


def decode(raw: str | None) -> tuple[int, int]:
    """A cursor back into (position, id); blank or "0" is the beginning of the feed."""
    if raw is None or raw.strip() in ("", "0"):
        return BEGINNING
    try:
        decoded = base64.urlsafe_b64decode(raw.strip().encode() + b"==").decode()
        position, event_id = decoded.split(".")
        if not (position.isascii() and position.isdigit() and event_id.isascii()
                and event_id.isdigit()):
            raise ValueError(decoded)
        parsed = int(position), int(event_id)
    except (ValueError, binascii.Error, UnicodeError) as exc:
        raise APIError("The feed cursor is not valid.",
                       fields={"since": ["Not a cursor this feed gave out."]}) from exc
    if max(parsed) > _MAX:
        raise APIError("The feed cursor is not valid.",
                       fields={"since": ["Not a cursor this feed gave out."]})
    return parsed


def feed_scope(user: User | None, organisation_id: int | None = None) -> ColumnElement[bool]:
    """Whose events a caller reads: their own organisation's (admins: all, or one named)."""
    if user is not None and user.role == Role.ADMIN and organisation_id is None:
        return true()
    return EscalationEvent.organisation_id == (organisation_id if user is None
                                               or user.role == Role.ADMIN
                                               else user.organisation_id)


def _on_postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _ordered(scope: ColumnElement[bool], after: tuple[int, int]) -> Select:
    if _on_postgresql():
        horizon = text("pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
        return (select(EscalationEvent)
                .where(scope, EscalationEvent.position < horizon,
                       tuple_(EscalationEvent.position, EscalationEvent.id) > tuple_(*after))
                .order_by(EscalationEvent.position, EscalationEvent.id))
    return (select(EscalationEvent).where(scope, EscalationEvent.id > after[1])
            .order_by(EscalationEvent.id))


def read(scope: ColumnElement[bool], since: str | None, limit: int) -> FeedPage:
    """Up to `limit` events after the cursor `since`, and the cursor to continue from."""
    after = decode(since)
    rows = list(db.session.scalars(_ordered(scope, after).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    if rows:
        last = rows[-1]
        after = (last.position or 0, last.id)
    return FeedPage(rows, encode(*after), more)


def cursor_of(event: EscalationEvent) -> str:
    return encode(event.position or 0, event.id)


def newest(scope: ColumnElement[bool], limit: int) -> list[EscalationEvent]:
    """The latest `limit` events, newest first (for the Atom feed, which readers poll)."""
    if _on_postgresql():
        order = (EscalationEvent.position.desc(), EscalationEvent.id.desc())
    else:
        order = (EscalationEvent.id.desc(),)
    return list(db.session.scalars(select(EscalationEvent).where(scope).order_by(*order)
                                   .limit(limit)))

