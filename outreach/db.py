"""The typed SQLAlchemy base, the constraint naming convention and shared column types."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, registry
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
