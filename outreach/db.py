"""The typed SQLAlchemy base, the constraint naming convention, shared column types, and
work handed over once a transaction commits (`after_commit`)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable
from datetime import UTC, datetime

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, registry
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


_clock: dict[str, datetime | None] = {"now": None}


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC (or the time set by `set_clock`)."""
    return _clock["now"] or datetime.now(UTC)


def set_clock(moment: datetime | None) -> None:
    """Make utcnow() answer `moment` (None: the real time). For tests and `outreach tick --now`."""
    if moment is not None and moment.tzinfo is None:
        raise ValueError("set_clock needs an aware datetime")
    _clock["now"] = moment.astimezone(UTC) if moment is not None else None


def clock_setting() -> datetime | None:
    """The time `set_clock` fixed (None: the real time), to put back after a change."""
    return _clock["now"]


class UTCDateTime(TypeDecorator):
    """Stores aware datetimes as UTC and always hands back aware UTC datetimes.

    SQLite keeps no offset, so without this a value read back would be naive.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


db = SQLAlchemy(model_class=Base)


@event.listens_for(Engine, "connect")
def _sqlite_on_connect(dbapi_connection, connection_record):
    """Make SQLite enforce foreign keys and let SQLAlchemy manage transactions itself."""
    import sqlite3

    if isinstance(dbapi_connection, sqlite3.Connection):
        # pysqlite's own transaction handling breaks SAVEPOINT; take it over (SQLAlchemy docs).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_on_begin(conn):
    if conn.dialect.name == "sqlite":
        # IMMEDIATE takes the write lock up front: two requests that both read then write would
        # otherwise deadlock on the lock upgrade and one would fail with "database is locked"
        # instead of waiting (busy_timeout) for its turn.
        conn.exec_driver_sql("BEGIN IMMEDIATE")


# --- After commit -------------------------------------------------------------------------

log = logging.getLogger(__name__)

PENDING, COMMITTED = "after_commit_pending", "after_commit_committed"
HandOver = Callable[[list], object]


def after_commit(hand_over: HandOver, item: Hashable = None) -> None:
    """Have `hand_over` called with `item` once the current transaction has committed.

    For work that must not happen unless the change that asked for it is stored, and must not
    hold up its transaction: a text handed to the dispatcher, a webhook delivery to a courier,
    events placed in the feed. The items the transaction gives one hand-over are collected and
    handed over together, sorted; a rollback forgets them. They are handed over when the
    request, job or command ends (`hand_over_committed`), in the order they were first asked
    for within each transaction, so work that depends on other work (a webhook on its event's
    place in the feed) asks after it and runs after it.
    """
    db.session.info.setdefault(PENDING, {}).setdefault(hand_over, set()).add(item)


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    # No SQL may run here (the transaction is over): the work waits for hand_over_committed.
    pending = session.info.pop(PENDING, None)
    if pending:
        session.info.setdefault(COMMITTED, []).extend(pending.items())


@event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    # Only a real rollback: work asked for in a rolled-back savepoint refers to rows that were
    # never committed either, and every hand-over finds nothing under their ids.
    if not session.in_transaction():
        session.info.pop(PENDING, None)


def hand_over_committed(only: HandOver | None = None) -> list:
    """Run the hand-overs of what this session committed (or `only` that one's); answers
    their results, in the order they ran.

    A hand-over that fails is logged and rolled back and does not stop the others: the work it
    was given is stored, and the periodic jobs pick it up (texts stay queued, deliveries
    pending, events unplaced).
    """
    committed = db.session.info.pop(COMMITTED, None) or []
    if only is not None:
        rest = [(hand_over, items) for hand_over, items in committed if hand_over is not only]
        if rest:
            db.session.info.setdefault(COMMITTED, [])[:0] = rest
        items = set().union(*(items for hand_over, items in committed if hand_over is only))
        return [only(sorted(items, key=_order))] if items else []
    results = []
    for hand_over, items in committed:
        try:
            results.append(hand_over(sorted(items, key=_order)))
        except Exception:
            db.session.rollback()
            log.exception("Handing over committed work (%s) failed; the periodic jobs will",
                          getattr(hand_over, "__qualname__", hand_over))
    return results


def _order(item: Hashable) -> tuple:
    return (item is not None, item if item is not None else 0)


def init_app(app) -> None:
    """Hand over a request's committed work once it is answered (its transaction is over)."""

    def hand_over(response):
        hand_over_committed()
        return response

    app.after_request(hand_over)
