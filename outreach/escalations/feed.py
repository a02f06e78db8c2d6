"""The event feed behind `?since=`, the Atom feed and webhooks: never a gap, never a repeat.

An event is written without a place in the feed. Once its transaction has committed, the
sequencer (`assign_positions`, handed over after commit by each request, job and command that
recorded events, and run by every tick as a safety net) gives it the next `position`, one run
at a time (a PostgreSQL advisory lock; SQLite has a single writer anyway). Readers serve only
positioned events, in position order. So a position, once visible, is never followed by a
smaller one: an event committed late by a slow transaction gets a later position instead of
landing behind a cursor already handed out, and a long transaction elsewhere never holds the
feed back. Positions come from a sequence (a counter row on SQLite) and are never handed out
twice: after an erasure deletes the events holding the newest ones, the next event still gets a
later position than any a poller was given.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select, true, update
from sqlalchemy.orm import selectinload

from outreach.api.pagination import decode_text, encode_text, rows_after
from outreach.auth.models import User
from outreach.db import after_commit, db, hand_over_committed
from outreach.enums import Role
from outreach.errors import APIError
from outreach.escalations.models import FEED_POSITIONS, EscalationEvent, FeedCounter
from outreach.escalations.queries import WITH_SUMMARY

BEGINNING = 0
_MAX = 2**63 - 1
LOCK_KEY = 0x6573_6361  # any fixed number: the one sequencer's advisory lock
BATCH = 10_000
COUNTER = "escalation_events"  # FeedCounter's row on SQLite


@dataclass
class FeedPage:
    items: list[EscalationEvent]
    next_cursor: str  # where to read from next time: always given, even when nothing was new
    more: bool  # another page is ready now


def encode(position: int) -> str:
    return encode_text(f"p{position}")


def decode(raw: str | None) -> int:
    """A cursor back into a position; blank or "0" is the beginning of the feed."""
    if raw is None or raw.strip() in ("", "0"):
        return BEGINNING
    decoded = decode_text(raw.strip()) or ""
    digits = decoded[1:]
    if not (decoded.startswith("p") and digits.isascii() and digits.isdigit()):
        raise _bad_cursor()
    try:
        position = int(digits)
    except ValueError as exc:  # more digits than Python turns into a number
        raise _bad_cursor() from exc
    if position > _MAX:
        raise _bad_cursor()
    return position


def _bad_cursor() -> APIError:
    return APIError("The feed cursor is not valid.",
                    fields={"since": ["Not a cursor this feed gave out."]})


def feed_scope(user: User | None, organisation_id: int | None = None) -> ColumnElement[bool]:
    """Whose events a caller reads: their own organisation's (admins: all, or one named)."""
    if user is not None and user.role == Role.ADMIN and organisation_id is None:
        return true()
    return EscalationEvent.organisation_id == (organisation_id if user is None
                                               or user.role == Role.ADMIN
                                               else user.organisation_id)


def read(scope: ColumnElement[bool], since: str | None, limit: int) -> FeedPage:
    """Up to `limit` events after the cursor `since`, and the cursor to continue from."""
    after = decode(since)
    # Keyed on the position, not the id: the order events were placed in the feed.
    rows, more = rows_after(
        select(EscalationEvent).where(scope)
        .options(selectinload(EscalationEvent.escalation).options(*WITH_SUMMARY)),
        EscalationEvent.position, after, limit)
    if rows:
        after = rows[-1].position
    return FeedPage(rows, encode(after), more)


def cursor_of(event_row: EscalationEvent) -> str | None:
    """The cursor just after this event (None until the sequencer has placed it)."""
    return encode(event_row.position) if event_row.position is not None else None


def newest(scope: ColumnElement[bool], limit: int) -> list[EscalationEvent]:
    """The latest `limit` events by when they happened, newest first (for the Atom feed).

    By time, not row id: an event may be written after others that happened later (a job
    catching up, an import, a history), and a reader's page must show the latest changes.
    """
    return list(db.session.scalars(
        select(EscalationEvent).where(scope)
        .order_by(EscalationEvent.at.desc(), EscalationEvent.id.desc()).limit(limit)))


# --- The sequencer --------------------------------------------------------------------------


def note_new_event() -> None:
    """Called for each event written: the transaction's events need positions after commit."""
    after_commit(_place)


def assign_positions(limit: int = BATCH) -> int:
    """Give committed events without a position the next positions; answers how many.

    Runs are serialised, so every position given is larger than any given and committed before.
    The caller commits (which ends the lock).
    """
    postgresql = db.session.get_bind().dialect.name == "postgresql"
    if postgresql:
        db.session.execute(select(func.pg_advisory_xact_lock(LOCK_KEY)))
    waiting = list(db.session.scalars(select(EscalationEvent.id).where(
        EscalationEvent.position.is_(None)).order_by(EscalationEvent.id).limit(limit)))
    if not waiting:
        return 0
    positions = _next_positions(len(waiting), postgresql)
    db.session.execute(update(EscalationEvent), [
        {"id": event_id, "position": position}
        for event_id, position in zip(waiting, positions, strict=True)])
    return len(waiting)


def _next_positions(count: int, postgresql: bool) -> list[int]:
    """`count` positions never handed out before, increasing (the caller holds the lock)."""
    if postgresql:
        # nextval is never rolled back: a failed run leaves a gap, never a repeat.
        return sorted(db.session.scalars(select(FEED_POSITIONS.next_value())
                                         .select_from(func.generate_series(1, count))))
    counter = db.session.get(FeedCounter, COUNTER, with_for_update=True,
                             populate_existing=True)
    if counter is None:
        # The first run on a new database (the migration starts the row on existing ones).
        top = db.session.scalar(select(func.max(EscalationEvent.position))) or 0
        counter = FeedCounter(name=COUNTER, value=top)
        db.session.add(counter)
    first = counter.value + 1
    counter.value += count
    db.session.flush()
    return list(range(first, first + count))


def _place(_) -> int:
    """After a commit that wrote events: place them in the feed now (the tick would, later)."""
    placed = assign_positions()
    db.session.commit()
    return placed


def sequence_committed() -> int:
    """Place the events this session committed in the feed now, if it wrote any."""
    return sum(hand_over_committed(only=_place))
