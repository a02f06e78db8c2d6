"""The migrations build the schema the models declare, and its search indexes serve the queries."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import event as sa_event
from sqlalchemy import insert, select, text

from outreach import create_app
from outreach.auth.models import User
from outreach.db import db
from outreach.enums import Role
from outreach.literacy.models import Skill
from outreach.literacy.services import DEFAULT_SKILLS
from outreach.organisations.models import Organisation
from outreach.people.services import visible_clients
from outreach.programmes.models import Programme
from tests.conftest import TEST_SETTINGS


def test_models_and_migrations_agree(app):
    with app.app_context():  # on the test's own connection: SQLite allows one writer
        context = MigrationContext.configure(db.session.connection(),
                                             opts={"compare_type": True})
        with warnings.catch_warnings():
            # SQLite cannot reflect the (PostgreSQL-only) expression index on clients.
            warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified "
                                    "expression-based index", UserWarning)
            assert compare_metadata(context, db.metadata) == []


def test_client_search_can_use_the_trigram_index(app):
    """The search's expressions are the index's: were either changed alone (ILIKE for
    lower(...) LIKE, say), PostgreSQL would read every client again."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            return  # no trigram index on SQLite
        query = visible_clients(User(role=Role.ADMIN), q="Walker 07700900403")
        db.session.execute(text("SET LOCAL enable_seqscan = off"))  # a few rows: no index
        plan = "\n".join(db.session.scalars(text("EXPLAIN " + str(query.compile(
            dialect=db.engine.dialect, compile_kwargs={"literal_binds": True})))))
    assert plan.count("ix_clients_search") == 3, plan  # name, parish and phone


def test_every_digital_literacy_programme_has_its_checklist_after_upgrading(tmp_path):
    """0015 starts the checklist of each digital-literacy programme nobody had opened it of,
    and leaves the others as they were (on a database of its own, migrated step by step)."""
    app = create_app(dict(TEST_SETTINGS, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/m.db"))
    with app.app_context():
        upgrade(revision="0014_escalation_queue_index")
        # The engine's own connections: db.session is the test's, on the test database.
        with db.engine.begin() as connection:
            operator = connection.execute(insert(Organisation.__table__).values(
                name="Island Post", kind="operator")).inserted_primary_key[0]
            made = {name: connection.execute(insert(Programme.__table__).values(
                name=name, kind=kind, operator_id=operator)).inserted_primary_key[0]
                for name, kind in (("Unopened", "digital_literacy"),
                                   ("Opened", "digital_literacy"), ("Checks", "call_and_check"))}
            connection.execute(insert(Skill.__table__).values(
                programme_id=made["Opened"], name="Use online banking", position=1))
        upgrade()
        with db.engine.connect() as connection:
            names = {name: list(connection.scalars(
                select(Skill.name).where(Skill.programme_id == programme_id)
                .order_by(Skill.position))) for name, programme_id in made.items()}
        db.engine.dispose()
    assert names == {"Unopened": DEFAULT_SKILLS, "Opened": ["Use online banking"],
                     "Checks": []}


def test_feed_positions_start_past_every_one_handed_out_after_upgrading(tmp_path):
    """0016 starts the feed's counter at the largest position already given, so the next event
    is placed after a poller's newest cursor (on a database of its own, migrated step by step)."""
    from outreach.escalations import feed
    from outreach.escalations.models import EscalationEvent, FeedCounter

    app = create_app(dict(TEST_SETTINGS, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/f.db"))
    with app.app_context():
        upgrade(revision="0015_default_skills_checklists")
        # Events without their escalations (only their positions matter here): this database's
        # new connections leave foreign keys unchecked.
        db.engine.dispose()
        sa_event.listen(db.engine, "connect", lambda dbapi, _record: dbapi.execute(
            "PRAGMA foreign_keys=OFF"))
        with db.engine.connect() as connection:
            for event_id, position in ((1, 40), (2, 41), (3, None)):
                connection.execute(insert(EscalationEvent.__table__).values(
                    id=event_id, escalation_id=event_id, kind="created", via="system",
                    note="", detail={}, at=datetime(2026, 1, 1, tzinfo=UTC),
                    position=position))
            connection.commit()
        upgrade()
        with db.engine.connect() as connection:
            # The sequencer hands out the counter's next value: 42, after the poller's 41.
            assert connection.scalar(select(FeedCounter.value).where(
                FeedCounter.name == feed.COUNTER)) == 41
        db.engine.dispose()
